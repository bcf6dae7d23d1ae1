#include <doctest/doctest.h>

#include <Eigen/SVD>

#include "polyleak/geometry.hpp"
#include "test_networks.hpp"

using namespace polyleak;

namespace {

template <class A, class B>
auto relative_difference(const A& a, const B& b) {
  using Scalar = typename B::Scalar;
  return (a - b).cwiseAbs().maxCoeff() / std::max(Scalar(1), b.cwiseAbs().maxCoeff());
}

}  // namespace

TEST_CASE_TEMPLATE("batched polytope functions equal the single-point ones in both modes", Scalar,
                   float, double) {
  const Scalar tolerance = ScalarTraits<Scalar>::equality_tolerance;
  // 2-D with more points than one chunk holds in either mode; d < m; d > m; no hidden layer.
  struct Case {
    std::vector<Index> sizes;
    Activation activation;
    Index points;
  };
  const std::vector<Case> cases = {{{2, 25, 25, 25, 25, 2}, Activation::relu, 6000},
                                   {{3, 11, 9, 5}, Activation::leaky_relu, 50},
                                   {{7, 13, 6, 2}, Activation::relu, 40},
                                   {{4, 3}, Activation::relu, 5}};
  std::uint64_t seed = 30;
  for (const auto& c : cases) {
    CAPTURE(c.sizes.size());
    const auto network = test::random_network<Scalar>(c.sizes, ++seed, c.activation);
    Rng rng(seed);
    const Index d = c.sizes.front();
    const Matrix<Scalar> points = random_uniform<Scalar>(d, c.points, -1, 1, rng);
    const auto forward = polytope_functions(network, points, PropagationMode::forward);
    const auto backward = polytope_functions(network, points, PropagationMode::backward);
    const auto automatic = polytope_functions(network, points);
    REQUIRE(forward.size() == c.points);
    CHECK(forward.input_dimension() == d);
    CHECK(forward.output_dimension() == c.sizes.back());
    CHECK(relative_difference(forward.matrices, backward.matrices) <= tolerance);
    CHECK(relative_difference(forward.biases, backward.biases) <= tolerance);
    CHECK(relative_difference(forward.logits, network.forward_batch(points)) <= tolerance);
    CHECK(relative_difference(backward.logits, network.forward_batch(points)) <= tolerance);
    CHECK(automatic.matrices == (d <= c.sizes.back() ? forward : backward).matrices);
    for (Index j = 0; j < c.points; j += 7) {
      const PolytopeFunction<Scalar> single(network, Vector<Scalar>(points.col(j)));
      CHECK(relative_difference(forward.matrix(j), single.matrix()) <= tolerance);
      CHECK(relative_difference(backward.matrix(j), single.matrix()) <= tolerance);
      CHECK(relative_difference(forward.biases.col(j), single.bias()) <= tolerance);
    }
  }
  CHECK_THROWS_AS(
      polytope_functions(test::random_network<Scalar>({3, 4, 2}, 1), Matrix<Scalar>::Zero(2, 4)),
      InvalidArgument);
}

TEST_CASE_TEMPLATE("polytope norms equal norms of the explicit matrices", Scalar, float, double) {
  const Scalar tolerance = ScalarTraits<Scalar>::equality_tolerance;
  for (const std::vector<Index>& sizes :
       {std::vector<Index>{2, 16, 16, 2}, {5, 12, 8, 4}, {3, 10, 1}, {6, 9, 9}}) {
    const auto network = test::random_network<Scalar>(sizes, 77);
    Rng rng(4);
    const Matrix<Scalar> points = random_uniform<Scalar>(sizes.front(), 60, -1, 1, rng);
    const auto norms = polytope_norms(network, points);
    const auto batch = polytope_functions(network, points);
    const auto classes = network.predict(points);
    const Vector<Scalar> confidences = confidence(batch.logits);
    REQUIRE(norms.size() == 60);
    for (Index j = 0; j < 60; ++j) {
      const Matrix<Scalar> a = batch.matrix(j);
      const Scalar scale = std::max(Scalar(1), a.norm());
      const Scalar singular = Eigen::JacobiSVD<Matrix<Scalar>>(a).singularValues()(0);
      CHECK(std::abs(norms.frobenius_norm(j) - a.norm()) <= tolerance * scale);
      // The Gram route squares the condition: compare at the square root of the tolerance.
      CHECK(std::abs(norms.spectral_norm(j) - singular) <= std::sqrt(tolerance) * scale);
      CHECK(norms.bias_max_norm(j) == batch.biases.col(j).cwiseAbs().maxCoeff());
      CHECK(norms.output_norm(j) == doctest::Approx(double(batch.logits.col(j).norm())));
      CHECK(norms.confidence(j) == confidences(j));
      CHECK(norms.predicted_class[std::size_t(j)] == classes[std::size_t(j)]);
    }
  }
}

TEST_CASE("spectral norm of analytic matrices") {
  Matrix<double> a(2, 2);
  a << 3, 0, 0, -4;
  CHECK(detail::spectral_norm(a) == doctest::Approx(4));
  Matrix<double> b(3, 1);
  b << 2, 3, 6;
  CHECK(detail::spectral_norm(b) == doctest::Approx(7));
  Matrix<double> c = Matrix<double>::Zero(3, 4);
  c(0, 0) = 1;
  c(1, 1) = -5;
  c(2, 2) = 2;
  CHECK(detail::spectral_norm(c) == doctest::Approx(5));
}

TEST_CASE("spectral norm by the closed form for 2 x n and n x 2 matrices") {
  // Orthogonal rows of norms 3 and 6: the largest singular value is 6, either way round.
  Matrix<double> a(2, 3);
  a << 1, 2, 2, 4, 2, -4;
  CHECK(detail::spectral_norm(a) == doctest::Approx(6));
  CHECK(detail::spectral_norm(Matrix<double>(a.transpose())) == doctest::Approx(6));
}

TEST_CASE_TEMPLATE("patterns from the norms pass equal activation_patterns", Scalar, float,
                   double) {
  // 2-D in forward mode with more points than one chunk; 7-D in backward mode; leaky ReLU; more
  // than 64 hidden neurons (two words per pattern). One workspace and one output for all cases,
  // so reuse across shapes and sizes is covered.
  struct Case {
    std::vector<Index> sizes;
    Activation activation;
    Index points;
  };
  const std::vector<Case> cases = {{{2, 25, 25, 25, 25, 2}, Activation::relu, 6000},
                                   {{7, 13, 6, 2}, Activation::relu, 300},
                                   {{3, 11, 9, 5}, Activation::leaky_relu, 200},
                                   {{2, 40, 40, 3}, Activation::relu, 100}};
  PolytopeWorkspace<Scalar> workspace;
  PolytopeNorms<Scalar> norms;
  ActivationPatternBatch patterns;
  std::uint64_t seed = 90;
  for (const auto& c : cases) {
    CAPTURE(c.sizes.size());
    const auto network = test::random_network<Scalar>(c.sizes, ++seed, c.activation);
    Rng rng(seed);
    const Matrix<Scalar> points = random_uniform<Scalar>(c.sizes.front(), c.points, -1, 1, rng);
    for (const auto mode : {PropagationMode::forward, PropagationMode::backward}) {
      polytope_norms(network, points, norms, workspace, &patterns, mode);
      const auto expected = activation_patterns(network, points);
      const auto plain = polytope_norms(network, points, mode);
      REQUIRE(patterns.size() == c.points);
      Index mismatches = 0, changes = 0;
      for (Index j = 0; j < c.points; ++j) {
        mismatches += patterns.pattern(j) != expected[std::size_t(j)];
        if (j > 0) {
          const bool same = expected[std::size_t(j)] == expected[std::size_t(j - 1)];
          CHECK(patterns.same_pattern(j, j - 1) == same);
          changes += !same;
        }
      }
      CHECK(mismatches == 0);
      CHECK(changes > 0);  // the points do lie in several regions
      CHECK(norms.frobenius_norm == plain.frobenius_norm);
      CHECK(norms.spectral_norm == plain.spectral_norm);
      CHECK(norms.bias_max_norm == plain.bias_max_norm);
      CHECK(norms.predicted_class == plain.predicted_class);
    }
  }
  CHECK_THROWS_AS(patterns.pattern(100), InvalidArgument);
}
