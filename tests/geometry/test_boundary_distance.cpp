#include <doctest/doctest.h>

#include <cmath>
#include <optional>
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

// A projection problem with a known answer: the rows u_i . (x - v) + delta_i >= 0 all hold at v;
// the `active` ones (delta_i = 0, unit normals within about `spread` of the first axis, each
// repeated `copies` times with scales 1, 2, ...) carry multipliers mu_i in [0.1, 1), and
// x0 = v - sum_i mu_i u_i. So v satisfies the KKT conditions and is the projection of x0: a
// vertex where `active` (possibly more than d) nearly parallel or repeated rows meet. 3 d more
// rows with slack delta_i in (0, 0.01] pass close by. Rows come shuffled.
struct KnownProjection {
  Eigen::MatrixXd normals;
  Eigen::VectorXd offsets;
  Eigen::VectorXd origin;
  Eigen::VectorXd answer;
};

KnownProjection degenerate_vertex(Index d, Index active, Index copies, double spread,
                                  std::uint64_t seed) {
  Rng rng(seed);
  std::uniform_real_distribution<double> multiplier(0.1, 1);
  std::uniform_real_distribution<double> slack(0, 0.01);
  const Eigen::VectorXd vertex = random_normal<double>(d, 1, 0, 1, rng);
  const Index inactive = 3 * d;
  Eigen::MatrixXd normals(active * copies + inactive, d);
  Eigen::VectorXd offsets(normals.rows());
  Eigen::VectorXd push = Eigen::VectorXd::Zero(d);
  Index row = 0;
  for (Index a = 0; a < active; ++a) {
    Eigen::VectorXd u = spread * random_normal<double>(d, 1, 0, 1, rng).normalized();
    u(0) += 1;
    u.normalize();
    push += multiplier(rng) * u;
    for (Index c = 1; c <= copies; ++c, ++row) {
      normals.row(row) = double(c) * u.transpose();
      offsets(row) = -double(c) * u.dot(vertex);
    }
  }
  for (; row < normals.rows(); ++row) {
    const Eigen::VectorXd u = random_normal<double>(d, 1, 0, 1, rng).normalized();
    normals.row(row) = u.transpose();
    offsets(row) = -u.dot(vertex) + 0.01 - slack(rng);
  }
  const std::vector<Index> order = random_permutation(normals.rows(), rng);
  return {normals(order, Eigen::all), offsets(order), vertex - push, vertex};
}

// The L2 projection by brute force over active sets: for every linearly independent set S of at
// most d rows, the projection of x0 onto {x : G_S x + h_S = 0}; the closest of those that meet
// every row within `slack` (relative to the row's norm) is the projection, and if none does the
// set is empty. The optimum lies in the relative interior of a face, and a basis of that face's
// active normals gives it. Cost O(2^K d^3): small K only.
std::optional<Eigen::VectorXd> brute_force_projection(const Eigen::MatrixXd& normals,
                                                      const Eigen::VectorXd& offsets,
                                                      const Eigen::VectorXd& origin, double slack) {
  const Index rows = normals.rows();
  const Index d = normals.cols();
  const Eigen::VectorXd norms = normals.rowwise().norm();
  std::optional<Eigen::VectorXd> best;
  for (unsigned long mask = 0; mask < (1ul << rows); ++mask) {
    std::vector<Index> chosen;
    for (Index i = 0; i < rows; ++i)
      if (mask & (1ul << i)) chosen.push_back(i);
    if (Index(chosen.size()) > d) continue;
    Eigen::VectorXd x = origin;
    if (!chosen.empty()) {
      const Eigen::MatrixXd g = normals(chosen, Eigen::all);
      const Eigen::FullPivLU<Eigen::MatrixXd> gram(g * g.transpose());
      if (gram.rank() < Index(chosen.size())) continue;
      x -= g.transpose() * gram.solve(g * origin + offsets(chosen));
    }
    const Eigen::VectorXd residuals = (normals * x + offsets).cwiseQuotient(norms);
    if (residuals.minCoeff() < -slack) continue;
    if (!best || (x - origin).norm() < (*best - origin).norm()) best = x;
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

TEST_CASE_TEMPLATE("L2 projection onto degenerate vertices and nearly parallel rows", Scalar, float,
                   double) {
  // Rows repeated at a vertex where more than d of them meet made Hildreth's method stall and the
  // former primal active-set method cycle until its step cap (SolverError, issue #6).
  for (const Index d : {Index(2), Index(5), Index(24)})
    for (const Index active : {d / 2 + 1, d + 1, 2 * d + 1})
      for (const double spread : {1.0, 1e-2, 1e-6})
        for (const Index copies : {Index(1), Index(3)})
          for (std::uint64_t seed = 0; seed < 2; ++seed) {
            const KnownProjection problem = degenerate_vertex(d, active, copies, spread, seed);
            const double tolerance = detail::l2_tolerance<Scalar>(problem.origin);
            const double expected = (problem.answer - problem.origin).norm();
            CAPTURE(d);
            CAPTURE(active);
            CAPTURE(spread);
            CAPTURE(copies);
            CAPTURE(seed);
            const auto projection = detail::project_onto_polyhedron<Scalar>(
                problem.normals, problem.offsets, problem.origin, DistanceNorm::l2, 200);
            REQUIRE(projection.feasible);
            CHECK(projection.kkt_residual <= tolerance);
            CHECK(std::abs(projection.distance - expected) <= tolerance);
            const Eigen::VectorXd scaled_residuals =
                (problem.normals * projection.point + problem.offsets)
                    .cwiseQuotient(problem.normals.rowwise().norm());
            CHECK(scaled_residuals.minCoeff() >= -tolerance);

            // The dual active-set method alone, without Hildreth's sweeps before it.
            const auto set = detail::unit_halfspaces(problem.normals, problem.offsets);
            const auto dual = detail::dual_active_set_projection(
                set.units, set.offsets, problem.origin, tolerance / 4,
                ScalarTraits<double>::geometry_tolerance);
            REQUIRE(dual.status == detail::DualActiveSetStatus::optimal);
            CHECK(dual.multipliers.minCoeff() >= 0);
            const Eigen::VectorXd point = problem.origin + set.units.transpose() * dual.multipliers;
            CHECK(detail::kkt_residual(dual.multipliers, set.units * point + set.offsets) <=
                  tolerance);
            CHECK(std::abs((point - problem.origin).norm() - expected) <= tolerance);
          }
}

TEST_CASE_TEMPLATE("L2 projection agrees with brute force over active sets", Scalar, float,
                   double) {
  // Small random sets, with a repeated row and two more rows through the vertex of rows 0 and 1
  // (3 or 4 rows meet there); some are empty, some contain x0.
  const double slack = ScalarTraits<double>::geometry_tolerance;
  Index empty = 0;
  Index containing = 0;
  for (const Index d : {Index(2), Index(3)})
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
      Rng rng(100 + seed);
      const Index rows = 9;
      Eigen::MatrixXd normals = random_normal<double>(rows, d, 0, 1, rng);
      Eigen::VectorXd offsets = random_normal<double>(rows, 1, 0, 1, rng);
      normals.row(2) = 2 * normals.row(0);
      offsets(2) = 2 * offsets(0);
      const Eigen::MatrixXd pair = normals.topRows(2);
      const Eigen::VectorXd through =
          pair.transpose() * (pair * pair.transpose()).ldlt().solve(-offsets.head(2));
      for (const Index k : {Index(3), Index(4)})
        offsets(k) = -normals.row(k).dot(through);
      const Eigen::VectorXd origin = random_normal<double>(d, 1, 0, 2, rng);
      CAPTURE(d);
      CAPTURE(seed);
      const auto expected = brute_force_projection(normals, offsets, origin, slack);
      const auto projection =
          detail::project_onto_polyhedron<Scalar>(normals, offsets, origin, DistanceNorm::l2, 200);
      const auto set = detail::unit_halfspaces(normals, offsets);
      const double tolerance = detail::l2_tolerance<Scalar>(origin);
      const auto dual = detail::dual_active_set_projection(
          set.units, set.offsets, origin, tolerance / 4, ScalarTraits<double>::geometry_tolerance);
      REQUIRE(projection.feasible == expected.has_value());
      if (!expected) {
        ++empty;
        REQUIRE(dual.status == detail::DualActiveSetStatus::empty);
        CHECK(detail::certifies_empty(set.units, set.offsets, dual.multipliers,
                                      ScalarTraits<double>::geometry_tolerance));
        continue;
      }
      if ((*expected - origin).norm() == 0) ++containing;
      CHECK(projection.kkt_residual <= tolerance);
      CHECK((projection.point - *expected).norm() <= tolerance);
      REQUIRE(dual.status == detail::DualActiveSetStatus::optimal);
      const Eigen::VectorXd point = origin + set.units.transpose() * dual.multipliers;
      CHECK((point - *expected).norm() <= tolerance);
    }
  // The seeds cover all three kinds of set.
  CHECK(empty > 0);
  CHECK(containing > 0);
}

TEST_CASE("L2 projection proves empty sets empty with a checked certificate") {
  const double dependence = ScalarTraits<double>::geometry_tolerance;
  for (const Index d : {Index(2), Index(5), Index(24)})
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      // An inverted simplex: d + 1 normals that sum to zero, offsets that sum to -0.01 (the
      // certificate y = 1 on them), each row twice, among 3 d random rows that x0 satisfies.
      Rng rng(seed);
      const Eigen::VectorXd origin = random_normal<double>(d, 1, 0, 1, rng);
      Eigen::MatrixXd simplex = random_normal<double>(d + 1, d, 0, 1, rng);
      simplex.row(d) = -simplex.topRows(d).colwise().sum();
      Eigen::VectorXd simplex_offsets = -simplex * origin;
      simplex_offsets.array() -= 0.01 / double(d + 1);
      const Eigen::MatrixXd others = random_normal<double>(3 * d, d, 0, 1, rng);
      const Eigen::VectorXd other_offsets =
          -others * origin + Eigen::VectorXd::Constant(3 * d, 0.5);
      Eigen::MatrixXd normals(2 * (d + 1) + 3 * d, d);
      normals << simplex, 3 * simplex, others;
      Eigen::VectorXd offsets(normals.rows());
      offsets << simplex_offsets, 3 * simplex_offsets, other_offsets;
      CAPTURE(d);
      CAPTURE(seed);
      CHECK_FALSE(
          detail::project_onto_polyhedron<double>(normals, offsets, origin, DistanceNorm::l2, 200)
              .feasible);
      const auto set = detail::unit_halfspaces(normals, offsets);
      const auto dual = detail::dual_active_set_projection(
          set.units, set.offsets, origin, detail::l2_tolerance<double>(origin), dependence);
      REQUIRE(dual.status == detail::DualActiveSetStatus::empty);
      CHECK(detail::certifies_empty(set.units, set.offsets, dual.multipliers, dependence));

      // With the offsets of the simplex raised the set contains a point: no certificate holds.
      Eigen::VectorXd raised = set.offsets;
      raised.head(2 * (d + 1)).array() += 1;
      CHECK_FALSE(detail::certifies_empty(set.units, raised, dual.multipliers, dependence));
      CHECK(detail::dual_active_set_projection(set.units, raised, origin,
                                               detail::l2_tolerance<double>(origin), dependence)
                .status == detail::DualActiveSetStatus::optimal);
    }
}
