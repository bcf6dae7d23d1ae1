#pragma once
// Viewport: the map between a box of slice coordinates (s, t) and the pixels of an image, and the
// projection of input points onto a plane slice.

#include <cmath>
#include <string>
#include <type_traits>

#include <Eigen/Dense>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/geometry/partition2d.hpp"
#include "polyleak/viz/draw.hpp"

namespace polyleak {

/// A box of slice coordinates shown on width x height pixels: s grows to the right, t upwards.
/// Pixel (x, y) samples the point at its centre, so pixel columns sit at
/// s = s_min + (x + 0.5) (s_max - s_min) / width and rows at t = t_max - (y + 0.5) (t_max - t_min)
/// / height.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct Viewport {
  SliceBox<Scalar> box;
  Index width = 0;
  Index height = 0;

  /// Throws InvalidArgument (naming `function`) unless the box is finite (corners, width, height
  /// and area; SliceBox::require_valid) and non-empty and the resolution positive.
  void require_valid(const char* function) const {
    box.require_valid(function);
    if (width <= 0 || height <= 0)
      detail::throw_invalid_argument(function, "resolution must be positive, got " +
                                                   std::to_string(width) + " x " +
                                                   std::to_string(height));
  }

  /// Slice coordinates of the centre of pixel (x, y).
  Point2<Scalar> pixel_centre(Index x, Index y) const {
    return {box.s_min + (Scalar(x) + Scalar(0.5)) * (box.s_max - box.s_min) / Scalar(width),
            box.t_max - (Scalar(y) + Scalar(0.5)) * (box.t_max - box.t_min) / Scalar(height)};
  }

  /// Image position (in pixels, fractional) of the slice point (s, t).
  ImagePoint to_image(const Point2<Scalar>& point) const {
    return {double(point.x() - box.s_min) / double(box.s_max - box.s_min) * double(width),
            double(box.t_max - point.y()) / double(box.t_max - box.t_min) * double(height)};
  }
};

/// Throws InvalidArgument (naming `function`) unless the slice's vectors have one dimension, are
/// finite, and its directions span a plane (not parallel, relative to their lengths).
template <RealScalar Scalar>
void require_plane_slice(const PlaneSlice<Scalar>& slice, const char* function) {
  const Index n = slice.origin.size();
  if (n < 2 || slice.first_direction.size() != n || slice.second_direction.size() != n)
    detail::throw_invalid_argument(
        function, "slice origin and directions must have one dimension >= 2, got " +
                      std::to_string(n) + ", " + std::to_string(slice.first_direction.size()) +
                      " and " + std::to_string(slice.second_direction.size()));
  require_finite(slice.origin, function, "slice origin");
  require_finite(slice.first_direction, function, "slice first direction");
  require_finite(slice.second_direction, function, "slice second direction");
  const Scalar u = slice.first_direction.norm(), v = slice.second_direction.norm();
  const Scalar cross = std::sqrt(std::max(
      Scalar(0),
      u * u * v * v - Scalar(std::pow(slice.first_direction.dot(slice.second_direction), 2))));
  if (!(u > 0 && v > 0 && cross > ScalarTraits<Scalar>::geometry_tolerance * u * v))
    detail::throw_invalid_argument(
        function, "slice directions must be non-zero and not parallel (lengths " +
                      std::to_string(u) + " and " + std::to_string(v) + ", sine of their angle " +
                      std::to_string(u > 0 && v > 0 ? cross / (u * v) : 0) + ")");
}

/// Slice coordinates (s, t) of input points (d x n, one per column): the orthogonal projection
/// onto the plane `origin + s u + t v`, i.e. the least-squares solution of [u v] (s, t) = x - o.
/// Throws InvalidArgument for mismatched dimensions or parallel (or zero) directions.
/// Cost: O(d n).
template <RealScalar Scalar>
Matrix<Scalar> slice_coordinates(
    const PlaneSlice<Scalar>& slice,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points) {
  require_plane_slice(slice, "slice_coordinates");
  POLYLEAK_REQUIRE(points.rows() == slice.dimension(),
                   "points have " + std::to_string(points.rows()) +
                       " coordinates, the slice lives in dimension " +
                       std::to_string(slice.dimension()));
  Matrix<Scalar> directions(slice.dimension(), 2);
  directions << slice.first_direction, slice.second_direction;
  const Eigen::Matrix<Scalar, 2, 2> gram = directions.transpose() * directions;
  return gram.inverse() * (directions.transpose() * (points.colwise() - slice.origin));
}

}  // namespace polyleak
