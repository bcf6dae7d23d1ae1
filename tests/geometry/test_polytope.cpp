#include <doctest/doctest.h>

#include <cmath>

#include "polyleak/geometry.hpp"
#include "test_networks.hpp"

using namespace polyleak;

namespace {

// 2 inputs; hidden layer 0: z = (x, y, x + y - 1); hidden layer 1: u = relu(x) - relu(y);
// output: u. Regions on [-1, 1]^2 can be drawn by hand.
Mlp<double> hand_network() {
  Mlp<double> network({2, 3, 1, 1});
  network.weights(0) << 1, 0, 0, 1, 1, 1;
  network.biases(0) << 0, 0, -1;
  network.weights(1) << 1, -1, 0;
  network.weights(2) << 1;
  return network;
}

Vector<double> point(double x, double y) {
  return (Vector<double>(2) << x, y).finished();
}

// Whether `vertices` (2 x k) equals `expected` as a cyclic sequence, within `tolerance`.
bool same_cycle(const Matrix<double>& vertices, const std::vector<Vector<double>>& expected,
                double tolerance) {
  const Index k = vertices.cols();
  if (k != Index(expected.size())) return false;
  for (Index shift = 0; shift < k; ++shift) {
    bool equal = true;
    for (Index v = 0; v < k && equal; ++v)
      equal = (vertices.col((v + shift) % k) - expected[std::size_t(v)]).norm() <= tolerance;
    if (equal) return true;
  }
  return false;
}

std::vector<Index> facet_constraints(const Polytope<double>& polytope) {
  std::vector<Index> constraints;
  for (const auto& facet : polytope.facets())
    constraints.push_back(facet.constraint);
  return constraints;
}

}  // namespace

TEST_CASE("linear program: optimum, infeasible, unbounded, invalid input") {
  // maximise x + y subject to x + 2y <= 4, 3x + y <= 6, x, y >= 0: optimum at (1.6, 1.2).
  LinearProgram program(2);
  program.set_variable_bounds(0, 0, INFINITY);
  program.set_variable_bounds(1, 0, INFINITY);
  program.add_constraint(Eigen::Vector2d(1, 2), -INFINITY, 4);
  const Index second = program.add_constraint(Eigen::Vector2d(3, 1), -INFINITY, 6);
  program.set_objective(Eigen::Vector2d(1, 1), LpSense::maximize);
  LpSolution solution = program.solve();
  REQUIRE(solution.status == LpStatus::optimal);
  CHECK(solution.objective == doctest::Approx(2.8).epsilon(1e-12));
  CHECK(solution.values(0) == doctest::Approx(1.6).epsilon(1e-12));
  CHECK(solution.values(1) == doctest::Approx(1.2).epsilon(1e-12));

  program.set_constraint_bounds(second, 7, 7);  // 3x + y = 7 meets x + 2y <= 4 at (2, 1)
  solution = program.solve();
  REQUIRE(solution.status == LpStatus::optimal);
  CHECK(solution.objective == doctest::Approx(3).epsilon(1e-12));

  program.set_constraint_bounds(second, -INFINITY, -1);  // 3x + y <= -1 with x, y >= 0
  CHECK(program.solve().status == LpStatus::infeasible);
  program.set_constraint_bounds(second, -INFINITY, INFINITY);
  program.set_constraint_bounds(0, -INFINITY, INFINITY);
  CHECK(program.solve().status == LpStatus::unbounded);

  CHECK_THROWS_AS(program.set_variable_bounds(2, 0, 1), InvalidArgument);
  CHECK_THROWS_AS(program.set_variable_bounds(0, 1, 0), InvalidArgument);
  CHECK_THROWS_AS(program.set_constraint_bounds(0, NAN, 1), InvalidArgument);
  CHECK_THROWS_AS(program.set_constraint_bounds(5, 0, 1), InvalidArgument);
  CHECK_THROWS_AS(program.add_constraint(Eigen::Vector3d(1, 2, 3), 0, 1), InvalidArgument);
  CHECK_THROWS_AS(program.add_constraint(Eigen::Vector2d(INFINITY, 1), 0, 1), InvalidArgument);
  CHECK_THROWS_AS(program.set_objective(Eigen::Vector2d(NAN, 1), LpSense::minimize),
                  InvalidArgument);
  CHECK_THROWS_AS(LinearProgram(0), InvalidArgument);
}

TEST_CASE("hand-drawn network: regions, facets, vertices and Chebyshev balls") {
  const auto network = hand_network();
  const auto box = Box<double>::cube(2, -1, 1);
  // Constraint order: neurons (0,0), (0,1), (0,2), (1,0); box x >= -1, x <= 1, y >= -1, y <= 1.

  SUBCASE("pattern 111|1: x >= y above the diagonal x + y = 1") {
    const Polytope<double> polytope(network, point(0.75, 0.5), box);
    CHECK(polytope.pattern().to_string() == "111|1");
    CHECK(polytope.constraint_count() == 8);
    CHECK(polytope.contains(point(0.75, 0.5)));
    CHECK(polytope.contains(point(0.5, 0.5)));  // a vertex
    CHECK_FALSE(polytope.contains(point(0.5, 0.75)));
    const auto polygon = polytope.polygon();
    CHECK(same_cycle(polygon.vertices, {point(1, 0), point(1, 1), point(0.5, 0.5)}, 1e-15));
    CHECK(facet_constraints(polytope) == std::vector<Index>{2, 3, 5});
    const auto facets = polytope.facets();
    CHECK(facets[0].origin == ConstraintOrigin{ConstraintKind::neuron, 0, 2});
    CHECK(facets[1].origin == ConstraintOrigin{ConstraintKind::neuron, 1, 0});
    CHECK(facets[2].origin == ConstraintOrigin{ConstraintKind::box_upper, -1, 0});
    // Facet centres are edge midpoints; radii half the edge lengths.
    CHECK((facets[0].point - point(0.75, 0.25)).norm() <= 1e-7);
    CHECK(facets[0].radius == doctest::Approx(std::sqrt(2.0) / 4));
    CHECK((facets[1].point - point(0.75, 0.75)).norm() <= 1e-7);
    CHECK((facets[2].point - point(1, 0.5)).norm() <= 1e-7);
    CHECK(facets[2].radius == doctest::Approx(0.5));
    // Triangle with sides 1, sqrt(1/2), sqrt(1/2) and area 1/4: inradius area / semiperimeter.
    const auto ball = polytope.chebyshev_ball();
    CHECK(ball.radius == doctest::Approx(0.25 / ((1 + std::sqrt(2.0)) / 2)));
    CHECK(polytope.contains(ball.centre));
  }

  SUBCASE("pattern 111|0: the triangle's other half") {
    const Polytope<double> polytope(network, point(0.5, 0.75), box);
    CHECK(polytope.pattern().to_string() == "111|0");
    CHECK(same_cycle(polytope.polygon().vertices, {point(0.5, 0.5), point(1, 1), point(0, 1)},
                     1e-15));
    CHECK(facet_constraints(polytope) == std::vector<Index>{2, 3, 7});
  }

  SUBCASE("pattern 110|1 and the pattern-built region") {
    ActivationPattern pattern = activation_pattern(network, point(0.25, 0.125));
    CHECK(pattern.to_string() == "110|1");
    const Polytope<double> polytope(network, pattern, box);
    CHECK(same_cycle(polytope.polygon().vertices, {point(0, 0), point(1, 0), point(0.5, 0.5)},
                     1e-15));
    CHECK(facet_constraints(polytope) == std::vector<Index>{1, 2, 3});
  }

  SUBCASE("pattern 000|0: x, y <= 0 makes layer 1 dead, a zero row") {
    const Polytope<double> polytope(network, point(-0.5, -0.5), box);
    CHECK(polytope.normals().row(3).isZero(0));
    CHECK(same_cycle(polytope.polygon().vertices,
                     {point(-1, -1), point(0, -1), point(0, 0), point(-1, 0)}, 1e-15));
    CHECK(facet_constraints(polytope) == std::vector<Index>{0, 1, 4, 6});
    const auto ball = polytope.chebyshev_ball();
    CHECK(ball.radius == doctest::Approx(0.5));
    CHECK((ball.centre - point(-0.5, -0.5)).norm() <= 1e-9);
  }

  SUBCASE("without a box") {
    const Polytope<double> bounded(network, point(0.25, 0.125));
    CHECK(bounded.constraint_count() == 4);
    // The triangle (0, 0), (1, 0), (1/2, 1/2) needs no box: inradius area / semiperimeter.
    CHECK(bounded.chebyshev_ball().radius == doctest::Approx(0.25 / ((1 + std::sqrt(2.0)) / 2)));
    const Polytope<double> unbounded(network, point(-0.5, -0.5));
    const auto ball = unbounded.chebyshev_ball();
    CHECK(std::isinf(ball.radius));
    CHECK(unbounded.contains(ball.centre));
    CHECK(facet_constraints(unbounded) == std::vector<Index>{0, 1});
    CHECK(std::isinf(unbounded.facets()[0].radius));
    CHECK_THROWS_AS(unbounded.polygon(), InvalidArgument);
  }

  SUBCASE("an empty pattern region") {
    // x > 0, y > 0 but x + y <= 1 is fine; x <= 0, y <= 0 and x + y > 1 is empty.
    ActivationPattern pattern({3, 1});
    pattern.set(0, 2, true);
    const Polytope<double> empty(network, pattern, box);
    CHECK(empty.chebyshev_ball().radius < 0);
    CHECK(empty.facets().empty());
    CHECK(empty.polygon().vertices.cols() == 0);
  }
  CHECK_THROWS_AS(Polytope<double>(network, point(0, 0), Box<double>::cube(3, 0, 1)),
                  InvalidArgument);
  CHECK_THROWS_AS(Polytope<double>(network, point(0, 0), Box<double>::cube(2, 1, 0)),
                  InvalidArgument);
}

TEST_CASE_TEMPLATE("facets by LP equal facets by polygon clipping on random 2-D networks", Scalar,
                   float, double) {
  // Brute force: neuron k is a facet iff dropping it enlarges the polygon. Constraints whose
  // area change is within a factor 1e3 of the tolerance are ambiguous and skipped.
  const Scalar area_tolerance = std::sqrt(ScalarTraits<Scalar>::geometry_tolerance);
  const auto box = Box<Scalar>::cube(2, -1, 1);
  Index decided = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const auto network = test::random_network<Scalar>({2, 6, 5, 4, 2}, seed);
    Rng rng(seed);
    const Matrix<Scalar> points = random_uniform<Scalar>(2, 6, -1, 1, rng);
    for (Index j = 0; j < points.cols(); ++j) {
      const Polytope<Scalar> polytope(network, Vector<Scalar>(points.col(j)), box);
      CHECK(polytope.contains(points.col(j)));
      const auto polygon = polytope.polygon();
      REQUIRE(polygon.vertices.cols() >= 3);
      std::vector<detail::Point2<Scalar>> vertices;
      for (Index v = 0; v < polygon.vertices.cols(); ++v)
        vertices.push_back(polygon.vertices.col(v));
      const Scalar area = detail::signed_area(vertices);
      CHECK(area > 0);

      std::vector<bool> is_facet(std::size_t(polytope.constraint_count()), false);
      for (const auto& facet : polytope.facets()) {
        is_facet[std::size_t(facet.constraint)] = true;
        // The facet point lies on its hyperplane and in P.
        const Scalar value = polytope.normals().row(facet.constraint).dot(facet.point) +
                             polytope.offsets()(facet.constraint);
        CHECK(std::abs(value) <= 10 * ScalarTraits<Scalar>::equality_tolerance);
        CHECK(polytope.contains(facet.point, 10 * ScalarTraits<Scalar>::geometry_tolerance));
      }
      for (Index k = 0; k < polytope.pattern().size(); ++k) {
        auto without = detail::box_polygon<Scalar>(-1, 1, -1, 1, [](Index) { return 0; });
        for (Index i = 0; i < polytope.pattern().size(); ++i)
          if (i != k)
            detail::clip_convex_polygon(
                without, detail::Point2<Scalar>(polytope.normals()(i, 0), polytope.normals()(i, 1)),
                polytope.offsets()(i), i, ScalarTraits<Scalar>::geometry_tolerance);
        const Scalar growth = detail::signed_area(without.vertices) - area;
        if (growth > 1e3 * area_tolerance * area) {
          CHECK(is_facet[std::size_t(k)]);
          ++decided;
        } else if (growth < area_tolerance * area / 1e3) {
          CHECK_FALSE(is_facet[std::size_t(k)]);
          ++decided;
        }
      }
      // Every polygon edge lies on a facet.
      for (const Index constraint : polygon.edge_constraints)
        CHECK(is_facet[std::size_t(constraint)]);
    }
  }
  CHECK(decided >= 250);
}

TEST_CASE_TEMPLATE("Chebyshev ball and facet points in higher dimension", Scalar, float, double) {
  const auto network = test::random_network<Scalar>({4, 10, 8, 3}, 12);
  const auto box = Box<Scalar>::cube(4, -2, 2);
  Rng rng(6);
  const Matrix<Scalar> points = random_uniform<Scalar>(4, 5, -1, 1, rng);
  for (Index j = 0; j < points.cols(); ++j) {
    const Polytope<Scalar> polytope(network, Vector<Scalar>(points.col(j)), box);
    CHECK(polytope.contains(points.col(j)));
    const auto ball = polytope.chebyshev_ball();
    REQUIRE(ball.radius > 0);
    // Inside: every constraint's distance from the centre is at least the radius; the ball
    // touches at least one.
    const Vector<Scalar> norms = polytope.normals().rowwise().norm();
    const Vector<Scalar> distances =
        (polytope.normals() * ball.centre + polytope.offsets()).cwiseQuotient(norms);
    CHECK(distances.minCoeff() >= ball.radius * (1 - 1e-6) - 1e-6);
    CHECK(distances.minCoeff() <= ball.radius * (1 + 1e-6) + 1e-6);
    CHECK(activation_pattern(network, ball.centre) == polytope.pattern());

    // Alg. 4 from facets: stepping off a neuron facet point across its hyperplane flips
    // exactly that neuron's bit.
    const auto facets = polytope.facets();
    CHECK(facets.size() >= 4);  // a bounded 4-D polytope has at least 5 facets
    for (const auto& facet : facets) {
      if (facet.origin.kind != ConstraintKind::neuron) continue;
      const Vector<Scalar> normal =
          polytope.normals().row(facet.constraint).transpose() / norms(facet.constraint);
      const Scalar step = std::min(facet.radius, ball.radius) / 16;
      const auto inside = activation_pattern(network, Vector<Scalar>(facet.point + step * normal));
      const auto outside = activation_pattern(network, Vector<Scalar>(facet.point - step * normal));
      CHECK(inside == polytope.pattern());
      CHECK(outside == polytope.pattern().flipped(facet.origin.layer, facet.origin.index));
    }
  }
}
