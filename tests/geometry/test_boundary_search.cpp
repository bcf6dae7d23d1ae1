#include <doctest/doctest.h>

#include <cmath>

#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/geometry/boundary_distance.hpp"
#include "polyleak/geometry/boundary_search.hpp"
#include "test_networks.hpp"

using namespace polyleak;

namespace {

constexpr BoundaryLoss all_losses[] = {BoundaryLoss::confidence, BoundaryLoss::output_norm,
                                       BoundaryLoss::jacobian_norm, BoundaryLoss::bias_norm};

}  // namespace

TEST_CASE_TEMPLATE("relaxed loss gradients match central differences", Scalar, float, double) {
  // Step h = ScalarTraits::difference_step, relative tolerance derivative_tolerance (of the
  // gradient's largest entry); coordinates whose +-h points change the activation pattern are
  // skipped, since the pre-activations have a kink there.
  const Scalar h = ScalarTraits<Scalar>::difference_step;
  const double tolerance = double(ScalarTraits<Scalar>::derivative_tolerance);
  for (const Activation activation : {Activation::relu, Activation::leaky_relu}) {
    const auto network = test::random_network<Scalar>({5, 7, 6, 4}, 11, activation);
    Rng rng(5);
    Index compared = 0;
    for (int trial = 0; trial < 4; ++trial) {
      const Vector<Scalar> point = random_normal<Scalar>(5, 1, 0, 1, rng);
      const ActivationPattern pattern = activation_pattern(network, point);
      for (const BoundaryLoss loss : all_losses) {
        const auto at = boundary_loss(network, point, loss, 1, Scalar(0.7));
        const double scale = 1e-3 + double(at.gradient.cwiseAbs().maxCoeff());
        for (Index i = 0; i < point.size(); ++i) {
          Vector<Scalar> up = point, down = point;
          up(i) += h;
          down(i) -= h;
          if (activation_pattern(network, up) != pattern ||
              activation_pattern(network, down) != pattern)
            continue;
          const double difference =
              (double(boundary_loss(network, up, loss, 1, Scalar(0.7)).value) -
               double(boundary_loss(network, down, loss, 1, Scalar(0.7)).value)) /
              (2 * double(h));
          CAPTURE(to_string(loss));
          CAPTURE(i);
          CHECK(std::abs(difference - double(at.gradient(i))) <= tolerance * scale);
          ++compared;
        }
      }
    }
    CHECK(compared >= 40);
  }
}

TEST_CASE("loss values on a one-neuron network") {
  // z_0 = 2 x_0 + 1 feeds logits (3 a, -a): at x = (1, 0), z_0 = 3, A = [6 0; -2 0] gated by
  // sigmoid(3), b = (3, -1) sigmoid(3).
  Mlp<double> network({2, 1, 2});
  network.weights(0) << 2, 0;
  network.biases(0) << 1;
  network.weights(1) << 3, -1;
  Vector<double> point(2);
  point << 1, 0;
  const double gate = 1 / (1 + std::exp(-3.0));
  CHECK(boundary_loss(network, point, BoundaryLoss::jacobian_norm, 0).value ==
        doctest::Approx(std::sqrt(40.0) * gate));
  CHECK(boundary_loss(network, point, BoundaryLoss::bias_norm, 0).value ==
        doctest::Approx(3 * gate));
  CHECK(boundary_loss(network, point, BoundaryLoss::output_norm, 0).value ==
        doctest::Approx(std::sqrt(90.0)));
  CHECK(boundary_loss(network, point, BoundaryLoss::confidence, 0).value ==
        doctest::Approx(1 / (1 + std::exp(-12.0))));
}

TEST_CASE_TEMPLATE("gradient search finds a boundary no closer than the exact one", Scalar, float,
                   double) {
  const double tolerance = 100 * double(ScalarTraits<Scalar>::geometry_tolerance);
  Index found = 0;
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    const auto network = test::random_network<Scalar>({4, 8, 8, 3}, 30 + seed);
    Rng rng(seed);
    const Vector<Scalar> point = random_normal<Scalar>(4, 1, 0, 1, rng);
    const auto exact = boundary_distance(network, point);
    for (const BoundaryLoss loss : all_losses) {
      BoundarySearchOptions<Scalar> options;
      options.loss = loss;
      const auto search = boundary_search(network, point, options);
      CAPTURE(seed);
      CAPTURE(to_string(loss));
      if (!search.found) continue;
      ++found;
      CHECK(search.boundary_class != search.original_class);
      CHECK(double(exact.distance) <= double(search.distance) * (1 + tolerance));
      // The point past the boundary is that close to it: the exact distance from it is at most
      // the bisection precision.
      BoundaryDistanceOptions<Scalar> near;
      near.region_budget = 50;
      const auto back = boundary_distance(network, search.boundary_point, near);
      CHECK(double(back.lower_bound) <=
            double(options.step_width) * 2 * std::ldexp(1.0, -int(options.refinement_steps)) +
                tolerance);
      CHECK(search.forward_passes >= search.iterations);
    }
  }
  CHECK(found >= 6);
}
