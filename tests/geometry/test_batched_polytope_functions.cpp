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
