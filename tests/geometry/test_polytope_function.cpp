#include <doctest/doctest.h>

#include "polyleak/geometry.hpp"
#include "test_networks.hpp"

using namespace polyleak;

namespace {

// Largest entry of |a - b| relative to max(1, largest entry of |b|).
template <class A, class B>
auto relative_difference(const A& a, const B& b) {
  using Scalar = typename B::Scalar;
  return (a - b).cwiseAbs().maxCoeff() / std::max(Scalar(1), b.cwiseAbs().maxCoeff());
}

}  // namespace

TEST_CASE_TEMPLATE("adapted weights and A_P equal central differences", Scalar, float, double) {
  // Step ScalarTraits::difference_step (1e-2 float, 1e-6 double); relative tolerance
  // ScalarTraits::derivative_tolerance (2e-2 float, 1e-6 double). Points whose difference
  // stencil leaves the region are skipped; most are kept.
  using Traits = ScalarTraits<Scalar>;
  for (const Activation activation : {Activation::relu, Activation::leaky_relu}) {
    const auto network = test::random_network<Scalar>({4, 12, 10, 8, 3}, 21, activation);
    Rng rng(8);
    const Matrix<Scalar> points = random_uniform<Scalar>(4, 40, -1, 1, rng);
    const Scalar h = Traits::difference_step;
    Index checked = 0;
    for (Index j = 0; j < points.cols(); ++j) {
      const Vector<Scalar> x = points.col(j);
      const PolytopeFunction<Scalar> function(network, x);
      bool interior = true;
      for (Index k = 0; k < 4; ++k)
        for (const Scalar sign : {Scalar(-1), Scalar(1)})
          interior =
              interior && activation_pattern(
                              network, Vector<Scalar>(x + sign * h * Vector<Scalar>::Unit(4, k))) ==
                              function.pattern();
      if (!interior) continue;
      ++checked;

      Matrix<Scalar> stencil(4, 9);
      stencil.col(0) = x;
      for (Index k = 0; k < 4; ++k) {
        stencil.col(1 + 2 * k) = x + h * Vector<Scalar>::Unit(4, k);
        stencil.col(2 + 2 * k) = x - h * Vector<Scalar>::Unit(4, k);
      }
      const auto z = network.pre_activations(stencil);
      for (Index l = 0; l < network.layer_count(); ++l) {
        const bool output = l + 1 == network.layer_count();
        const Matrix<Scalar>& weights = output ? function.matrix() : function.adapted_weights(l);
        const Vector<Scalar>& biases = output ? function.bias() : function.adapted_biases(l);
        const auto& zl = z[std::size_t(l)];
        Matrix<Scalar> differences(zl.rows(), 4);
        for (Index k = 0; k < 4; ++k)
          differences.col(k) = (zl.col(1 + 2 * k) - zl.col(2 + 2 * k)) / (2 * h);
        CHECK(relative_difference(differences, weights) <= Traits::derivative_tolerance);
        const Vector<Scalar> affine = weights * x + biases;
        CHECK(relative_difference(affine, Vector<Scalar>(zl.col(0))) <= Traits::equality_tolerance);
      }
      CHECK(relative_difference(function.evaluate(x), network.forward(x)) <=
            Traits::equality_tolerance);
    }
    CHECK(checked >= 20);
  }
}

TEST_CASE_TEMPLATE("polytope function equals the explicit chain of products", Scalar, float,
                   double) {
  const auto network = test::random_network<Scalar>({3, 9, 7, 5, 2}, 4, Activation::leaky_relu);
  Rng rng(2);
  const Vector<Scalar> x = random_uniform<Scalar>(3, 1, -1, 1, rng);
  const PolytopeFunction<Scalar> function(network, x);
  // A_P = W_3 D_2 W_2 D_1 W_1 D_0 W_0 with dense diagonal matrices.
  Matrix<Scalar> chain = network.weights(0);
  Vector<Scalar> offset = network.biases(0);
  for (Index l = 1; l < network.layer_count(); ++l) {
    Matrix<Scalar> d = Matrix<Scalar>::Zero(network.layer_sizes()[std::size_t(l)],
                                            network.layer_sizes()[std::size_t(l)]);
    for (Index i = 0; i < d.rows(); ++i)
      d(i, i) = function.pattern().test(l - 1, i) ? Scalar(1) : network.negative_slope();
    chain = (network.weights(l) * d * chain).eval();
    offset = (network.weights(l) * d * offset + network.biases(l)).eval();
  }
  CHECK(relative_difference(function.matrix(), chain) <= ScalarTraits<Scalar>::equality_tolerance);
  CHECK(relative_difference(function.bias(), offset) <= ScalarTraits<Scalar>::equality_tolerance);
}

TEST_CASE("polytope function of a hand-set network and of a pattern") {
  // z0 = (x, y - 1); logits = 2 relu(x) + 3 relu(y - 1) + 0.5.
  Mlp<double> network({2, 2, 1});
  network.weights(0) << 1, 0, 0, 1;
  network.biases(0) << 0, -1;
  network.weights(1) << 2, 3;
  network.biases(1) << 0.5;
  Vector<double> x(2);
  x << 0.5, 2.0;
  const PolytopeFunction<double> both(network, x);
  CHECK(both.pattern().to_string() == "11");
  CHECK(both.matrix() == (Matrix<double>(1, 2) << 2, 3).finished());
  CHECK(both.bias()(0) == -2.5);

  ActivationPattern pattern = both.pattern();
  pattern.flip(0, 1);
  const PolytopeFunction<double> first(network, pattern);
  CHECK(first.matrix() == (Matrix<double>(1, 2) << 2, 0).finished());
  CHECK(first.bias()(0) == 0.5);
  CHECK(first.adapted_weights(0) == network.weights(0));
  CHECK(first.hidden_layer_count() == 1);
  CHECK_THROWS_AS(first.adapted_weights(1), InvalidArgument);
  CHECK_THROWS_AS(PolytopeFunction<double>(network, ActivationPattern({3})), InvalidArgument);
  CHECK_THROWS_AS(PolytopeFunction<double>(network, Vector<double>::Zero(3)), InvalidArgument);
  CHECK_THROWS_AS(first.evaluate(Vector<double>::Zero(3)), InvalidArgument);
}
