#include <doctest/doctest.h>

#include "polyleak/nn.hpp"

using namespace polyleak;

TEST_CASE_TEMPLATE("batch forward equals per-point forward", Scalar, float, double) {
  const auto mlp = Mlp<Scalar>::he_initialized({3, 7, 5, 4}, 11);
  Rng rng(3);
  const Matrix<Scalar> points = random_uniform<Scalar>(3, 9, -1, 1, rng);
  const Matrix<Scalar> batch = mlp.forward_batch(points);
  for (Index j = 0; j < points.cols(); ++j) {
    const Vector<Scalar> single = mlp.forward(points.col(j));
    CHECK((single - batch.col(j)).cwiseAbs().maxCoeff() <=
          ScalarTraits<Scalar>::equality_tolerance);
  }
}

TEST_CASE("forward of a hand-set network") {
  Mlp<double> mlp({2, 2, 1});
  mlp.weights(0) << 1, 0, 0, -1;
  mlp.biases(0) << 0, 1;
  mlp.weights(1) << 2, 3;
  mlp.biases(1) << 0.5;
  Vector<double> x(2);
  x << 1.5, 2.0;  // z0 = (1.5, -1) -> a0 = (1.5, 0) -> 3 + 0.5
  CHECK(mlp.forward(x)(0) == doctest::Approx(3.5));
  CHECK_THROWS_AS(mlp.forward(Vector<double>::Ones(3)), InvalidArgument);
  CHECK_THROWS_AS(Mlp<double>({2}), InvalidArgument);
  CHECK_THROWS_AS(Mlp<double>({2, 0, 1}), InvalidArgument);
}

TEST_CASE_TEMPLATE("normal biases are drawn layer after layer, weights untouched", Scalar, float,
                   double) {
  auto mlp = Mlp<Scalar>::he_initialized({3, 7, 5, 4}, 11);
  const auto he = mlp;
  Rng rng(5), same(5);
  mlp.draw_normal_biases(Scalar(0.5), rng);
  for (Index l = 0; l < mlp.layer_count(); ++l) {
    CHECK(mlp.weights(l) == he.weights(l));
    const Vector<Scalar> expected = random_normal<Scalar>(he.biases(l).size(), 1, 0, 0.5, same);
    CHECK(mlp.biases(l) == expected);
    CHECK(mlp.biases(l).cwiseAbs().maxCoeff() > 0);
  }
}
