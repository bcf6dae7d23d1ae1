// Raster maps (Alg. 8) against per-point computations and brute-force region checks.

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "polyleak/geometry.hpp"
#include "polyleak/viz.hpp"

using namespace polyleak;

namespace {

/// A random network with biases, so that the regions are not all cones through the origin.
template <class Scalar>
Mlp<Scalar> random_network(std::vector<Index> sizes, std::uint64_t seed) {
  auto network = Mlp<Scalar>::he_initialized(std::move(sizes), seed);
  Rng rng(seed + 1);
  for (Index l = 0; l < network.layer_count(); ++l)
    network.biases(l) = random_normal<Scalar>(network.biases(l).size(), 1, 0, Scalar(0.5), rng);
  return network;
}

/// The input point of pixel (x, y), computed the obvious way.
template <class Scalar>
Vector<Scalar> pixel_point(const RasterGrid<Scalar>& grid, Index x, Index y) {
  const auto& box = grid.viewport.box;
  const Scalar s = box.s_min + (box.s_max - box.s_min) * (Scalar(x) + Scalar(0.5)) / grid.width();
  const Scalar t = box.t_max - (box.t_max - box.t_min) * (Scalar(y) + Scalar(0.5)) / grid.height();
  return grid.slice.point(s, t);
}

}  // namespace

TEST_CASE_TEMPLATE("raster values equal per-point polytope functions", Scalar, float, double) {
  const auto network = random_network<Scalar>({3, 8, 7, 3}, 11);
  RasterGrid<Scalar> grid;
  grid.slice.origin = Vector<Scalar>::Constant(3, Scalar(0.1));
  grid.slice.first_direction = Vector<Scalar>::Unit(3, 0) + Vector<Scalar>::Unit(3, 2);
  grid.slice.second_direction = Vector<Scalar>::Unit(3, 1);
  grid.viewport = {{-1, 2, -0.5, 1.5}, 13, 9};
  const auto maps = compute_raster_maps(network, grid);
  REQUIRE(maps.width() == 13);
  REQUIRE(maps.height() == 9);

  const Scalar tolerance = 10 * ScalarTraits<Scalar>::equality_tolerance;
  for (Index y = 0; y < grid.height(); ++y)
    for (Index x = 0; x < grid.width(); ++x) {
      const Vector<Scalar> point = pixel_point(grid, x, y);
      const PolytopeFunction<Scalar> function(network, point);
      const Vector<Scalar> logits = network.forward(point);
      Index predicted = 0;
      logits.maxCoeff(&predicted);
      const Scalar scale = 1 + function.matrix().norm() + function.bias().norm();
      CHECK(maps.predicted_class(y, x) == predicted);
      CHECK(std::abs(maps.output_norm(y, x) - logits.norm()) <= tolerance * scale);
      CHECK(std::abs(maps.confidence(y, x) - confidence(Matrix<Scalar>(logits))(0)) <= tolerance);
      CHECK(std::abs(maps.weight_frobenius_norm(y, x) - function.matrix().norm()) <=
            tolerance * scale);
      const Scalar spectral =
          Eigen::JacobiSVD<Matrix<Scalar>>(function.matrix()).singularValues()(0);
      CHECK(std::abs(maps.weight_spectral_norm(y, x) - spectral) <= tolerance * scale);
      CHECK(std::abs(maps.bias_max_norm(y, x) - function.bias().cwiseAbs().maxCoeff()) <=
            tolerance * scale);
    }
  CHECK(maps.values(RasterMap::bias_max_norm) == maps.bias_max_norm);
  CHECK_THROWS_AS(maps.values(RasterMap::predicted_class), InvalidArgument);
}

TEST_CASE_TEMPLATE("edge map and region count match brute force", Scalar, float, double) {
  const auto network = random_network<Scalar>({2, 6, 6, 2}, 5);
  RasterGrid<Scalar> grid;
  // 4096 / 23 = 178 rows per block would make one block; a tall grid gives several.
  grid.viewport = {{-2, 2, -2, 2}, 23, 400};
  const auto maps = compute_raster_maps(network, grid);

  std::vector<std::vector<ActivationPattern>> patterns(std::size_t(grid.height()));
  std::set<std::string> distinct;
  for (Index y = 0; y < grid.height(); ++y)
    for (Index x = 0; x < grid.width(); ++x) {
      patterns[std::size_t(y)].push_back(activation_pattern(network, pixel_point(grid, x, y)));
      distinct.insert(patterns[std::size_t(y)].back().to_string());
    }
  Index edges = 0;
  for (Index y = 0; y < grid.height(); ++y)
    for (Index x = 0; x < grid.width(); ++x) {
      const auto& p = patterns[std::size_t(y)][std::size_t(x)];
      const bool differs =
          (x + 1 < grid.width() && p != patterns[std::size_t(y)][std::size_t(x + 1)]) ||
          (y + 1 < grid.height() && p != patterns[std::size_t(y + 1)][std::size_t(x)]);
      CHECK(maps.region_edges(y, x) == differs);
      edges += differs;
    }
  CHECK(edges > 0);  // the test can fail: the box does cross several regions
  CHECK(maps.distinct_region_count == Index(distinct.size()));
  CHECK(maps.distinct_region_count > 3);

  const auto without = compute_raster_maps(network, grid, {false});
  CHECK(without.region_edges.size() == 0);
  CHECK(without.distinct_region_count == 0);
  CHECK(without.weight_frobenius_norm == maps.weight_frobenius_norm);
  CHECK_THROWS_AS(raster_map_image(without, RasterMap::region_edges), InvalidArgument);
}

TEST_CASE("a network with one hidden neuron: regions and edges by hand") {
  // z = x - 0.5 splits the unit square at x = 0.5; logits (relu(z), 0.1).
  Mlp<double> network({2, 1, 2});
  network.weights(0) << 1, 0;
  network.biases(0) << -0.5;
  network.weights(1) << 1, 0;
  network.biases(1) << 0, 0.1;
  RasterGrid<double> grid;
  grid.viewport = {{0, 1, 0, 1}, 10, 4};
  const auto maps = compute_raster_maps(network, grid);
  CHECK(maps.distinct_region_count == 2);
  for (Index y = 0; y < 4; ++y)
    for (Index x = 0; x < 10; ++x) {
      CHECK(maps.region_edges(y, x) == (x == 4));
      CHECK(maps.weight_frobenius_norm(y, x) == (x >= 5 ? 1.0 : 0.0));
      CHECK(maps.bias_max_norm(y, x) == doctest::Approx(x >= 5 ? 0.5 : 0.1));
      // Class 0 wins where x - 0.5 > 0.1.
      CHECK(maps.predicted_class(y, x) == (x >= 6 ? 0 : 1));
    }
}

TEST_CASE("bad raster arguments throw InvalidArgument") {
  const auto network = random_network<double>({3, 4, 2}, 3);
  RasterGrid<double> grid;
  grid.slice.origin = Vector<double>::Zero(3);
  grid.slice.first_direction = Vector<double>::Unit(3, 0);
  grid.slice.second_direction = Vector<double>::Unit(3, 1);
  grid.viewport = {{0, 1, 0, 1}, 8, 8};
  CHECK_NOTHROW(compute_raster_maps(network, grid));

  auto empty_box = grid;
  empty_box.viewport.box.s_max = 0;
  CHECK_THROWS_AS(compute_raster_maps(network, empty_box), InvalidArgument);
  auto nan_box = grid;
  nan_box.viewport.box.t_min = std::nan("");
  CHECK_THROWS_AS(compute_raster_maps(network, nan_box), InvalidArgument);
  auto zero_resolution = grid;
  zero_resolution.viewport.height = 0;
  CHECK_THROWS_AS(compute_raster_maps(network, zero_resolution), InvalidArgument);
  auto parallel = grid;
  parallel.slice.second_direction = -2.5 * grid.slice.first_direction;
  CHECK_THROWS_AS(compute_raster_maps(network, parallel), InvalidArgument);
  auto zero_direction = grid;
  zero_direction.slice.first_direction.setZero();
  CHECK_THROWS_AS(compute_raster_maps(network, zero_direction), InvalidArgument);
  RasterGrid<double> plane;  // the 2-D input plane on a 3-D network
  plane.viewport = grid.viewport;
  CHECK_THROWS_AS(compute_raster_maps(network, plane), InvalidArgument);
  try {
    compute_raster_maps(network, parallel);
  } catch (const InvalidArgument& error) {
    CHECK(std::string(error.what()).find("parallel") != std::string::npos);
  }
}

TEST_CASE("slice coordinates invert the slice map") {
  PlaneSlice<double> slice{Vector<double>::Constant(4, 1.0), Vector<double>::Unit(4, 0) * 2,
                           Vector<double>::Unit(4, 1) + Vector<double>::Unit(4, 3)};
  Matrix<double> points(4, 2);
  points.col(0) = slice.point(0.25, -1.5);
  points.col(1) = slice.point(3, 2);
  const Matrix<double> st = slice_coordinates(slice, points);
  CHECK(st(0, 0) == doctest::Approx(0.25));
  CHECK(st(1, 0) == doctest::Approx(-1.5));
  CHECK(st(0, 1) == doctest::Approx(3));
  CHECK(st(1, 1) == doctest::Approx(2));
  const Viewport<double> viewport{{0, 4, -2, 2}, 40, 20};
  const ImagePoint p = viewport.to_image(viewport.pixel_centre(7, 3));
  CHECK(p.x() == doctest::Approx(7.5));
  CHECK(p.y() == doctest::Approx(3.5));
}
