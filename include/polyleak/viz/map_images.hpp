#pragma once
// Images of raster maps: scalar maps through a colormap with a colour bar, decision regions in
// class colours with the boundary, activation-region edges; overlays of vector scenes.

#include <optional>

#include "polyleak/viz/colormap.hpp"
#include "polyleak/viz/figure.hpp"
#include "polyleak/viz/image.hpp"
#include "polyleak/viz/raster_maps.hpp"
#include "polyleak/viz/scene.hpp"

namespace polyleak {

/// Options of raster_map_image().
struct MapImageOptions {
  ValueScale scale = ValueScale::linear;
  Colormap colormap = Colormap::viridis;
  /// Append a colour bar (real-valued maps only).
  bool color_bar = true;
  /// Value range of the colours; the map's own range if not set.
  std::optional<ValueRange> range;
  /// Opacity of the class colours in the decision-region and region-edge maps.
  double class_tint = 0.45;
  Rgb edge_color = {40, 40, 40};
};

/// An image of map `map` of `maps`, one image pixel per raster pixel (plus the colour bar):
/// real-valued maps through the colormap; predicted_class as tinted class colours with the
/// decision boundary (pixels whose class differs from the right or lower neighbour's) in black;
/// region_edges as the edge pixels over tinted class colours. Throws InvalidArgument for
/// region_edges if the maps were computed without regions, or an empty map.
/// @tparam Scalar float or double. Cost: one pass over the pixels.
template <RealScalar Scalar>
Image raster_map_image(const RasterMaps<Scalar>& maps, RasterMap map,
                       const MapImageOptions& options = {}) {
  const Index width = maps.width(), height = maps.height();
  POLYLEAK_REQUIRE(width > 0 && height > 0, "the raster maps are empty");
  if (map != RasterMap::predicted_class && map != RasterMap::region_edges) {
    const auto& values = maps.values(map);
    const ValueRange range = options.range ? *options.range : value_range(values, options.scale);
    const Image image = colorize(values, range, options.colormap);
    return options.color_bar ? with_color_bar(image, range, options.colormap) : image;
  }
  POLYLEAK_REQUIRE(map == RasterMap::predicted_class || maps.region_edges.size() > 0,
                   "the region-edge map was not computed (RasterOptions::regions is false)");
  Image image(width, height);
  const auto& classes = maps.predicted_class;
  for (Index y = 0; y < height; ++y)
    for (Index x = 0; x < width; ++x) {
      const Index c = classes(y, x);
      Rgb color = mix(colors::white, class_color(c), options.class_tint);
      if (map == RasterMap::region_edges) {
        if (maps.region_edges(y, x)) color = options.edge_color;
      } else if ((x + 1 < width && classes(y, x + 1) != c) ||
                 (y + 1 < height && classes(y + 1, x) != c)) {
        color = colors::black;
      }
      image.put(x, y, color);
    }
  return image;
}

/// Draws `scene` (e.g. training points from add_training_points()) over `image` without its
/// background, and returns the result.
inline Image with_overlay(Image image, const Scene& scene) {
  Scene overlay = scene;
  overlay.background.reset();
  render(overlay, image);
  return image;
}

}  // namespace polyleak
