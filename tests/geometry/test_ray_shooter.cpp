#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include <Eigen/SVD>

#include "polyleak/geometry/ray_shooter.hpp"
#include "test_networks.hpp"

using namespace polyleak;

namespace {

template <class Scalar>
Vector<Scalar> vec(std::initializer_list<double> values) {
  Vector<Scalar> v(Index(values.size()));
  Index i = 0;
  for (double x : values)
    v(i++) = Scalar(x);
  return v;
}

// One hidden layer with rows (w_x, w_y, b) and two logits: 0 and the sum of the hidden units.
template <class Scalar>
Mlp<Scalar> one_layer(const std::vector<std::array<double, 3>>& rows) {
  Mlp<Scalar> network({2, Index(rows.size()), 2});
  for (std::size_t i = 0; i < rows.size(); ++i) {
    network.weights(0)(Index(i), 0) = Scalar(rows[i][0]);
    network.weights(0)(Index(i), 1) = Scalar(rows[i][1]);
    network.biases(0)(Index(i)) = Scalar(rows[i][2]);
    network.weights(1)(1, Index(i)) = 1;
  }
  return network;
}

// Checks every crossing of a path against the network: on the crossed neuron's hyperplane, the
// patterns before and after differ there, the pattern after is the pattern inside the next
// segment, and normal and norms equal the polytope function's.
template <class Scalar>
void check_path(const Mlp<Scalar>& network, const Vector<Scalar>& start,
                const Vector<Scalar>& direction, const RayPath<Scalar>& path) {
  const Scalar tolerance = std::sqrt(ScalarTraits<Scalar>::equality_tolerance);
  const Vector<Scalar> unit = direction.normalized();
  CHECK(path.start_pattern ==
        activation_pattern<Scalar>(network,
                                   start + Scalar(1e-3) * path.crossings.front().distance * unit));
  const ActivationPattern* before = &path.start_pattern;
  Scalar last = 0;
  for (std::size_t k = 0; k < path.crossings.size(); ++k) {
    const auto& crossing = path.crossings[k];
    CHECK(crossing.distance >= last);
    last = crossing.distance;
    CHECK((crossing.point - (start + crossing.distance * unit)).norm() <=
          tolerance * (1 + crossing.point.norm()));
    CHECK(before->test(crossing.layer, crossing.neuron) !=
          crossing.pattern.test(crossing.layer, crossing.neuron));

    const PolytopeFunction<Scalar> function(network, crossing.pattern);
    const Vector<Scalar> w = function.adapted_weights(crossing.layer).row(crossing.neuron);
    const Scalar b = function.adapted_biases(crossing.layer)(crossing.neuron);
    CHECK((w - crossing.normal).norm() <= tolerance * (1 + w.norm()));
    CHECK(std::abs(w.dot(crossing.point) + b) <=
          tolerance * (1 + w.cwiseAbs().dot(crossing.point.cwiseAbs()) + std::abs(b)));

    // Inside the next segment the pattern is the one reported (up to the segment's middle).
    const Scalar next = k + 1 < path.crossings.size() ? path.crossings[k + 1].distance
                                                      : crossing.distance + Scalar(0.01);
    if (next - crossing.distance > tolerance) {
      const Vector<Scalar> inside = start + (crossing.distance + next) / 2 * unit;
      CHECK(activation_pattern<Scalar>(network, inside) == crossing.pattern);
    }
    REQUIRE(crossing.norms.has_value());
    Eigen::JacobiSVD<Matrix<Scalar>> svd(function.matrix());
    CHECK(crossing.norms->frobenius_norm ==
          doctest::Approx(double(function.matrix().norm())).epsilon(double(tolerance)));
    CHECK(crossing.norms->spectral_norm ==
          doctest::Approx(double(svd.singularValues()(0))).epsilon(double(tolerance)));
    CHECK(
        crossing.norms->bias_max_norm ==
        doctest::Approx(double(function.bias().cwiseAbs().maxCoeff())).epsilon(double(tolerance)));
    before = &crossing.pattern;
  }
}

}  // namespace

TEST_CASE_TEMPLATE("RayShooter: parallel hyperplanes are crossed at their exact distances", Scalar,
                   float, double) {
  const auto network = one_layer<Scalar>({{{1, 0, -0.5}}, {{-2, 0, 3}}, {{0, 1, 0}}});
  const RayShooter<Scalar> shooter(network);
  const auto path = shooter.shoot(vec<Scalar>({0, 0.5}), vec<Scalar>({2, 0}));
  // x = 0.5 and x = 1.5 are crossed; y = 0.5 > 0 runs parallel to the ray and is never crossed.
  REQUIRE(path.crossings.size() == 2);
  CHECK(path.start_pattern.to_string() == "011");
  CHECK(path.crossings[0].distance == doctest::Approx(0.5));
  CHECK(path.crossings[0].neuron == 0);
  CHECK(path.crossings[0].pattern.to_string() == "111");
  CHECK(path.crossings[1].distance == doctest::Approx(1.5));
  CHECK(path.crossings[1].neuron == 1);
  CHECK(path.crossings[1].pattern.to_string() == "101");
  CHECK(path.crossings[1].normal(0) == doctest::Approx(-2));
  check_path(network, vec<Scalar>({0, 0.5}), vec<Scalar>({2, 0}), path);

  RayShooterOptions<Scalar> options;
  options.max_distance = 1;
  CHECK(shooter.shoot(vec<Scalar>({0, 0.5}), vec<Scalar>({2, 0}), options).crossings.size() == 1);
  options.max_distance = std::numeric_limits<Scalar>::infinity();
  options.max_crossings = 0;
  CHECK(shooter.shoot(vec<Scalar>({0, 0.5}), vec<Scalar>({2, 0}), options).crossings.empty());
}

TEST_CASE_TEMPLATE("RayShooter: a ray through a vertex and a ray along a hyperplane", Scalar, float,
                   double) {
  const auto network = one_layer<Scalar>({{{1, 0, -0.5}}, {{0, 1, -0.5}}, {{0, 1, 0}}});
  const RayShooter<Scalar> shooter(network);
  // Both lines are crossed at (0.5, 0.5): one crossing, both bits flip.
  const auto diagonal = shooter.shoot(vec<Scalar>({0, 0}), vec<Scalar>({1, 1}));
  REQUIRE(diagonal.crossings.size() == 1);
  CHECK(diagonal.start_pattern.to_string() == "001");
  CHECK(diagonal.crossings[0].pattern.to_string() == "111");
  CHECK(diagonal.crossings[0].distance == doctest::Approx(std::sqrt(0.5)));
  // Starting on y = 0 and moving along it, the third neuron stays inactive, and moving up it is
  // active from the start; starting on x = 0.5 and moving right, the first neuron is active.
  const auto along = shooter.shoot(vec<Scalar>({0.5, 0}), vec<Scalar>({1, 0}));
  CHECK(along.crossings.empty());
  CHECK(along.start_pattern.to_string() == "100");
  const auto up = shooter.shoot(vec<Scalar>({0.5, 0}), vec<Scalar>({0, 1}));
  CHECK(up.start_pattern.to_string() == "001");
  REQUIRE(up.crossings.size() == 1);
  CHECK(up.crossings[0].pattern.to_string() == "011");
}

TEST_CASE_TEMPLATE("RayShooter: random networks, and no region missed by dense sampling", Scalar,
                   float, double) {
  for (const auto& [sizes, activation] :
       {std::pair{std::vector<Index>{2, 12, 12, 12, 3}, Activation::relu},
        std::pair{std::vector<Index>{6, 16, 16, 4}, Activation::relu},
        std::pair{std::vector<Index>{6, 16, 16, 4}, Activation::leaky_relu}}) {
    CAPTURE(sizes.front());
    const auto network = test::random_network<Scalar>(sizes, 24, activation);
    const RayShooter<Scalar> shooter(network);
    Rng rng(9);
    const Vector<Scalar> start = random_normal<Scalar>(sizes[0], 1, 0, 1, rng);
    const Vector<Scalar> direction = random_normal<Scalar>(sizes[0], 1, 0, 1, rng);
    RayShooterOptions<Scalar> options;
    options.max_distance = 6;
    const auto path = shooter.shoot(start, direction, options);
    CHECK(path.crossings.size() > 10);
    check_path(network, start, direction, path);

    std::unordered_set<ActivationPattern> exact{path.start_pattern};
    for (const auto& crossing : path.crossings)
      exact.insert(crossing.pattern);
    const Index samples = 20000;
    Matrix<Scalar> points(sizes[0], samples);
    for (Index j = 0; j < samples; ++j)
      points.col(j) =
          start + (Scalar(j) + Scalar(0.5)) * 6 / Scalar(samples) * direction.normalized();
    Index missed = 0;
    for (const auto& pattern : activation_patterns<Scalar>(network, points))
      missed += !exact.count(pattern);
    CHECK(missed == 0);

    const auto metrics = RayShooter<Scalar>::metrics(path);
    CHECK(metrics.boundary_distances.size() == path.crossings.size());
    CHECK(metrics.normal_cosine_similarities.size() + 1 == path.crossings.size());
    for (Scalar c : metrics.normal_cosine_similarities)
      CHECK(std::abs(c) <= 1 + Scalar(1e-5));
  }
}

TEST_CASE_TEMPLATE("RayShooter: Alg. 5 finds class changes the exact shooter passes through",
                   Scalar, float, double) {
  const auto network = test::random_network<Scalar>({4, 16, 16, 3}, 6);
  const RayShooter<Scalar> shooter(network);
  const Vector<Scalar> start = Vector<Scalar>::Zero(4);
  HyperedgeRayShootingOptions<Scalar> options;
  options.boundary_count = 4;
  options.step_count = 24;
  options.step_width = Scalar(0.5);
  options.seed = 2;
  options.record_visited = true;
  const auto shot = shooter.hyperedge_ray_shooting(start, options);
  REQUIRE(!shot.boundary_points.empty());
  CHECK(shot.normals.size() == shot.boundary_points.size());
  CHECK(shot.first_direction.norm() == doctest::Approx(1));

  // The predicted class changes between the walk's point before each boundary point and it;
  // the normal is the closest neuron's adapted weights there.
  for (std::size_t k = 0; k < shot.boundary_points.size(); ++k) {
    const auto at = std::find(shot.visited.begin(), shot.visited.end(), shot.boundary_points[k]);
    REQUIRE(at != shot.visited.end());
    const Vector<Scalar> previous = at == shot.visited.begin() ? start : *(at - 1);
    CHECK(network.predict(previous) != network.predict(*at));
    const auto& [layer, neuron] = shot.closest_neurons[k];
    const PolytopeFunction<Scalar> function(network, shot.boundary_points[k]);
    const Vector<Scalar> w = function.adapted_weights(layer).row(neuron);
    CHECK((w - shot.normals[k]).norm() <= Scalar(1e-3) * (1 + w.norm()));
  }

  // The first walk runs along the first direction: every region it visits is on the exact path.
  Scalar farthest = 0;
  for (Index s = 0; s < options.step_count; ++s)
    farthest = std::max(farthest, (shot.visited[std::size_t(s)] - start).norm());
  RayShooterOptions<Scalar> exact_options;
  exact_options.max_distance = farthest * Scalar(1.01);
  exact_options.region_norms = false;
  const auto path = shooter.shoot(start, shot.first_direction, exact_options);
  std::unordered_set<ActivationPattern> exact{path.start_pattern};
  for (const auto& crossing : path.crossings)
    exact.insert(crossing.pattern);
  for (Index s = 0; s < options.step_count; ++s)
    CHECK(exact.count(activation_pattern<Scalar>(network, shot.visited[std::size_t(s)])) == 1);

  const auto metrics = shooter.metrics(start, shot);
  CHECK(metrics.boundary_distances.size() == shot.boundary_points.size());
  CHECK(metrics.polytope_derivatives.size() == shot.boundary_points.size());
  CHECK(metrics.normal_cosine_similarities.size() + 1 == shot.boundary_points.size());
}

TEST_CASE("RayShooter: bad arguments throw InvalidArgument") {
  const auto network = test::random_network<double>({3, 4, 2}, 1);
  const RayShooter<double> shooter(network);
  CHECK_THROWS_AS(shooter.shoot(Vector<double>::Zero(2), Vector<double>::Ones(3)), InvalidArgument);
  CHECK_THROWS_AS(shooter.shoot(Vector<double>::Zero(3), Vector<double>::Zero(3)), InvalidArgument);
  CHECK_THROWS_AS(shooter.shoot(Vector<double>::Constant(3, NAN), Vector<double>::Ones(3)),
                  InvalidArgument);
  HyperedgeRayShootingOptions<double> options;
  options.step_count = 0;
  CHECK_THROWS_AS(shooter.hyperedge_ray_shooting(Vector<double>::Zero(3), options),
                  InvalidArgument);
}
