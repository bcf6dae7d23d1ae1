#pragma once
// GifWriter: an animated GIF written frame by frame through giflib, with a fixed 256-colour
// palette, so memory does not grow with the number of frames.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <gif_lib.h>

#include "polyleak/core/check.hpp"
#include "polyleak/core/error.hpp"
#include "polyleak/viz/detail/atomic_file.hpp"
#include "polyleak/viz/image.hpp"

namespace polyleak {

/// Options of an animated GIF.
struct GifOptions {
  /// Time each frame stays on screen, in hundredths of a second (GIF's unit), >= 0.
  Index delay_centiseconds = 10;
  /// Repeat the animation forever (NETSCAPE2.0 extension) instead of playing it once.
  bool loop = true;
  /// Ordered (4 x 4 Bayer) dithering: smooth gradients instead of bands of the fixed palette.
  bool dither = true;
};

namespace detail {

/// The fixed GIF palette: a 6 x 7 x 6 RGB cube (green gets more levels, the eye is most
/// sensitive to it) plus four greys that the cube lacks.
struct GifPalette {
  static constexpr int red_levels = 6, green_levels = 7, blue_levels = 6;
  static constexpr int cube_size = red_levels * green_levels * blue_levels;
  static constexpr std::array<std::uint8_t, 4> greys = {45, 96, 150, 210};

  static std::uint8_t level_value(int level, int levels) {
    return static_cast<std::uint8_t>(std::lround(255.0 * level / (levels - 1)));
  }

  /// The 256 colours in index order.
  static std::array<GifColorType, 256> colors() {
    std::array<GifColorType, 256> out{};
    for (int r = 0; r < red_levels; ++r)
      for (int g = 0; g < green_levels; ++g)
        for (int b = 0; b < blue_levels; ++b)
          out[std::size_t(index(r, g, b))] = {level_value(r, red_levels),
                                              level_value(g, green_levels),
                                              level_value(b, blue_levels)};
    for (std::size_t k = 0; k < greys.size(); ++k)
      out[std::size_t(cube_size) + k] = {greys[k], greys[k], greys[k]};
    return out;
  }

  static int index(int r, int g, int b) { return (r * green_levels + g) * blue_levels + b; }

  /// Palette index for `color`; `offset` in [-0.48, 0.48] shifts the rounding (ordered dither).
  static GifPixelType quantize(Rgb color, double offset) {
    const auto level = [offset](std::uint8_t c, int levels) {
      const double scaled = c / 255.0 * (levels - 1) + offset;
      return std::clamp(int(std::lround(scaled)), 0, levels - 1);
    };
    const int r = level(color.r, red_levels), g = level(color.g, green_levels);
    const int b = level(color.b, blue_levels);
    if (color.r != color.g || color.g != color.b) return GifPixelType(index(r, g, b));

    // Greys dither between neighbours on the grey ramp: black, the four extra greys, white.
    const std::array<int, 6> ramp = {0, greys[0], greys[1], greys[2], greys[3], 255};
    const std::array<int, 6> ramp_index = {
        index(0, 0, 0), cube_size,     cube_size + 1,
        cube_size + 2,  cube_size + 3, index(red_levels - 1, green_levels - 1, blue_levels - 1)};
    std::size_t k = 0;
    while (k + 2 < ramp.size() && color.r > ramp[k + 1])
      ++k;
    const double fraction = double(color.r - ramp[k]) / double(ramp[k + 1] - ramp[k]);
    return GifPixelType(fraction + offset >= 0.5 ? ramp_index[k + 1] : ramp_index[k]);
  }
};

inline std::string gif_error_text(int code) {
  const char* text = GifErrorString(code);
  return text != nullptr ? text : "giflib error " + std::to_string(code);
}

}  // namespace detail

/// Writes an animated GIF one frame at a time.
///
/// The constructor opens a temporary file next to `path`; finish() completes it and renames it
/// to `path`. If finish() is never reached (an exception, an early return) the destructor
/// removes the temporary file, so no partial GIF is ever left at `path`. Each frame is
/// quantised to a fixed 256-colour palette and written row by row: memory is O(width),
/// independent of the frame count. Not thread-safe; deterministic.
class GifWriter {
 public:
  /// Starts a width x height animation. Throws InvalidArgument for a non-positive size (or one
  /// beyond GIF's 65535) or a negative delay, IoError (naming the path) if the file cannot be
  /// created.
  GifWriter(std::filesystem::path path, Index width, Index height, GifOptions options = {})
      : path_(std::move(path)), width_(width), height_(height), options_(options) {
    constexpr Index gif_size_limit = 65535;
    POLYLEAK_REQUIRE(width > 0 && height > 0 && width <= gif_size_limit && height <= gif_size_limit,
                     "GIF size must be in 1..65535, got " + std::to_string(width) + " x " +
                         std::to_string(height) + " for '" + path_.string() + "'");
    POLYLEAK_REQUIRE(options.delay_centiseconds >= 0 && options.delay_centiseconds <= 65535,
                     "frame delay must be in 0..65535 centiseconds, got " +
                         std::to_string(options.delay_centiseconds));
    temporary_ = detail::temporary_path_for(path_);
    int error = 0;
    file_ = EGifOpenFileName(temporary_.c_str(), false, &error);
    if (file_ == nullptr)
      throw IoError("GifWriter: cannot create '" + path_.string() +
                    "': " + detail::gif_error_text(error) + " (does the folder exist?)");
    try {
      start();
    } catch (...) {
      abandon();
      throw;
    }
    row_.resize(std::size_t(width));
  }

  GifWriter(const GifWriter&) = delete;
  GifWriter& operator=(const GifWriter&) = delete;

  /// Removes the unfinished file if finish() was not called.
  ~GifWriter() { abandon(); }

  Index width() const noexcept { return width_; }
  Index height() const noexcept { return height_; }
  Index frame_count() const noexcept { return frames_; }

  /// Appends `frame` (width x height) shown for the default delay.
  void add_frame(const Image& frame) { add_frame(frame, options_.delay_centiseconds); }

  /// Appends `frame` shown for `delay_centiseconds`. Throws InvalidArgument for a frame of
  /// another size or after finish(), IoError if writing fails. Cost: O(width x height).
  void add_frame(const Image& frame, Index delay_centiseconds) {
    POLYLEAK_REQUIRE(file_ != nullptr, "the GIF '" + path_.string() + "' is already finished");
    POLYLEAK_REQUIRE(frame.width() == width_ && frame.height() == height_,
                     "frame is " + std::to_string(frame.width()) + " x " +
                         std::to_string(frame.height()) + ", the GIF '" + path_.string() + "' is " +
                         std::to_string(width_) + " x " + std::to_string(height_));
    POLYLEAK_REQUIRE(
        delay_centiseconds >= 0 && delay_centiseconds <= 65535,
        "frame delay must be in 0..65535 centiseconds, got " + std::to_string(delay_centiseconds));

    GraphicsControlBlock control{};
    control.DisposalMode = DISPOSE_DO_NOT;
    control.UserInputFlag = false;
    control.DelayTime = int(delay_centiseconds);
    control.TransparentColor = NO_TRANSPARENT_COLOR;
    GifByteType extension[4];
    const auto length = EGifGCBToExtension(&control, extension);
    check(EGifPutExtension(file_, GRAPHICS_EXT_FUNC_CODE, int(length), extension),
          "frame control block");
    check(EGifPutImageDesc(file_, 0, 0, int(width_), int(height_), false, nullptr),
          "image descriptor");

    // Slightly below 1 so that palette colours, rounded to 8 bits, map back onto themselves.
    constexpr double dither_amplitude = 0.96;
    static constexpr double bayer[4][4] = {
        {0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9}, {15, 7, 13, 5}};
    for (Index y = 0; y < height_; ++y) {
      for (Index x = 0; x < width_; ++x) {
        const double offset =
            options_.dither ? dither_amplitude * ((bayer[y % 4][x % 4] + 0.5) / 16 - 0.5) : 0.0;
        row_[std::size_t(x)] = detail::GifPalette::quantize(frame.pixel(x, y), offset);
      }
      check(EGifPutLine(file_, row_.data(), int(width_)), "pixel row");
    }
    ++frames_;
  }

  /// Completes the file and renames it to the target path. Throws InvalidArgument if no frame
  /// was added (the file is then removed), IoError if closing or renaming fails.
  void finish() {
    POLYLEAK_REQUIRE(file_ != nullptr, "the GIF '" + path_.string() + "' is already finished");
    if (frames_ == 0) {
      abandon();
      POLYLEAK_REQUIRE(false, "the GIF '" + path_.string() + "' has no frame");
    }
    int error = 0;
    GifFileType* file = file_;
    file_ = nullptr;
    if (EGifCloseFile(file, &error) != GIF_OK) {
      detail::remove_quietly(temporary_);
      throw IoError("GifWriter: closing '" + path_.string() +
                    "' failed: " + detail::gif_error_text(error));
    }
    // giflib creates the file readable by its owner only; give it the usual rw-r--r--.
    std::error_code ignored;
    std::filesystem::permissions(
        temporary_,
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
            std::filesystem::perms::group_read | std::filesystem::perms::others_read,
        ignored);
    detail::commit_temporary_file(temporary_, path_, "GifWriter::finish");
  }

 private:
  void start() {
    EGifSetGifVersion(file_, true);
    const auto palette_colors = detail::GifPalette::colors();
    ColorMapObject* palette = GifMakeMapObject(256, palette_colors.data());
    if (palette == nullptr) throw IoError("GifWriter: cannot allocate the GIF palette");
    const int status = EGifPutScreenDesc(file_, int(width_), int(height_), 8, 0, palette);
    GifFreeMapObject(palette);
    check(status, "screen descriptor");
    if (options_.loop) {
      // NETSCAPE2.0 application extension: sub-block 1, loop count 0 (forever).
      static constexpr GifByteType application[] = {'N', 'E', 'T', 'S', 'C', 'A',
                                                    'P', 'E', '2', '.', '0'};
      static constexpr GifByteType loop_forever[] = {1, 0, 0};
      check(EGifPutExtensionLeader(file_, APPLICATION_EXT_FUNC_CODE), "loop extension");
      check(EGifPutExtensionBlock(file_, sizeof application, application), "loop extension");
      check(EGifPutExtensionBlock(file_, sizeof loop_forever, loop_forever), "loop extension");
      check(EGifPutExtensionTrailer(file_), "loop extension");
    }
  }

  void check(int status, const char* what) {
    if (status == GIF_OK) return;
    const int error = file_ != nullptr ? file_->Error : 0;
    abandon();
    throw IoError("GifWriter: writing the " + std::string(what) + " of '" + path_.string() +
                  "' failed: " + detail::gif_error_text(error));
  }

  void abandon() noexcept {
    if (file_ == nullptr) return;
    int ignored = 0;
    EGifCloseFile(file_, &ignored);
    file_ = nullptr;
    detail::remove_quietly(temporary_);
  }

  std::filesystem::path path_;
  std::filesystem::path temporary_;
  Index width_;
  Index height_;
  GifOptions options_;
  GifFileType* file_ = nullptr;
  std::vector<GifPixelType> row_;
  Index frames_ = 0;
};

}  // namespace polyleak
