#pragma once
// Scalar types, Eigen aliases and per-scalar tolerances.
//
// Layout convention of all of polyleak: a batch of points is a matrix with one point per column
// (input dimension x point count, column-major), so that a layer is one matrix product W * X.

#include <concepts>

#include <Eigen/Core>

namespace polyleak {

/// The scalar types polyleak is instantiated for.
template <class T>
concept RealScalar = std::same_as<T, float> || std::same_as<T, double>;

using Index = Eigen::Index;

template <RealScalar Scalar>
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

template <RealScalar Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

template <RealScalar Scalar>
using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

/// Tolerances, one set per scalar type; code uses these instead of bare literals.
template <RealScalar Scalar>
struct ScalarTraits;

template <>
struct ScalarTraits<float> {
  /// Points closer than this (relative to the pre-activation scale) to a hyperplane count as on it.
  static constexpr float geometry_tolerance = 1e-4f;
  /// Step and relative tolerance for central-difference derivative checks.
  static constexpr float difference_step = 1e-2f;
  static constexpr float derivative_tolerance = 2e-2f;
  /// Tolerance for comparing two computations of the same quantity in different orders.
  static constexpr float equality_tolerance = 1e-4f;
  /// Pieces of a 2-D partition smaller than this fraction of the domain area are not split off.
  static constexpr float sliver_area_tolerance = 1e-7f;
  /// Largest KKT residual (relative to 1 + ||x0||_inf) accepted from a convex program such as
  /// the L2 projection of boundary_distance().
  static constexpr float optimality_tolerance = 1e-6f;
};

template <>
struct ScalarTraits<double> {
  static constexpr double geometry_tolerance = 1e-9;
  static constexpr double difference_step = 1e-6;
  static constexpr double derivative_tolerance = 1e-6;
  static constexpr double equality_tolerance = 1e-10;
  static constexpr double sliver_area_tolerance = 1e-14;
  static constexpr double optimality_tolerance = 1e-9;
};

}  // namespace polyleak
