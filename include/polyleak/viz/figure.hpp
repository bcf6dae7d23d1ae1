#pragma once
// Multi-panel figures: images with titles laid out on a grid, and scalar maps with colour bars.

#include <algorithm>
#include <string>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/viz/colormap.hpp"
#include "polyleak/viz/image.hpp"
#include "polyleak/viz/text.hpp"

namespace polyleak {

/// One panel of a figure: an image and the title written above it.
struct Panel {
  Image image;
  std::string title;
};

/// Layout of compose_figure().
struct FigureOptions {
  /// Panels per row (>= 1); rows are filled left to right, top to bottom.
  Index columns = 2;
  /// Space around and between panels, in pixels (>= 0).
  Index margin = 12;
  /// Text scales of the panel titles and of the figure title.
  Index panel_title_scale = 2;
  Index title_scale = 3;
  /// Written above all panels if not empty.
  std::string title;
  Rgb background = colors::white;
};

/// The panels on a grid, each cell as large as the largest panel (or title), titles centred above
/// them.
/// Throws InvalidArgument for no panels, columns < 1 or margin < 0. Cost: one copy of the
/// pixels.
inline Image compose_figure(const std::vector<Panel>& panels, const FigureOptions& options = {}) {
  POLYLEAK_REQUIRE(!panels.empty(), "a figure needs at least one panel");
  POLYLEAK_REQUIRE(options.columns >= 1,
                   "columns must be >= 1, got " + std::to_string(options.columns));
  POLYLEAK_REQUIRE(options.margin >= 0,
                   "margin must be >= 0, got " + std::to_string(options.margin));
  Index cell_width = 0, cell_height = 0, title_height = 0;
  for (const auto& panel : panels) {
    cell_width = std::max(cell_width, panel.image.width());
    cell_height = std::max(cell_height, panel.image.height());
    if (panel.title.empty()) continue;
    title_height = std::max(title_height, text_height(panel.title, options.panel_title_scale));
    cell_width = std::max(cell_width, text_width(panel.title, options.panel_title_scale));
  }
  const Index columns = std::min<Index>(options.columns, Index(panels.size()));
  const Index rows = (Index(panels.size()) + columns - 1) / columns;
  const Index figure_title_height =
      options.title.empty() ? 0 : text_height(options.title, options.title_scale);
  const Index m = options.margin;
  const Index row_height = title_height + cell_height + m;
  Image figure(m + columns * (cell_width + m), m + figure_title_height + rows * row_height,
               options.background);

  if (!options.title.empty())
    draw_text(figure, figure.width() / 2, m, options.title,
              {colors::black, options.title_scale, TextAlign::center});
  for (std::size_t k = 0; k < panels.size(); ++k) {
    const Index column = Index(k) % columns, row = Index(k) / columns;
    const Index x = m + column * (cell_width + m);
    const Index y = m + figure_title_height + row * row_height;
    draw_text(figure, x + cell_width / 2, y, panels[k].title,
              {colors::black, options.panel_title_scale, TextAlign::center});
    figure.blit(panels[k].image, x + (cell_width - panels[k].image.width()) / 2, y + title_height);
  }
  return figure;
}

/// `map` with a colour bar of `range` to its right (bar as high as the map, labels at scale 1).
inline Image with_color_bar(const Image& map, const ValueRange& range,
                            Colormap colormap = Colormap::viridis, Index bar_width = 14) {
  constexpr Index gap = 6;
  constexpr Index label_room = 60;
  Image out(map.width() + gap + bar_width + label_room, map.height());
  out.blit(map, 0, 0);
  draw_color_bar(out, map.width() + gap, 0, bar_width, map.height(), range, colormap);
  return out;
}

}  // namespace polyleak
