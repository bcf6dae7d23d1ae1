#pragma once
// Colormaps for scalar maps (a perceptually uniform viridis-like ramp, greys), distinct class
// colours, linear or logarithmic value ranges, colouring a raster and drawing a colour bar.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include <Eigen/Core>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/viz/draw.hpp"
#include "polyleak/viz/image.hpp"
#include "polyleak/viz/text.hpp"

namespace polyleak {

/// A map from [0, 1] to colours.
enum class Colormap {
  /// Dark violet through blue and green to yellow, with lightness rising linearly in OKLab:
  /// perceptually uniform, readable in grey print and by colour-blind readers.
  viridis,
  /// Black to white, linear in OKLab lightness.
  greys,
};

/// How values are mapped to [0, 1] before colouring.
enum class ValueScale { linear, logarithmic };

/// Colour used for NaN or values a logarithmic scale cannot show (<= 0).
inline constexpr Rgb missing_value_color{190, 190, 190};

namespace detail {

/// OKLab (L, a, b) to 8-bit sRGB, gamut-clipped. OKLab is the perceptual colour space of B.
/// Ottosson (2020); its matrices are its published definition.
inline Rgb oklab_to_srgb(double lightness, double a, double b) {
  const double l_ = lightness + 0.3963377774 * a + 0.2158037573 * b;
  const double m_ = lightness - 0.1055613458 * a - 0.0638541728 * b;
  const double s_ = lightness - 0.0894841775 * a - 1.2914855480 * b;
  const double l = l_ * l_ * l_, m = m_ * m_ * m_, s = s_ * s_ * s_;
  const double linear[3] = {4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
                            -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
                            -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s};
  std::uint8_t out[3];
  for (int c = 0; c < 3; ++c) {
    const double v = std::clamp(linear[c], 0.0, 1.0);
    const double encoded = v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1 / 2.4) - 0.055;
    out[c] = static_cast<std::uint8_t>(std::lround(255 * encoded));
  }
  return {out[0], out[1], out[2]};
}

/// 8-bit sRGB to OKLab (L, a, b).
inline std::array<double, 3> srgb_to_oklab(Rgb color) {
  const auto linear = [](std::uint8_t c) {
    const double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
  };
  const double r = linear(color.r), g = linear(color.g), b = linear(color.b);
  const double l = std::cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const double m = std::cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const double s = std::cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return {0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
          1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
          0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s};
}

inline constexpr int colormap_entries = 256;

/// The viridis-like table: five anchor hues (the endpoints and quartiles of the well-known
/// viridis ramp) converted to OKLab; chroma (a, b) is interpolated linearly between anchors,
/// lightness linearly from the first anchor to the last, so equal steps look equally large.
inline const std::array<Rgb, colormap_entries>& viridis_table() {
  static const std::array<Rgb, colormap_entries> table = [] {
    const std::array<Rgb, 5> anchors = {Rgb{0x44, 0x01, 0x54}, Rgb{0x3b, 0x52, 0x8b},
                                        Rgb{0x21, 0x91, 0x8c}, Rgb{0x5e, 0xc9, 0x62},
                                        Rgb{0xfd, 0xe7, 0x25}};
    std::array<std::array<double, 3>, 5> lab;
    for (std::size_t i = 0; i < anchors.size(); ++i)
      lab[i] = srgb_to_oklab(anchors[i]);
    std::array<Rgb, colormap_entries> out;
    for (int k = 0; k < colormap_entries; ++k) {
      const double t = double(k) / (colormap_entries - 1);
      const double position = t * double(anchors.size() - 1);
      const std::size_t i = std::min<std::size_t>(std::size_t(position), anchors.size() - 2);
      const double f = position - double(i);
      const double lightness = lab.front()[0] + t * (lab.back()[0] - lab.front()[0]);
      out[std::size_t(k)] = oklab_to_srgb(lightness, lab[i][1] + f * (lab[i + 1][1] - lab[i][1]),
                                          lab[i][2] + f * (lab[i + 1][2] - lab[i][2]));
    }
    return out;
  }();
  return table;
}

}  // namespace detail

/// The colour of `t` in [0, 1] (clamped); NaN gives missing_value_color. Deterministic; O(1).
inline Rgb colormap_color(Colormap map, double t) {
  if (std::isnan(t)) return missing_value_color;
  t = std::clamp(t, 0.0, 1.0);
  if (map == Colormap::greys) return detail::oklab_to_srgb(t, 0, 0);
  return detail::viridis_table()[std::size_t(std::lround(t * (detail::colormap_entries - 1)))];
}

/// The colour of class `label` (>= 0) from a qualitative palette of ten well-separated hues
/// (class 0 green and class 1 red, as in the thesis's figures); labels beyond ten repeat it.
inline Rgb class_color(Index label) {
  static constexpr std::array<Rgb, 10> palette = {
      Rgb{44, 160, 64},   Rgb{214, 48, 39},  Rgb{40, 100, 200}, Rgb{240, 150, 20},
      Rgb{150, 80, 190},  Rgb{30, 190, 200}, Rgb{140, 90, 50},  Rgb{230, 110, 190},
      Rgb{110, 110, 110}, Rgb{180, 190, 30}};
  POLYLEAK_REQUIRE(label >= 0, "class label must be >= 0, got " + std::to_string(label));
  return palette[std::size_t(label) % palette.size()];
}

/// A value range [low, high] on a linear or logarithmic scale.
struct ValueRange {
  double low = 0;
  double high = 1;
  ValueScale scale = ValueScale::linear;

  /// Position of `value` in the range as a number in [0, 1] (clamped); NaN for NaN, and for
  /// values <= 0 on a logarithmic scale. A degenerate range (low == high) maps to 0.5.
  double normalize(double value) const {
    if (std::isnan(value)) return value;
    if (scale == ValueScale::logarithmic) {
      if (value <= 0) return std::numeric_limits<double>::quiet_NaN();
      return high > low ? std::clamp(std::log(value / low) / std::log(high / low), 0.0, 1.0) : 0.5;
    }
    return high > low ? std::clamp((value - low) / (high - low), 0.0, 1.0) : 0.5;
  }

  /// The value at position t in [0, 1] (inverse of normalize on the range).
  double value_at(double t) const {
    return scale == ValueScale::logarithmic ? low * std::pow(high / low, t)
                                            : low + t * (high - low);
  }
};

/// The range spanned by the finite values of `values` (for a logarithmic scale, by the finite
/// positive ones). Throws InvalidArgument if there is no such value. Cost: one pass.
template <class Derived>
ValueRange value_range(const Eigen::DenseBase<Derived>& values,
                       ValueScale scale = ValueScale::linear) {
  double low = std::numeric_limits<double>::infinity();
  double high = -low;
  for (Index j = 0; j < values.cols(); ++j)
    for (Index i = 0; i < values.rows(); ++i) {
      const double v = double(values(i, j));
      if (!std::isfinite(v) || (scale == ValueScale::logarithmic && v <= 0)) continue;
      low = std::min(low, v);
      high = std::max(high, v);
    }
  POLYLEAK_REQUIRE(low <= high,
                   std::string("no ") +
                       (scale == ValueScale::logarithmic ? "finite positive" : "finite") +
                       " value to take a range of (" + std::to_string(values.size()) + " values)");
  return {low, high, scale};
}

/// An image of a raster map: pixel (x, y) shows values(y, x) (rows are image rows, top first)
/// through `map` on `range`. Cost: one pass.
template <class Derived>
Image colorize(const Eigen::DenseBase<Derived>& values, const ValueRange& range,
               Colormap map = Colormap::viridis) {
  Image image(values.cols(), values.rows());
  for (Index y = 0; y < values.rows(); ++y)
    for (Index x = 0; x < values.cols(); ++x)
      image.put(x, y, colormap_color(map, range.normalize(double(values(y, x)))));
  return image;
}

/// A short label for a number: up to 3 significant digits, exponent form for very large or
/// small magnitudes.
inline std::string format_number(double value) {
  char text[32];
  const double magnitude = std::abs(value);
  if (value != 0 && (magnitude >= 1e5 || magnitude < 1e-3))
    std::snprintf(text, sizeof text, "%.2e", value);
  else
    std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

/// Draws a vertical colour bar in [x, x + width) x [y, y + height) (high values at the top)
/// with its extreme and middle values written to its right in `text`'s style. Returns the
/// total width used, labels included.
inline Index draw_color_bar(Image& image, Index x, Index y, Index width, Index height,
                            const ValueRange& range, Colormap map = Colormap::viridis,
                            const TextStyle& text = {colors::black, 1}) {
  POLYLEAK_REQUIRE(width > 0 && height > 1, "colour bar needs a positive size, got " +
                                                std::to_string(width) + " x " +
                                                std::to_string(height));
  for (Index row = 0; row < height; ++row)
    fill_rectangle(image, x, y + row, width, 1,
                   colormap_color(map, 1.0 - double(row) / double(height - 1)));
  draw_rectangle(image, x, y, width, height, colors::black);

  Index label_width = 0;
  const Index tick = 3 * text.scale;
  const Index gap = 2 * tick;
  const Index half_line = 4 * text.scale;
  for (const double t : {1.0, 0.5, 0.0}) {
    const std::string label = format_number(range.value_at(t));
    const Index row = y + Index(std::lround((1 - t) * double(height - 1)));
    fill_rectangle(image, x + width, row, tick, 1, colors::black);
    draw_text(image, x + width + gap,
              std::clamp(row - half_line, y, std::max(y, y + height - 2 * half_line)), label, text);
    label_width = std::max(label_width, text_width(label, text.scale));
  }
  return width + gap + label_width;
}

}  // namespace polyleak
