#pragma once
// TrainingAnimation: frames of any map of a network during training (thesis Fig. 9), streamed
// into an animated GIF through the on_batches callback of train().

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "polyleak/nn/training.hpp"
#include "polyleak/viz/gif_writer.hpp"
#include "polyleak/viz/map_images.hpp"
#include "polyleak/viz/text.hpp"

namespace polyleak {

/// Streams labelled frames of a network's state into an animated GIF.
///
/// Each frame is renderer(network) (an image of constant size) below a strip with the frame's
/// label. Frames go straight to a GifWriter, so memory does not grow with the frame count; the
/// GIF appears at `path` only after finish() (see GifWriter).
/// @tparam Scalar float or double, the network's scalar.
template <RealScalar Scalar>
class TrainingAnimation {
 public:
  using Renderer = std::function<Image(const Mlp<Scalar>&)>;

  /// An animation of frames renderer(network) of width x height pixels (the label strip is
  /// added above). Throws InvalidArgument for an empty renderer or a bad size, IoError if the
  /// file cannot be created.
  TrainingAnimation(std::filesystem::path path, Index width, Index height, Renderer renderer,
                    GifOptions options = {})
      : renderer_(std::move(renderer)),
        writer_(std::move(path), width, height + label_height, options) {
    POLYLEAK_REQUIRE(bool(renderer_), "the renderer is empty");
  }

  /// Renders `network`, labels the frame with `label` and appends it. Throws InvalidArgument if
  /// the rendered image does not have the animation's size.
  void add_frame(const Mlp<Scalar>& network, std::string_view label) {
    const Image picture = renderer_(network);
    POLYLEAK_REQUIRE(
        picture.width() == writer_.width() && picture.height() + label_height == writer_.height(),
        "renderer made a " + std::to_string(picture.width()) + " x " +
            std::to_string(picture.height()) + " image, the animation is " +
            std::to_string(writer_.width()) + " x " +
            std::to_string(writer_.height() - label_height));
    Image frame(writer_.width(), writer_.height());
    // Scale 2 if the label fits the frame, else scale 1.
    const Index scale = text_width(label, 2) + 2 * label_margin <= frame.width() ? 2 : 1;
    draw_text(frame, label_margin, label_margin, label, {colors::black, scale});
    frame.blit(picture, 0, label_height);
    writer_.add_frame(frame);
  }

  /// A callback for TrainingOptions::on_batches that adds a frame labelled with the (1-based)
  /// epoch and batch. The animation must outlive the training run.
  std::function<void(const Mlp<Scalar>&, const BatchEvent&)> on_batches() {
    return [this](const Mlp<Scalar>& network, const BatchEvent& event) {
      add_frame(network, "epoch " + std::to_string(event.epoch + 1) + ", batch " +
                             std::to_string(event.batch + 1));
    };
  }

  Index frame_count() const noexcept { return writer_.frame_count(); }

  /// Completes the GIF (see GifWriter::finish()).
  void finish() { writer_.finish(); }

  /// Height of the label strip above each frame, in pixels.
  static constexpr Index label_height = 26;

 private:
  static constexpr Index label_margin = 6;

  Renderer renderer_;
  GifWriter writer_;
};

/// A renderer for TrainingAnimation: map `map` of the network over `grid` (through
/// compute_raster_maps and raster_map_image, without colour bar) with `overlay` (e.g. training
/// points) drawn on top. Fix options.range to keep colours comparable between frames.
template <RealScalar Scalar>
typename TrainingAnimation<Scalar>::Renderer map_renderer(RasterGrid<Scalar> grid, RasterMap map,
                                                          MapImageOptions options = {},
                                                          Scene overlay = {}) {
  options.color_bar = false;
  return [grid = std::move(grid), map, options,
          overlay = std::move(overlay)](const Mlp<Scalar>& network) {
    const RasterOptions raster{map == RasterMap::region_edges};
    return with_overlay(raster_map_image(compute_raster_maps(network, grid, raster), map, options),
                        overlay);
  };
}

}  // namespace polyleak
