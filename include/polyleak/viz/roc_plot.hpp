#pragma once
// ROC curves on log-log axes, as in Carlini et al.'s LiRA paper: the low-FPR corner, where a
// membership-inference attack is useful, gets most of the picture.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/viz/colormap.hpp"
#include "polyleak/viz/draw.hpp"
#include "polyleak/viz/image.hpp"
#include "polyleak/viz/text.hpp"

namespace polyleak {

/// One curve of an ROC plot: vertices (FPR, TPR) in order of increasing FPR.
struct RocPlotSeries {
  std::string label;
  std::vector<double> false_positive_rates;
  std::vector<double> true_positive_rates;
};

/// Layout of render_roc_plot().
struct RocPlotOptions {
  Index width = 640;
  Index height = 600;
  /// Smallest rate on both axes (a power of ten in (0, 1)); smaller rates, 0 included, are
  /// drawn on the axis.
  double minimum_rate = 1e-3;
  std::string title = "ROC";
};

namespace detail {
inline constexpr Index roc_plot_margin_left = 90, roc_plot_margin_right = 20;
inline constexpr Index roc_plot_margin_top = 40, roc_plot_margin_bottom = 60;
inline constexpr double roc_plot_line_width = 2.0;
inline constexpr Index roc_plot_legend_line = 20, roc_plot_legend_row = 18;
}  // namespace detail

/// Draws the series on log-log axes from options.minimum_rate to 1, with decade grid lines, the
/// chance diagonal (dashed grey), a legend in the lower right (colours from class_color(), in
/// series order) and the title. Throws InvalidArgument for mismatched series lengths, rates outside
/// [0, 1] or NaN, a minimum_rate outside (0, 1), or a size too small for the margins. Cost:
/// proportional to the vertices and the image size. Deterministic.
inline Image render_roc_plot(const std::vector<RocPlotSeries>& series,
                             const RocPlotOptions& options = {}) {
  using namespace detail;
  POLYLEAK_REQUIRE(options.minimum_rate > 0 && options.minimum_rate < 1,
                   "minimum rate " + std::to_string(options.minimum_rate) + " is outside (0, 1)");
  const Index plot_width = options.width - roc_plot_margin_left - roc_plot_margin_right;
  const Index plot_height = options.height - roc_plot_margin_top - roc_plot_margin_bottom;
  POLYLEAK_REQUIRE(plot_width >= 50 && plot_height >= 50,
                   "ROC plot of " + std::to_string(options.width) + " x " +
                       std::to_string(options.height) + " pixels leaves no room for the axes");
  for (const RocPlotSeries& s : series) {
    POLYLEAK_REQUIRE(s.false_positive_rates.size() == s.true_positive_rates.size(),
                     "ROC series '" + s.label + "' has " +
                         std::to_string(s.false_positive_rates.size()) + " FPRs and " +
                         std::to_string(s.true_positive_rates.size()) + " TPRs");
    for (const auto* rates : {&s.false_positive_rates, &s.true_positive_rates})
      for (const double r : *rates)
        POLYLEAK_REQUIRE(r >= 0 && r <= 1, "ROC series '" + s.label + "' has rate " +
                                               std::to_string(r) + ", expected [0, 1]");
  }

  Image image(options.width, options.height);
  const double decades = -std::log10(options.minimum_rate);
  const auto to_x = [&](double rate) {
    const double t = (std::log10(std::max(rate, options.minimum_rate)) + decades) / decades;
    return double(roc_plot_margin_left) + t * double(plot_width);
  };
  const auto to_y = [&](double rate) {
    const double t = (std::log10(std::max(rate, options.minimum_rate)) + decades) / decades;
    return double(roc_plot_margin_top) + (1 - t) * double(plot_height);
  };

  // Decade grid lines with labels, then the frame.
  for (double rate = 1; rate >= options.minimum_rate * (1 - 1e-9); rate /= 10) {
    const double x = to_x(rate), y = to_y(rate);
    draw_line(image, {x, double(roc_plot_margin_top)},
              {x, double(roc_plot_margin_top + plot_height)}, colors::light_grey);
    draw_line(image, {double(roc_plot_margin_left), y},
              {double(roc_plot_margin_left + plot_width), y}, colors::light_grey);
    const int exponent = int(std::lround(std::log10(rate)));
    const std::string label = exponent == 0 ? "1" : "1e" + std::to_string(exponent);
    draw_text(image, Index(x), roc_plot_margin_top + plot_height + 8, label,
              {.align = TextAlign::center});
    draw_text(image, roc_plot_margin_left - 8, Index(y) - 6, label, {.align = TextAlign::right});
  }
  draw_rectangle(image, roc_plot_margin_left, roc_plot_margin_top, plot_width + 1, plot_height + 1,
                 colors::black);
  draw_text(image, roc_plot_margin_left + plot_width / 2, options.height - 28,
            "false positive rate", {.align = TextAlign::center});
  draw_text(image, 10, roc_plot_margin_top + plot_height / 2, "true positive rate",
            {.align = TextAlign::center, .vertical = true});
  draw_text(image, options.width / 2, 10, options.title, {.align = TextAlign::center});

  // Chance: TPR = FPR, a straight diagonal on log-log axes, drawn dashed.
  constexpr int dashes = 40;
  for (int k = 0; k < dashes; k += 2) {
    const double a = options.minimum_rate * std::pow(10.0, decades * k / dashes);
    const double b = options.minimum_rate * std::pow(10.0, decades * (k + 1) / dashes);
    draw_line(image, {to_x(a), to_y(a)}, {to_x(b), to_y(b)}, colors::grey);
  }

  for (std::size_t i = 0; i < series.size(); ++i) {
    const RocPlotSeries& s = series[i];
    std::vector<ImagePoint> points;
    for (std::size_t k = 0; k < s.false_positive_rates.size(); ++k)
      points.emplace_back(to_x(s.false_positive_rates[k]), to_y(s.true_positive_rates[k]));
    draw_polyline(image, points, class_color(Index(i)), roc_plot_line_width);
  }

  // Legend on a white box in the lower right, below the chance diagonal, where useful curves
  // rarely go.
  if (series.empty()) return image;
  Index legend_width = 0;
  for (const RocPlotSeries& s : series)
    legend_width = std::max(legend_width, roc_plot_legend_line + 6 + text_width(s.label));
  const Index rows = Index(series.size()) * roc_plot_legend_row;
  const Index legend_x = roc_plot_margin_left + plot_width - 10 - legend_width;
  const Index legend_top = roc_plot_margin_top + plot_height - 10 - rows;
  fill_rectangle(image, legend_x - 6, legend_top - 6, legend_width + 12, rows + 8, colors::white);
  draw_rectangle(image, legend_x - 6, legend_top - 6, legend_width + 12, rows + 8,
                 colors::light_grey);
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Index y = legend_top + Index(i) * roc_plot_legend_row;
    draw_line(image, {double(legend_x), double(y + 6)},
              {double(legend_x + roc_plot_legend_line), double(y + 6)}, class_color(Index(i)),
              roc_plot_line_width);
    draw_text(image, legend_x + roc_plot_legend_line + 6, y, series[i].label);
  }
  return image;
}

}  // namespace polyleak
