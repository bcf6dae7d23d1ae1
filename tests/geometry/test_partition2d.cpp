#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <unordered_set>

#include "polyleak/geometry/partition2d.hpp"
#include "polyleak/geometry/polytope.hpp"
#include "test_networks.hpp"

using namespace polyleak;

namespace {

// One hidden layer with the given rows (w_x, w_y, b) and two logits (0 and the first neuron).
template <class Scalar>
Mlp<Scalar> one_layer(const std::vector<std::array<double, 3>>& rows) {
  Mlp<Scalar> network({2, Index(rows.size()), 2});
  for (std::size_t i = 0; i < rows.size(); ++i) {
    network.weights(0)(Index(i), 0) = Scalar(rows[i][0]);
    network.weights(0)(Index(i), 1) = Scalar(rows[i][1]);
    network.biases(0)(Index(i)) = Scalar(rows[i][2]);
  }
  network.weights(1)(1, 0) = 1;
  return network;
}

template <class Scalar>
Scalar total_area(const Partition2d<Scalar>& partition) {
  Scalar area = 0;
  for (const auto& region : partition.regions())
    area += region.area;
  return area;
}

// Checks that hold for every partition: areas sum to the box area, each region's pattern is the
// pattern at its centroid, polygons are counter-clockwise and convex, and the slice polytope
// function equals the network at the centroid.
template <class Scalar>
void check_partition(const Mlp<Scalar>& network, const Partition2d<Scalar>& partition) {
  const Scalar tolerance = std::sqrt(ScalarTraits<Scalar>::equality_tolerance);
  CHECK(total_area(partition) ==
        doctest::Approx(double(partition.box().area())).epsilon(double(tolerance)));
  for (const auto& region : partition.regions()) {
    REQUIRE(region.vertices.size() >= 3);
    CHECK(region.area > 0);
    const auto n = region.vertices.size();
    for (std::size_t k = 0; k < n; ++k) {
      const Point2<Scalar> e = region.vertices[(k + 1) % n] - region.vertices[k];
      const Point2<Scalar> f = region.vertices[(k + 2) % n] - region.vertices[(k + 1) % n];
      CHECK(e.x() * f.y() - e.y() * f.x() >= -tolerance * e.norm() * f.norm());
    }
    const Point2<Scalar> c = detail::centroid(region.vertices);
    const Vector<Scalar> x = partition.slice().point(c.x(), c.y());
    CHECK(activation_pattern<Scalar>(network, x) == region.pattern);
    const Vector<Scalar> logits = region.slice_jacobian * c + region.slice_bias;
    CHECK((logits - network.forward(x)).norm() <= tolerance * (1 + logits.norm()));
  }
}

}  // namespace

TEST_CASE_TEMPLATE("Partition2d: two perpendicular lines give four quarters", Scalar, float,
                   double) {
  const auto network = one_layer<Scalar>({{{1, 0, -0.5}}, {{0, 1, -0.5}}});
  const Partition2d<Scalar> partition(network, SliceBox<Scalar>{0, 1, 0, 1});
  REQUIRE(partition.region_count() == 4);
  check_partition(network, partition);
  for (const auto& region : partition.regions()) {
    CHECK(region.area == doctest::Approx(0.25));
    CHECK(region.vertices.size() == 4);
  }
  REQUIRE(partition.adjacency().size() == 4);
  for (const auto& adjacency : partition.adjacency()) {
    const auto& a = partition.regions()[std::size_t(adjacency.first_region)];
    const auto& b = partition.regions()[std::size_t(adjacency.second_region)];
    CHECK(hamming_distance(a.pattern, b.pattern) == 1);
    CHECK(a.pattern.test(adjacency.layer, adjacency.neuron) !=
          b.pattern.test(adjacency.layer, adjacency.neuron));
    CHECK((adjacency.to - adjacency.from).norm() == doctest::Approx(0.5));
  }
}

TEST_CASE_TEMPLATE("Partition2d: lines through vertices and along sides make no slivers", Scalar,
                   float, double) {
  // x + y = 1 through two corners, x - y = 0 through the other two, x = 1 along a side.
  const auto network = one_layer<Scalar>({{{1, 1, -1}}, {{1, -1, 0}}, {{1, 0, -1}}});
  const Partition2d<Scalar> partition(network, SliceBox<Scalar>{0, 1, 0, 1});
  REQUIRE(partition.region_count() == 4);
  check_partition(network, partition);
  for (const auto& region : partition.regions()) {
    CHECK(region.vertices.size() == 3);
    CHECK(region.area == doctest::Approx(0.25));
    CHECK_FALSE(region.pattern.test(0, 2));
  }
  CHECK(partition.adjacency().size() == 4);
}

TEST_CASE_TEMPLATE("Partition2d: parallel, coincident, dead and zero neurons", Scalar, float,
                   double) {
  // x = 0.3 twice (scaled), x = 0.7, a neuron negative on the whole box and a zero row.
  const auto network = one_layer<Scalar>(
      {{{1, 0, -0.3}}, {{2, 0, -0.6}}, {{1, 0, -0.7}}, {{-1, -1, -1}}, {{0, 0, 0}}});
  const Partition2d<Scalar> partition(network, SliceBox<Scalar>{0, 1, 0, 1});
  REQUIRE(partition.region_count() == 3);
  check_partition(network, partition);
  std::multiset<int> areas;
  for (const auto& region : partition.regions()) {
    areas.insert(int(std::lround(region.area * 10)));
    CHECK_FALSE(region.pattern.test(0, 3));
    CHECK_FALSE(region.pattern.test(0, 4));
  }
  CHECK(areas == std::multiset<int>{3, 3, 4});
  // The coincident lines make neighbours that differ in two bits: found geometrically.
  REQUIRE(partition.adjacency().size() == 2);
  for (const auto& adjacency : partition.adjacency())
    CHECK((adjacency.to - adjacency.from).norm() == doctest::Approx(1.0));
}

TEST_CASE_TEMPLATE("Partition2d: the decision boundary of a bent logit", Scalar, float, double) {
  // Logit 1 - logit 0 = relu(x - 0.5) - 0.25 + 0.1 y changes sign on x + 0.1 y = 0.75.
  auto network = one_layer<Scalar>({{{1, 0, -0.5}}, {{0, 1, 0}}});
  network.weights(1)(1, 1) = Scalar(0.1);
  network.biases(1)(1) = Scalar(-0.25);
  const Partition2d<Scalar> partition(network, SliceBox<Scalar>{0, 1, 0, 1});
  check_partition(network, partition);
  Scalar length = 0;
  for (const auto& segment : partition.decision_boundary()) {
    CHECK(segment.first_class == 0);
    CHECK(segment.second_class == 1);
    for (const auto* p : {&segment.from, &segment.to})
      CHECK(p->x() + Scalar(0.1) * p->y() == doctest::Approx(0.75).epsilon(1e-4));
    length += (segment.to - segment.from).norm();
  }
  CHECK(length == doctest::Approx(std::sqrt(1.01)).epsilon(1e-4));
}

TEST_CASE_TEMPLATE("Partition2d: random network agrees with a raster and with the network", Scalar,
                   float, double) {
  const auto network = test::random_network<Scalar>({2, 12, 12, 12, 3}, 7);
  const SliceBox<Scalar> box{-2, 2, -2, 2};
  const Partition2d<Scalar> partition(network, box);
  CHECK(partition.region_count() > 50);
  check_partition(network, partition);

  // In general position neighbours differ in exactly the crossed neuron.
  for (const auto& adjacency : partition.adjacency()) {
    const auto& a = partition.regions()[std::size_t(adjacency.first_region)];
    const auto& b = partition.regions()[std::size_t(adjacency.second_region)];
    CHECK(hamming_distance(a.pattern, b.pattern) == 1);
    CHECK(a.pattern.test(adjacency.layer, adjacency.neuron) !=
          b.pattern.test(adjacency.layer, adjacency.neuron));
  }

  // Every pattern of a 400 x 400 raster is a region; the regions the raster misses are thinner
  // than a pixel, so together they cover less than 0.5 % of the box.
  const Index side = 400;
  Matrix<Scalar> points(2, side * side);
  for (Index i = 0; i < side; ++i)
    for (Index j = 0; j < side; ++j)
      points.col(i * side + j) << box.s_min + (Scalar(i) + Scalar(0.5)) * 4 / Scalar(side),
          box.t_min + (Scalar(j) + Scalar(0.5)) * 4 / Scalar(side);
  std::unordered_set<Index> hit;
  Index unknown = 0;
  for (const auto& pattern : activation_patterns<Scalar>(network, points)) {
    const Index r = partition.find(pattern);
    unknown += r < 0;
    hit.insert(r);
  }
  CHECK(unknown == 0);
  Scalar missed_area = 0;
  for (Index r = 0; r < partition.region_count(); ++r)
    if (!hit.count(r)) missed_area += partition.regions()[std::size_t(r)].area;
  CHECK(missed_area < Scalar(0.005) * box.area());
  CHECK(Index(hit.size()) <= partition.region_count());

  // Decision-boundary segments: the two classes tie there and beat every other class.
  CHECK(!partition.decision_boundary().empty());
  for (const auto& segment : partition.decision_boundary()) {
    const Point2<Scalar> middle = (segment.from + segment.to) / 2;
    const Vector<Scalar> logits = network.forward(partition.slice().point(middle.x(), middle.y()));
    const Scalar tolerance = std::sqrt(ScalarTraits<Scalar>::equality_tolerance) * 10;
    CHECK(std::abs(logits(segment.first_class) - logits(segment.second_class)) <= tolerance);
    CHECK(logits.maxCoeff() <= logits(segment.first_class) + tolerance);
  }
}

TEST_CASE_TEMPLATE("Partition2d: regions equal the polygons of their H-representations", Scalar,
                   float, double) {
  // Leaky ReLU, so that inactive neurons still bend the lines of later layers.
  const auto network = test::random_network<Scalar>({2, 10, 10, 2}, 13, Activation::leaky_relu);
  const Partition2d<Scalar> partition(network, SliceBox<Scalar>{-1, 1, -1, 1});
  CHECK(partition.region_count() > 20);
  check_partition(network, partition);
  const Scalar tolerance = std::sqrt(ScalarTraits<Scalar>::equality_tolerance);
  for (const auto& region : partition.regions()) {
    const Polytope<Scalar> polytope(network, region.pattern, Box<Scalar>::cube(2, -1, 1));
    const auto polygon = polytope.polygon();
    std::vector<Point2<Scalar>> vertices;
    for (Index k = 0; k < polygon.vertices.cols(); ++k)
      vertices.push_back(polygon.vertices.col(k));
    CHECK(detail::signed_area(vertices) ==
          doctest::Approx(double(region.area)).epsilon(double(tolerance)).scale(1));
  }
}

TEST_CASE_TEMPLATE("Partition2d: a slice of a 5-D input space", Scalar, float, double) {
  const auto network = test::random_network<Scalar>({5, 16, 16, 4}, 11);
  Rng rng(3);
  PlaneSlice<Scalar> slice{random_normal<Scalar>(5, 1, 0, 1, rng),
                           random_normal<Scalar>(5, 1, 0, 1, rng),
                           random_normal<Scalar>(5, 1, 0, 1, rng)};
  const Partition2d<Scalar> partition(network, slice, SliceBox<Scalar>{-1, 1, 0, 2});
  CHECK(partition.region_count() > 10);
  check_partition(network, partition);
  for (const auto& region : partition.regions()) {
    const PolytopeFunction<Scalar> full(network, region.pattern);
    Matrix<Scalar> basis(5, 2);
    basis << slice.first_direction, slice.second_direction;
    const Scalar tolerance = std::sqrt(ScalarTraits<Scalar>::equality_tolerance);
    CHECK((full.matrix() * basis - region.slice_jacobian).norm() <=
          tolerance * (1 + full.matrix().norm()));
    CHECK((full.evaluate(slice.origin) - region.slice_bias).norm() <=
          tolerance * (1 + region.slice_bias.norm()));
  }
}

TEST_CASE("Partition2d: bad arguments throw InvalidArgument") {
  const auto network = test::random_network<double>({3, 4, 2}, 1);
  CHECK_THROWS_AS(Partition2d<double>(network, SliceBox<double>{0, 1, 0, 1}), InvalidArgument);
  const auto plane = test::random_network<double>({2, 4, 2}, 1);
  CHECK_THROWS_AS(Partition2d<double>(plane, SliceBox<double>{1, 0, 0, 1}), InvalidArgument);
  CHECK_THROWS_AS(Partition2d<double>(plane, SliceBox<double>{0, NAN, 0, 1}), InvalidArgument);
  // Finite corners whose width or area overflows: no region could have a finite area.
  CHECK_THROWS_AS(Partition2d<double>(plane, SliceBox<double>{-1e308, 1e308, 0, 1}),
                  InvalidArgument);
  CHECK_THROWS_AS(Partition2d<double>(plane, SliceBox<double>{0, 1e200, 0, 1e200}),
                  InvalidArgument);
  auto slice = PlaneSlice<double>::input_plane();
  slice.origin(0) = INFINITY;
  CHECK_THROWS_AS(Partition2d<double>(plane, slice, SliceBox<double>{0, 1, 0, 1}), InvalidArgument);
}
