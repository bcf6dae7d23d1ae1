#pragma once
// Convex polygons in the plane and their splitting by a line: the building block of the exact
// 2-D partition and of the 2-D vertices of a polytope.

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "polyleak/core/scalar.hpp"

namespace polyleak::detail {

template <RealScalar Scalar>
using Point2 = Eigen::Matrix<Scalar, 2, 1>;

/// A convex polygon with counter-clockwise vertices. Edge k runs from vertex k to vertex k+1
/// (cyclically) and carries a label: the hyperplane (or box side) it lies on, chosen by the caller.
template <RealScalar Scalar>
struct ConvexPolygon {
  std::vector<Point2<Scalar>> vertices;
  std::vector<Index> edge_labels;

  Index size() const noexcept { return Index(vertices.size()); }
};

/// Label of an edge that lies on no labelled line (for example a side of the domain box).
inline constexpr Index unlabelled_edge = -1;

/// The axis-aligned box [x0, x1] x [y0, y1] as a counter-clockwise polygon; its edges are labelled
/// `side_label(k)` for the bottom, right, top and left side, k = 0..3.
template <RealScalar Scalar, class SideLabel>
ConvexPolygon<Scalar> box_polygon(Scalar x0, Scalar x1, Scalar y0, Scalar y1,
                                  SideLabel side_label) {
  ConvexPolygon<Scalar> box;
  box.vertices = {Point2<Scalar>(x0, y0), Point2<Scalar>(x1, y0), Point2<Scalar>(x1, y1),
                  Point2<Scalar>(x0, y1)};
  for (Index k = 0; k < 4; ++k)
    box.edge_labels.push_back(side_label(k));
  return box;
}

/// Signed area (positive for counter-clockwise vertices), by the shoelace formula.
template <RealScalar Scalar>
Scalar signed_area(const std::vector<Point2<Scalar>>& vertices) {
  Scalar twice = 0;
  const std::size_t n = vertices.size();
  for (std::size_t k = 0; k < n; ++k) {
    const auto& p = vertices[k];
    const auto& q = vertices[(k + 1) % n];
    twice += p.x() * q.y() - p.y() * q.x();
  }
  return twice / 2;
}

/// Area centroid of a polygon with positive area; the vertex mean for a degenerate one.
template <RealScalar Scalar>
Point2<Scalar> centroid(const std::vector<Point2<Scalar>>& vertices) {
  Point2<Scalar> mean = Point2<Scalar>::Zero();
  for (const auto& p : vertices)
    mean += p;
  mean /= Scalar(std::max<std::size_t>(vertices.size(), 1));
  // Moments about the vertex mean keep the cancellation small.
  Scalar twice_area = 0;
  Point2<Scalar> moment = Point2<Scalar>::Zero();
  const std::size_t n = vertices.size();
  for (std::size_t k = 0; k < n; ++k) {
    const Point2<Scalar> p = vertices[k] - mean;
    const Point2<Scalar> q = vertices[(k + 1) % n] - mean;
    const Scalar cross = p.x() * q.y() - p.y() * q.x();
    twice_area += cross;
    moment += cross * (p + q);
  }
  if (!(std::abs(twice_area) > 0)) return mean;
  return mean + moment / (Scalar(3) * twice_area);
}

/// Values of the affine function `normal . x + offset` at the vertices, with values within
/// `tolerance * scale` of zero set to exactly zero, where scale is the largest magnitude of the
/// terms `|normal_0 x_0| + |normal_1 x_1| + |offset|` over the vertices. Returns the counts of
/// positive and negative values.
template <RealScalar Scalar>
std::pair<Index, Index> snapped_line_values(const ConvexPolygon<Scalar>& polygon,
                                            const Point2<Scalar>& normal, Scalar offset,
                                            Scalar tolerance, std::vector<Scalar>& values) {
  const std::size_t n = polygon.vertices.size();
  values.resize(n);
  Scalar scale = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const auto& p = polygon.vertices[k];
    values[k] = normal.x() * p.x() + normal.y() * p.y() + offset;
    scale = std::max(
        scale, std::abs(normal.x() * p.x()) + std::abs(normal.y() * p.y()) + std::abs(offset));
  }
  Index positive = 0;
  Index negative = 0;
  for (auto& value : values) {
    if (std::abs(value) <= tolerance * scale)
      value = 0;
    else if (value > 0)
      ++positive;
    else
      ++negative;
  }
  return {positive, negative};
}

/// Splits a convex polygon by a line given its snapped vertex values (see snapped_line_values;
/// requires at least one positive and one negative value). `positive` receives the part where the
/// values are >= 0, `negative` the part where they are <= 0, both counter-clockwise; the new edge
/// on the line gets `label`, cut edges keep theirs. Cost O(vertices).
template <RealScalar Scalar>
void split_convex_polygon(const ConvexPolygon<Scalar>& polygon, const std::vector<Scalar>& values,
                          Index label, ConvexPolygon<Scalar>& positive,
                          ConvexPolygon<Scalar>& negative) {
  positive.vertices.clear();
  positive.edge_labels.clear();
  negative.vertices.clear();
  negative.edge_labels.clear();
  const std::size_t n = polygon.vertices.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t next = (k + 1) % n;
    const Scalar f = values[k];
    const Scalar g = values[next];
    const Index edge = polygon.edge_labels[k];
    const auto& p = polygon.vertices[k];
    // A vertex on the line whose outgoing edge leaves a side starts that side's edge on the line.
    if (f >= 0) {
      positive.vertices.push_back(p);
      positive.edge_labels.push_back(f == 0 && g < 0 ? label : edge);
    }
    if (f <= 0) {
      negative.vertices.push_back(p);
      negative.edge_labels.push_back(f == 0 && g > 0 ? label : edge);
    }
    if ((f > 0 && g < 0) || (f < 0 && g > 0)) {
      const Point2<Scalar> crossing = p + (f / (f - g)) * (polygon.vertices[next] - p);
      positive.vertices.push_back(crossing);
      positive.edge_labels.push_back(f > 0 ? label : edge);
      negative.vertices.push_back(crossing);
      negative.edge_labels.push_back(f < 0 ? label : edge);
    }
  }
}

/// Keeps the part of a convex polygon where `normal . x + offset >= 0` (values snapped as in
/// snapped_line_values); the new edge gets `label`. Returns false when nothing of positive extent
/// is left (the polygon is then cleared). Cost O(vertices).
template <RealScalar Scalar>
bool clip_convex_polygon(ConvexPolygon<Scalar>& polygon, const Point2<Scalar>& normal,
                         Scalar offset, Index label, Scalar tolerance) {
  std::vector<Scalar> values;
  const auto [positive, negative] = snapped_line_values(polygon, normal, offset, tolerance, values);
  if (negative == 0) return true;
  if (positive == 0) {
    polygon.vertices.clear();
    polygon.edge_labels.clear();
    return false;
  }
  ConvexPolygon<Scalar> kept;
  ConvexPolygon<Scalar> dropped;
  split_convex_polygon(polygon, values, label, kept, dropped);
  polygon = std::move(kept);
  return true;
}

}  // namespace polyleak::detail
