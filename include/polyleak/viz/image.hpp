#pragma once
// Image: an 8-bit RGB raster with PNG output through stb_image_write.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <stb_image_write.h>

#include "polyleak/core/check.hpp"
#include "polyleak/core/error.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/nn/detail/bytes.hpp"

namespace polyleak {

/// An 8-bit sRGB colour.
struct Rgb {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;

  friend bool operator==(const Rgb&, const Rgb&) = default;
};

/// A few named colours for axes, text and backgrounds.
namespace colors {
inline constexpr Rgb black{0, 0, 0};
inline constexpr Rgb white{255, 255, 255};
inline constexpr Rgb grey{128, 128, 128};
inline constexpr Rgb light_grey{210, 210, 210};
}  // namespace colors

/// Mixes `foreground` over `background` with opacity `alpha` in [0, 1] (clamped).
inline Rgb mix(Rgb background, Rgb foreground, double alpha) {
  const double a = std::clamp(alpha, 0.0, 1.0);
  const auto channel = [a](std::uint8_t under, std::uint8_t over) {
    return static_cast<std::uint8_t>(std::lround(under + a * (double(over) - double(under))));
  };
  return {channel(background.r, foreground.r), channel(background.g, foreground.g),
          channel(background.b, foreground.b)};
}

/// An RGB image of width x height pixels, stored row by row from the top (3 bytes per pixel).
///
/// Pixel (x, y) covers [x, x + 1) x [y, y + 1) in image coordinates: x to the right, y down.
/// Drawing functions clip to the image; pixel() and set_pixel() check their arguments.
class Image {
 public:
  /// An empty 0 x 0 image.
  Image() = default;

  /// A width x height image filled with `background`. Throws InvalidArgument for a negative size.
  Image(Index width, Index height, Rgb background = colors::white)
      : width_(width), height_(height) {
    POLYLEAK_REQUIRE(width >= 0 && height >= 0, "image size must not be negative, got " +
                                                    std::to_string(width) + " x " +
                                                    std::to_string(height));
    bytes_.resize(std::size_t(width * height * 3));
    fill(background);
  }

  Index width() const noexcept { return width_; }
  Index height() const noexcept { return height_; }
  bool contains(Index x, Index y) const noexcept {
    return x >= 0 && y >= 0 && x < width_ && y < height_;
  }

  /// The colour of pixel (x, y). Throws InvalidArgument outside the image.
  Rgb pixel(Index x, Index y) const {
    require_inside(x, y);
    const std::uint8_t* p = &bytes_[offset(x, y)];
    return {p[0], p[1], p[2]};
  }

  /// Sets pixel (x, y). Throws InvalidArgument outside the image.
  void set_pixel(Index x, Index y, Rgb color) {
    require_inside(x, y);
    put(x, y, color);
  }

  /// Blends `color` with opacity `alpha` over pixel (x, y); does nothing outside the image.
  void blend(Index x, Index y, Rgb color, double alpha) noexcept {
    if (!contains(x, y) || alpha <= 0) return;
    std::uint8_t* p = &bytes_[offset(x, y)];
    const Rgb mixed = mix({p[0], p[1], p[2]}, color, alpha);
    p[0] = mixed.r;
    p[1] = mixed.g;
    p[2] = mixed.b;
  }

  /// Sets pixel (x, y) if it lies inside the image.
  void put(Index x, Index y, Rgb color) noexcept {
    if (!contains(x, y)) return;
    std::uint8_t* p = &bytes_[offset(x, y)];
    p[0] = color.r;
    p[1] = color.g;
    p[2] = color.b;
  }

  /// Sets every pixel to `color`.
  void fill(Rgb color) noexcept {
    for (std::size_t i = 0; i < bytes_.size(); i += 3) {
      bytes_[i] = color.r;
      bytes_[i + 1] = color.g;
      bytes_[i + 2] = color.b;
    }
  }

  /// Copies `source` with its top-left corner at (x, y), clipped to this image.
  void blit(const Image& source, Index x, Index y) noexcept {
    for (Index sy = 0; sy < source.height(); ++sy)
      for (Index sx = 0; sx < source.width(); ++sx) {
        const std::uint8_t* p = &source.bytes_[source.offset(sx, sy)];
        put(x + sx, y + sy, {p[0], p[1], p[2]});
      }
  }

  /// The raw bytes: height rows of width RGB triples, top row first.
  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  std::uint8_t* data() noexcept { return bytes_.data(); }

  friend bool operator==(const Image&, const Image&) = default;

 private:
  std::size_t offset(Index x, Index y) const noexcept { return std::size_t((y * width_ + x) * 3); }

  void require_inside(Index x, Index y) const {
    POLYLEAK_REQUIRE(contains(x, y), "pixel (" + std::to_string(x) + ", " + std::to_string(y) +
                                         ") lies outside the " + std::to_string(width_) + " x " +
                                         std::to_string(height_) + " image");
  }

  Index width_ = 0;
  Index height_ = 0;
  std::vector<std::uint8_t> bytes_;
};

/// Writes `image` as an 8-bit RGB PNG file.
///
/// The file is written to a temporary name in the same folder and renamed at the end, so a failed
/// write leaves no partial file. Throws InvalidArgument for an empty image and IoError (naming
/// the path) if the file cannot be written. Cost: one zlib compression of the pixels.
inline void write_png(const Image& image, const std::filesystem::path& path) {
  POLYLEAK_REQUIRE(image.width() > 0 && image.height() > 0,
                   "cannot write an empty " + std::to_string(image.width()) + " x " +
                       std::to_string(image.height()) + " image to '" + path.string() + "'");
  std::vector<unsigned char> encoded;
  const auto append = [](void* context, void* bytes, int size) {
    auto& out = *static_cast<std::vector<unsigned char>*>(context);
    const auto* begin = static_cast<const unsigned char*>(bytes);
    out.insert(out.end(), begin, begin + size);
  };
  const int ok = stbi_write_png_to_func(append, &encoded, int(image.width()), int(image.height()),
                                        3, image.data(), int(image.width() * 3));
  if (ok == 0) throw IoError("write_png: encoding the PNG for '" + path.string() + "' failed");
  detail::write_file_atomically(path, encoded, "write_png");
}

}  // namespace polyleak
