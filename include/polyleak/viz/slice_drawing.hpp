#pragma once
// Exact drawings of a plane slice: the regions of a Partition2d (outlines, optional fills), the
// decision boundary, and training points, as a Scene (PNG or SVG).

#include <string>
#include <type_traits>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/geometry/partition2d.hpp"
#include "polyleak/viz/colormap.hpp"
#include "polyleak/viz/scene.hpp"
#include "polyleak/viz/viewport.hpp"

namespace polyleak {

/// How the regions of a partition are filled.
enum class RegionFill {
  none,
  /// A light tint of the class the region's polytope function predicts at its centroid.
  predicted_class,
  /// RegionDrawingOptions::region_values through a colormap.
  values,
};

/// Options of region_scene().
struct RegionDrawingOptions {
  Rgb outline = {70, 70, 70};
  /// Outline width in pixels; 0 draws no region outlines.
  double outline_width = 0.8;
  RegionFill fill = RegionFill::none;
  /// With RegionFill::values: one value per region, in Partition2d::regions() order.
  std::vector<double> region_values;
  ValueScale value_scale = ValueScale::linear;
  Colormap colormap = Colormap::viridis;
  double fill_opacity = 0.35;
  bool decision_boundary = true;
  Rgb boundary_color = colors::black;
  double boundary_width = 2.5;
};

/// A Scene of width x height pixels showing the partition's box: every region's outline (and
/// fill), with the decision boundary on top. Throws InvalidArgument for a non-positive size or,
/// with RegionFill::values, a value count different from the region count.
/// @tparam Scalar float or double. Cost: linear in the partition's size. Deterministic.
template <RealScalar Scalar>
Scene region_scene(const Partition2d<Scalar>& partition, Index width, Index height,
                   const RegionDrawingOptions& options = {}) {
  const Viewport<Scalar> viewport{partition.box(), width, height};
  viewport.require_valid("region_scene");
  const auto& regions = partition.regions();
  if (options.fill == RegionFill::values)
    POLYLEAK_REQUIRE(options.region_values.size() == regions.size(),
                     "got " + std::to_string(options.region_values.size()) + " region values for " +
                         std::to_string(regions.size()) + " regions");
  ValueRange range;
  if (options.fill == RegionFill::values && !regions.empty())
    range = value_range(Eigen::Map<const Eigen::VectorXd>(options.region_values.data(),
                                                          Index(options.region_values.size())),
                        options.value_scale);

  Scene scene;
  scene.width = width;
  scene.height = height;
  scene.polygons.reserve(regions.size());
  for (std::size_t r = 0; r < regions.size(); ++r) {
    const auto& region = regions[r];
    ScenePolygon polygon;
    Point2<Scalar> centroid = Point2<Scalar>::Zero();
    for (const auto& v : region.vertices) {
      polygon.vertices.push_back(viewport.to_image(v));
      centroid += v / Scalar(region.vertices.size());
    }
    if (options.fill == RegionFill::predicted_class) {
      Index predicted = 0;
      (region.slice_jacobian * centroid + region.slice_bias).maxCoeff(&predicted);
      polygon.fill = class_color(predicted);
    } else if (options.fill == RegionFill::values) {
      polygon.fill = colormap_color(options.colormap, range.normalize(options.region_values[r]));
    }
    polygon.fill_opacity = options.fill_opacity;
    polygon.outline = options.outline;
    polygon.outline_width = options.outline_width;
    scene.polygons.push_back(std::move(polygon));
  }
  if (options.decision_boundary)
    for (const auto& segment : partition.decision_boundary())
      scene.lines.push_back({viewport.to_image(segment.from), viewport.to_image(segment.to),
                             options.boundary_color, options.boundary_width});
  return scene;
}

/// Adds a marker in its class colour for every point (slice coordinates, 2 x n, e.g. from
/// slice_coordinates()) that lies in the viewport's box: filled for members, rings (hollow) for
/// non-members, as `style` says. Throws InvalidArgument for a label count different from n.
template <RealScalar Scalar>
void add_training_points(Scene& scene, const Viewport<Scalar>& viewport,
                         const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points,
                         const std::vector<Index>& labels, MarkerStyle style, double radius = 3.0) {
  POLYLEAK_REQUIRE(points.rows() == 2, "points must be 2 x n slice coordinates, got " +
                                           std::to_string(points.rows()) + " rows");
  POLYLEAK_REQUIRE(Index(labels.size()) == points.cols(),
                   "got " + std::to_string(labels.size()) + " labels for " +
                       std::to_string(points.cols()) + " points");
  const auto& box = viewport.box;
  for (Index j = 0; j < points.cols(); ++j) {
    const Point2<Scalar> p = points.col(j);
    if (p.x() < box.s_min || p.x() > box.s_max || p.y() < box.t_min || p.y() > box.t_max) continue;
    scene.markers.push_back(
        {viewport.to_image(p), radius, class_color(labels[std::size_t(j)]), style});
  }
}

}  // namespace polyleak
