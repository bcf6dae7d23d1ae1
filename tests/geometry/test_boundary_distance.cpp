#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "polyleak/geometry/boundary_distance.hpp"
#include "test_networks.hpp"

using namespace polyleak;

namespace {

// Hidden units relu(x), relu(-x), relu(y), relu(-y); logit 0 is 0 and logit 1 is
// 3 relu(x) + relu(-x) + relu(y) + relu(-y) - 1: class 1 outside the kite 3|x|_+ + |x|_- + |y| < 1.
template <class Scalar>
Mlp<Scalar> kite_network() {
  Mlp<Scalar> network({2, 4, 2});
  network.weights(0) << 1, 0, -1, 0, 0, 1, 0, -1;
  network.weights(1) << 0, 0, 0, 0, 3, 1, 1, 1;
  network.biases(1) << 0, -1;
  return network;
}

template <class Scalar>
Vector<Scalar> point2(double x, double y) {
  Vector<Scalar> p(2);
  p << Scalar(x), Scalar(y);
  return p;
}

// The two largest logits at the boundary point are those of the original and boundary classes
// and agree within `tolerance` relative to the logit scale.
template <class Scalar>
void check_on_boundary(const Mlp<Scalar>& network, const BoundaryDistance<Scalar>& result,
                       double tolerance) {
  REQUIRE(result.boundary_point.size() == network.input_dimension());
  const Vector<Scalar> logits = network.forward(result.boundary_point);
  const double tie = double(logits(result.original_class));
  const double other = double(logits(result.boundary_class));
  const double scale = 1 + logits.cwiseAbs().maxCoeff();
  CHECK(std::abs(tie - other) <= tolerance * scale);
  CHECK(double(logits.maxCoeff()) <= std::max(tie, other) + tolerance * scale);
}

// Smallest distance to a point of another class along `rays` random directions (each ray
// walked in steps, then bisected): an upper bound on the exact L2 distance.
template <class Scalar>
double sampled_boundary_distance(const Mlp<Scalar>& network, const Vector<Scalar>& point,
                                 Index rays, std::uint64_t seed) {
  Rng rng(seed);
  std::normal_distribution<double> normal;
  Index original = 0;
  network.forward(point).maxCoeff(&original);
  const auto class_at = [&](const Vector<double>& x) {
    Index c = 0;
    network.forward(x.cast<Scalar>()).maxCoeff(&c);
    return c;
  };
  double best = std::numeric_limits<double>::infinity();
  for (Index r = 0; r < rays; ++r) {
    Vector<double> u(point.size());
    for (Index i = 0; i < u.size(); ++i)
      u(i) = normal(rng);
    u.normalize();
    const Vector<double> x0 = point.template cast<double>();
    double outside = -1;
    for (double t = 0.05; t < 8; t += 0.05)
      if (class_at(x0 + t * u) != original) {
        outside = t;
        break;
      }
    if (outside < 0) continue;
    double inside = outside - 0.05;
    for (int s = 0; s < 40; ++s) {
      const double middle = (inside + outside) / 2;
      (class_at(x0 + middle * u) != original ? outside : inside) = middle;
    }
    best = std::min(best, outside);
  }
  return best;
}

}  // namespace

TEST_CASE_TEMPLATE("exact L2 and L-inf distance on a hand-drawn network", Scalar, float, double) {
  const auto network = kite_network<Scalar>();
  const double tolerance = 10 * double(ScalarTraits<Scalar>::geometry_tolerance);

  SUBCASE("boundary inside the start region") {
    const auto l2 = boundary_distance(network, point2<Scalar>(0.1, 0.2));
    CHECK(l2.certified);
    CHECK(l2.original_class == 0);
    CHECK(l2.boundary_class == 1);
    // The line 3x + y = 1 is at (1 - 0.5) / sqrt(10) from (0.1, 0.2).
    CHECK(double(l2.distance) == doctest::Approx(0.5 / std::sqrt(10.0)).epsilon(tolerance));
    CHECK(l2.lower_bound == l2.upper_bound);
    check_on_boundary(network, l2, tolerance);

    BoundaryDistanceOptions<Scalar> options;
    options.norm = DistanceNorm::linf;
    const auto linf = boundary_distance(network, point2<Scalar>(0.1, 0.2), options);
    // 3 (0.1 + t) + (0.2 + t) = 1: t = 0.5 / 4.
    CHECK(double(linf.distance) == doctest::Approx(0.125).epsilon(tolerance));
    check_on_boundary(network, linf, tolerance);
  }

  SUBCASE("boundary in a neighbouring region") {
    // From (-0.1, 0.01) the left side -x + y = 1 is 0.89 / sqrt(2) away; the right side
    // 3x + y = 1 is 1.29 / sqrt(10) away, at (0.287, 0.139) in the region x > 0, y > 0.
    const auto l2 = boundary_distance(network, point2<Scalar>(-0.1, 0.01));
    CHECK(l2.certified);
    CHECK(double(l2.distance) == doctest::Approx(1.29 / std::sqrt(10.0)).epsilon(tolerance));
    CHECK(double(l2.boundary_point(0)) == doctest::Approx(0.287).epsilon(tolerance));
    CHECK(double(l2.boundary_point(1)) == doctest::Approx(0.139).epsilon(tolerance));
    CHECK(l2.regions_visited >= 2);
    check_on_boundary(network, l2, tolerance);

    BoundaryDistanceOptions<Scalar> options;
    options.norm = DistanceNorm::linf;
    const auto linf = boundary_distance(network, point2<Scalar>(-0.1, 0.01), options);
    // 3 (-0.1 + t) + 0.01 + t = 1: t = 1.29 / 4.
    CHECK(double(linf.distance) == doctest::Approx(1.29 / 4).epsilon(tolerance));
  }

  SUBCASE("a budget of one region leaves certified bounds") {
    BoundaryDistanceOptions<Scalar> options;
    options.region_budget = 1;
    const auto bounded = boundary_distance(network, point2<Scalar>(-0.1, 0.01), options);
    CHECK_FALSE(bounded.certified);
    CHECK(double(bounded.upper_bound) == doctest::Approx(0.89 / std::sqrt(2.0)).epsilon(tolerance));
    // The nearest unexplored region is across y = 0, 0.01 away.
    CHECK(double(bounded.lower_bound) == doctest::Approx(0.01).epsilon(tolerance));
    CHECK(bounded.regions_visited == 1);
  }

  SUBCASE("a box keeps the boundary point inside it") {
    BoundaryDistanceOptions<Scalar> options;
    options.box = Box<Scalar>::cube(2, Scalar(-1), Scalar(0.2));
    const auto boxed = boundary_distance(network, point2<Scalar>(-0.1, 0.01), options);
    // x <= 0.2 allows 3x + |y| = 1 only at |y| >= 0.4, and y <= 0.2: closest (0.2, -0.4).
    CHECK(double(boxed.distance) ==
          doctest::Approx(std::sqrt(0.09 + 0.41 * 0.41)).epsilon(tolerance));
    CHECK(double(boxed.boundary_point(1)) == doctest::Approx(-0.4).epsilon(tolerance));
  }
}

TEST_CASE_TEMPLATE("exact distance is never above a sampled bound on random networks", Scalar,
                   float, double) {
  const double tolerance = 100 * double(ScalarTraits<Scalar>::geometry_tolerance);
  for (std::uint64_t seed = 0; seed < 4; ++seed) {
    const auto network = test::random_network<Scalar>({4, 8, 8, 3}, 30 + seed);
    Rng rng(seed);
    const Vector<Scalar> point = random_normal<Scalar>(4, 1, 0, 1, rng);
    const auto exact = boundary_distance(network, point);
    REQUIRE(exact.certified);
    const double sampled = sampled_boundary_distance(network, point, 200, seed);
    CAPTURE(seed);
    CHECK(double(exact.distance) <= sampled * (1 + tolerance));
    if (std::isfinite(double(exact.distance))) {
      check_on_boundary(network, exact, tolerance);
      CHECK(double((exact.boundary_point - point).norm()) ==
            doctest::Approx(double(exact.distance)).epsilon(tolerance));
    }

    BoundaryDistanceOptions<Scalar> options;
    options.norm = DistanceNorm::linf;
    const auto linf = boundary_distance(network, point, options);
    // ||v||_inf <= ||v||_2 <= sqrt(d) ||v||_inf between the two exact distances.
    CHECK(double(linf.distance) <= double(exact.distance) * (1 + tolerance));
    CHECK(double(exact.distance) <= 2 * double(linf.distance) * (1 + tolerance));
  }
}

TEST_CASE("L2 projection satisfies its KKT conditions and reports empty sets") {
  // The square [0, 1]^2 as G x + h >= 0, projected from (2, 3): (1, 1) at sqrt(5).
  Eigen::MatrixXd normals(4, 2);
  normals << 1, 0, -1, 0, 0, 1, 0, -1;
  Eigen::VectorXd offsets(4);
  offsets << 0, 1, 0, 1;
  const Eigen::Vector2d origin(2, 3);
  const auto projection =
      detail::project_onto_polyhedron<double>(normals, offsets, origin, DistanceNorm::l2, 1000);
  REQUIRE(projection.feasible);
  CHECK(projection.distance == doctest::Approx(std::sqrt(5.0)));
  CHECK(projection.kkt_residual <= ScalarTraits<double>::optimality_tolerance);

  // x >= 1 and x <= 0: empty.
  Eigen::MatrixXd contradicting(2, 2);
  contradicting << 1, 0, -1, 0;
  const Eigen::VectorXd bounds = Eigen::Vector2d(-1, 0);
  CHECK_FALSE(
      detail::project_onto_polyhedron<double>(contradicting, bounds, origin, DistanceNorm::l2, 1000)
          .feasible);
  CHECK_FALSE(detail::project_onto_polyhedron<double>(contradicting, bounds, origin,
                                                      DistanceNorm::linf, 1000)
                  .feasible);
}
