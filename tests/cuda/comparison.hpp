#pragma once
// Comparisons of the CUDA passes' results with the CPU reference, shared by the CPU test of the
// passes (host executor) and the GPU test (CUDA executor), and the cases both run.
//
// Tolerances (docs/cuda.md): matrices, biases and logits within ScalarTraits::equality_tolerance
// (1e-4 float, 1e-10 double) of the largest magnitude (at least 1); the spectral norm within the
// square root of it (the Gram route squares the condition); patterns and classes exactly. Points
// with a hidden pre-activation within ScalarTraits::geometry_tolerance of 0 (relative to the
// largest |z| of that layer at the point, at least 1) may fall on either side of the hyperplane
// with different rounding, so they are left out of every comparison and counted; a case fails
// if more than half of its points are left out.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "../geometry/test_networks.hpp"
#include "polyleak/core/backend.hpp"
#include "polyleak/core/random.hpp"
#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/geometry/batched_polytope_functions.hpp"
#include "polyleak/nn/mlp.hpp"
#include "polyleak/viz/raster_maps.hpp"

namespace polyleak::test {

/// max |a - b| / max(1, max |b|), 0 for empty matrices.
template <class A, class B>
double relative_difference(const A& a, const B& b) {
  if (b.size() == 0) return 0;
  return double((a - b).cwiseAbs().maxCoeff()) / std::max(1.0, double(b.cwiseAbs().maxCoeff()));
}

/// For each point (column), whether a hidden pre-activation lies within the geometry tolerance
/// of 0, relative to the largest |z| of its layer at that point (at least 1).
template <RealScalar Scalar>
std::vector<bool> near_hyperplane(const Mlp<Scalar>& network, const Matrix<Scalar>& points) {
  std::vector<bool> near(std::size_t(points.cols()), false);
  if (points.cols() == 0) return near;
  const auto z = network.pre_activations(points);
  for (Index l = 0; l < network.hidden_layer_count(); ++l) {
    const Matrix<Scalar>& zl = z[std::size_t(l)];
    for (Index j = 0; j < zl.cols(); ++j) {
      const Scalar scale = std::max(Scalar(1), zl.col(j).cwiseAbs().maxCoeff());
      if (zl.col(j).cwiseAbs().minCoeff() <= ScalarTraits<Scalar>::geometry_tolerance * scale)
        near[std::size_t(j)] = true;
    }
  }
  return near;
}

/// Number of true entries; fails the case if they are more than half of all (a wide float
/// network has a pre-activation within tolerance of 0 at about a quarter of the points).
inline Index count_left_out(const std::vector<bool>& near) {
  const Index count = Index(std::count(near.begin(), near.end(), true));
  CHECK(2 * count <= Index(near.size()));
  return count;
}

/// Whether the two largest logits of a point are within tolerance of each other (a tie whose
/// arg max may depend on rounding).
template <class Column>
bool tied_classes(const Column& logits, double tolerance) {
  if (logits.size() < 2) return false;
  std::vector<double> values(logits.data(), logits.data() + logits.size());
  std::partial_sort(values.begin(), values.begin() + 2, values.end(), std::greater<>());
  return values[0] - values[1] <= tolerance * std::max(1.0, std::abs(values[0]));
}

/// Polytope functions of the points against the CPU's, point by point.
template <RealScalar Scalar>
void check_functions(const PolytopeFunctionBatch<Scalar>& got,
                     const PolytopeFunctionBatch<Scalar>& want, const std::vector<bool>& near) {
  const double tolerance = ScalarTraits<Scalar>::equality_tolerance;
  REQUIRE(got.size() == want.size());
  REQUIRE(got.matrices.rows() == want.matrices.rows());
  REQUIRE(got.matrices.cols() == want.matrices.cols());
  REQUIRE(got.biases.rows() == want.biases.rows());
  for (Index j = 0; j < want.size(); ++j) {
    if (near[std::size_t(j)]) continue;
    CAPTURE(j);
    CHECK(relative_difference(got.matrix(j), want.matrix(j)) <= tolerance);
    CHECK(relative_difference(got.biases.col(j), want.biases.col(j)) <= tolerance);
    CHECK(relative_difference(got.logits.col(j), want.logits.col(j)) <= tolerance);
  }
}

/// Norms of the points against the CPU's (`logits` are the CPU's, for ties and scales).
template <RealScalar Scalar>
void check_norms(const PolytopeNorms<Scalar>& got, const PolytopeNorms<Scalar>& want,
                 const Matrix<Scalar>& points, const Matrix<Scalar>& logits,
                 const std::vector<bool>& near) {
  const double tolerance = ScalarTraits<Scalar>::equality_tolerance;
  REQUIRE(got.size() == want.size());
  REQUIRE(got.predicted_class.size() == want.predicted_class.size());
  for (Index j = 0; j < want.size(); ++j) {
    if (near[std::size_t(j)]) continue;
    CAPTURE(j);
    const double frobenius = want.frobenius_norm(j), output = want.output_norm(j);
    const double scale = std::max(1.0, frobenius);
    // b = z - A x: its rounding scales with |z| + |A| |x|.
    const double bias_scale = std::max(1.0, output + frobenius * double(points.col(j).norm()));
    CHECK(std::abs(got.frobenius_norm(j) - frobenius) <= tolerance * scale);
    CHECK(std::abs(got.spectral_norm(j) - want.spectral_norm(j)) <= std::sqrt(tolerance) * scale);
    CHECK(std::abs(got.bias_max_norm(j) - want.bias_max_norm(j)) <= tolerance * bias_scale);
    CHECK(std::abs(got.output_norm(j) - output) <= tolerance * std::max(1.0, output));
    CHECK(std::abs(got.confidence(j) - want.confidence(j)) <= tolerance * std::max(1.0, output));
    if (!tied_classes(logits.col(j), tolerance))
      CHECK(got.predicted_class[std::size_t(j)] == want.predicted_class[std::size_t(j)]);
  }
}

/// Packed patterns against the CPU's activation_patterns, exactly except for left-out points.
template <RealScalar Scalar>
void check_patterns(const ActivationPatternBatch& got, const std::vector<ActivationPattern>& want,
                    const Mlp<Scalar>& network, const std::vector<bool>& near) {
  REQUIRE(got.size() == Index(want.size()));
  CHECK(got.zeros == ActivationPattern::zeros_for(network));
  for (Index j = 0; j < got.size(); ++j) {
    if (near[std::size_t(j)]) continue;
    CAPTURE(j);
    CHECK(got.pattern(j) == want[std::size_t(j)]);
  }
}

/// Raster maps against the CPU's: values and classes at pixels off the hyperplanes, edges where
/// the pixel and its right and lower neighbours are, the region count within the number of
/// left-out pixels.
template <RealScalar Scalar>
void check_raster(const RasterMaps<Scalar>& got, const RasterMaps<Scalar>& want,
                  const Mlp<Scalar>& network, const RasterGrid<Scalar>& grid) {
  const double tolerance = ScalarTraits<Scalar>::equality_tolerance;
  const Index width = want.width(), height = want.height();
  REQUIRE(got.width() == width);
  REQUIRE(got.height() == height);
  const Matrix<Scalar> points = grid.row_points(0, height);
  const std::vector<bool> near = near_hyperplane(network, points);
  const Index left_out = count_left_out(near);
  const Matrix<Scalar> logits = network.forward_batch(points);
  auto is_near = [&](Index x, Index y) { return near[std::size_t(y * width + x)]; };
  for (Index y = 0; y < height; ++y)
    for (Index x = 0; x < width; ++x) {
      if (is_near(x, y)) continue;
      CAPTURE(x);
      CAPTURE(y);
      const double frobenius = want.weight_frobenius_norm(y, x), output = want.output_norm(y, x);
      const double scale = std::max(1.0, frobenius);
      const double bias_scale =
          std::max(1.0, output + frobenius * double(points.col(y * width + x).norm()));
      CHECK(std::abs(got.weight_frobenius_norm(y, x) - frobenius) <= tolerance * scale);
      CHECK(std::abs(got.weight_spectral_norm(y, x) - want.weight_spectral_norm(y, x)) <=
            std::sqrt(tolerance) * scale);
      CHECK(std::abs(got.bias_max_norm(y, x) - want.bias_max_norm(y, x)) <= tolerance * bias_scale);
      CHECK(std::abs(got.output_norm(y, x) - output) <= tolerance * std::max(1.0, output));
      CHECK(std::abs(got.confidence(y, x) - want.confidence(y, x)) <=
            tolerance * std::max(1.0, output));
      if (!tied_classes(logits.col(y * width + x), tolerance))
        CHECK(got.predicted_class(y, x) == want.predicted_class(y, x));
      const bool neighbours_near =
          (x + 1 < width && is_near(x + 1, y)) || (y + 1 < height && is_near(x, y + 1));
      if (want.region_edges.size() > 0 && !neighbours_near)
        CHECK(got.region_edges(y, x) == want.region_edges(y, x));
    }
  CHECK(got.region_edges.size() == want.region_edges.size());
  CHECK(std::abs(got.distinct_region_count - want.distinct_region_count) <= left_out);
}

/// A network, a batch size and an activation for the comparison cases.
struct ComparisonCase {
  std::vector<Index> sizes;
  Index points;
  Activation activation = Activation::relu;
};

/// Edge sizes and random shapes: one point, widths 1 and 1024, sizes that are not multiples of
/// the tiles (64, 32 x 128) or of a pattern word, no hidden layer, d > m (backward), outputs and
/// inputs above 2 (Jacobi eigenvalues), leaky ReLU, networks that fit the small-network path
/// and ones that do not.
inline std::vector<ComparisonCase> comparison_cases() {
  return {{{2, 25, 25, 25, 25, 2}, 1000},
          {{2, 25, 25, 25, 25, 2}, 1},
          {{1, 1, 1}, 5},
          {{2, 1, 2}, 9},
          {{3, 1024, 2}, 24},
          {{2, 33, 65, 3}, 67},
          {{7, 13, 6, 2}, 130},
          {{3, 11, 9, 5}, 70, Activation::leaky_relu},
          {{5, 12, 8, 4}, 40},
          {{6, 70, 9}, 33},
          {{4, 3}, 11},
          {{2, 40, 40, 3}, 129}};
}

/// Points uniform in [-1, 1]^d, fixed seed.
template <RealScalar Scalar>
Matrix<Scalar> comparison_points(Index d, Index n, std::uint64_t seed) {
  Rng rng(seed);
  return random_uniform<Scalar>(d, n, -1, 1, rng);
}

/// Runs every comparison case through `launch` (an object with functions, norms, patterns,
/// distinct and raster members, see the two test programs) for both propagation modes and
/// automatic, and compares with the CPU reference.
template <RealScalar Scalar, class Launch>
void compare_batches_with_cpu(Launch& launch) {
  std::uint64_t seed = 700;
  for (const ComparisonCase& c : comparison_cases()) {
    ++seed;
    CAPTURE(seed);
    const auto network = random_network<Scalar>(c.sizes, seed, c.activation);
    const Index d = c.sizes.front();
    const Matrix<Scalar> points = comparison_points<Scalar>(d, c.points, seed);
    const std::vector<bool> near = near_hyperplane(network, points);
    count_left_out(near);
    const Matrix<Scalar> logits = network.forward_batch(points);
    for (const PropagationMode mode :
         {PropagationMode::automatic, PropagationMode::forward, PropagationMode::backward}) {
      CAPTURE(int(mode));
      check_functions(launch.functions(network, points, mode),
                      polytope_functions(CpuBackend{}, network, points, mode), near);
      ActivationPatternBatch patterns;
      const PolytopeNorms<Scalar> norms = launch.norms(network, points, mode, &patterns);
      check_norms(norms, polytope_norms(CpuBackend{}, network, points, mode), points, logits, near);
      check_patterns(patterns, activation_patterns(network, points), network, near);
    }
    const ActivationPatternBatch patterns = launch.patterns(network, points);
    check_patterns(patterns, activation_patterns(network, points), network, near);
    CHECK(launch.distinct(patterns) == distinct_pattern_count(CpuBackend{}, patterns));
  }
}

/// Raster cases: the input plane of a 2-D network (rows that split into several blocks when the
/// launch's chunk budget is small), a 3-D slice, a raster one pixel wide, and one without
/// regions; compared with compute_raster_maps on the CPU.
template <RealScalar Scalar, class Launch>
void compare_rasters_with_cpu(Launch& launch) {
  struct RasterCase {
    std::vector<Index> sizes;
    Index width, height;
    bool slice, regions;
  };
  const std::vector<RasterCase> cases = {{{2, 25, 25, 25, 25, 2}, 67, 45, false, true},
                                         {{3, 20, 20, 4}, 31, 29, true, true},
                                         {{2, 16, 16, 2}, 1, 40, false, true},
                                         {{2, 40, 3}, 23, 17, false, true},
                                         {{2, 16, 16, 2}, 19, 13, false, false}};
  std::uint64_t seed = 900;
  for (const RasterCase& c : cases) {
    ++seed;
    CAPTURE(seed);
    const auto network = random_network<Scalar>(c.sizes, seed);
    RasterGrid<Scalar> grid;
    grid.viewport = {{-1, Scalar(1.5), Scalar(-0.5), 1}, c.width, c.height};
    if (c.slice) {
      const Index d = c.sizes.front();
      grid.slice.origin = Vector<Scalar>::Constant(d, Scalar(0.1));
      grid.slice.first_direction = Vector<Scalar>::Unit(d, 0) + Vector<Scalar>::Unit(d, 2);
      grid.slice.second_direction = Vector<Scalar>::Unit(d, 1);
    }
    for (const PropagationMode mode : {PropagationMode::forward, PropagationMode::backward}) {
      CAPTURE(int(mode));
      RasterOptions options;
      options.regions = c.regions;
      options.mode = mode;
      check_raster(launch.raster(network, grid, options),
                   compute_raster_maps(CpuBackend{}, network, grid, options), network, grid);
    }
  }
}

}  // namespace polyleak::test
