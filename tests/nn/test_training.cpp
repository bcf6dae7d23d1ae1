#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "polyleak/nn.hpp"

using namespace polyleak;

namespace {

/// Labelled points: `per_class` points around each of `classes` centres on a circle of radius 1,
/// with normal noise of deviation `spread`.
template <class Scalar>
std::pair<Matrix<Scalar>, std::vector<Index>> gaussian_blobs(Index classes, Index per_class,
                                                             Scalar spread, std::uint64_t seed) {
  Rng rng(seed);
  Matrix<Scalar> points = random_normal<Scalar>(2, classes * per_class, 0, spread, rng);
  std::vector<Index> labels;
  for (Index c = 0; c < classes; ++c) {
    const double angle = 2 * M_PI * double(c) / double(classes);
    for (Index k = 0; k < per_class; ++k) {
      points(0, c * per_class + k) += Scalar(std::cos(angle));
      points(1, c * per_class + k) += Scalar(std::sin(angle));
      labels.push_back(c);
    }
  }
  return {points, labels};
}

/// Largest relative difference between backpropagated gradients and central differences of
/// evaluate_loss with step h, over every weight and bias: |g - fd| / max(1, |fd|).
template <class Scalar>
double gradient_error(Mlp<Scalar> network, const Matrix<Scalar>& inputs,
                      const std::vector<Index>& labels, Loss loss) {
  Backpropagation<Scalar> backpropagation(network, inputs.cols());
  backpropagation.compute(network, inputs, labels, loss);
  const MlpGradients<Scalar> gradients = backpropagation.gradients();
  const Scalar h = ScalarTraits<Scalar>::difference_step;
  double worst = 0;
  auto check = [&](Scalar& parameter, Scalar analytic) {
    const Scalar saved = parameter;
    parameter = saved + h;
    const double up = evaluate_loss(network, inputs, labels, loss);
    parameter = saved - h;
    const double down = evaluate_loss(network, inputs, labels, loss);
    parameter = saved;
    const double difference = (up - down) / (2 * double(h));
    worst = std::max(worst,
                     std::abs(double(analytic) - difference) / std::max(1.0, std::abs(difference)));
  };
  for (Index l = 0; l < network.layer_count(); ++l) {
    for (Index i = 0; i < network.weights(l).size(); ++i)
      check(network.weights(l).data()[i], gradients.weights[std::size_t(l)].data()[i]);
    for (Index i = 0; i < network.biases(l).size(); ++i)
      check(network.biases(l)(i), gradients.biases[std::size_t(l)](i));
  }
  return worst;
}

}  // namespace

/// Up to `count` of `candidates`' columns at which every hidden pre-activation of `network` is at
/// least `margin` away from 0, so that a central difference does not step across a ReLU kink.
template <class Scalar>
Matrix<Scalar> points_away_from_kinks(const Mlp<Scalar>& network, const Matrix<Scalar>& candidates,
                                      Scalar margin, Index count) {
  const std::vector<Matrix<Scalar>> z = network.pre_activations(candidates);
  Matrix<Scalar> points(candidates.rows(), count);
  Index kept = 0;
  for (Index j = 0; j < candidates.cols() && kept < count; ++j) {
    bool away = true;
    for (Index l = 0; l < network.hidden_layer_count(); ++l)
      away = away && z[std::size_t(l)].col(j).cwiseAbs().minCoeff() >= margin;
    if (away) points.col(kept++) = candidates.col(j);
  }
  return points.leftCols(kept);
}

TEST_CASE_TEMPLATE("backpropagated gradients equal central differences", Scalar, float, double) {
  // Step h = ScalarTraits::difference_step (1e-2 float, 1e-6 double); tolerance
  // ScalarTraits::derivative_tolerance relative to max(1, |difference|) (2e-2 float, 1e-6 double).
  // The 6 points keep every hidden pre-activation at least 20 h away from the ReLU kinks.
  const Scalar margin = 20 * ScalarTraits<Scalar>::difference_step;
  Rng rng(5);
  const Matrix<Scalar> candidates = random_uniform<Scalar>(3, 200, -1, 1, rng);
  const std::vector<Index> labels{0, 2, 1, 2, 0, 1};
  for (const Activation activation : {Activation::relu, Activation::leaky_relu}) {
    auto network = Mlp<Scalar>::he_initialized({3, 5, 4, 3}, 7, activation, Scalar(0.1));
    for (Index l = 0; l < network.layer_count(); ++l)
      network.biases(l) = random_uniform<Scalar>(network.biases(l).size(), 1, -0.5, 0.5, rng);
    const Matrix<Scalar> inputs = points_away_from_kinks(network, candidates, margin, 6);
    REQUIRE(inputs.cols() == 6);
    for (const Loss loss : {Loss::cross_entropy, Loss::mean_squared_error}) {
      CAPTURE(int(activation));
      CAPTURE(int(loss));
      CHECK(gradient_error(network, inputs, labels, loss) <=
            ScalarTraits<Scalar>::derivative_tolerance);
    }
  }
}

TEST_CASE("losses and output gradients of a hand-set network") {
  // Zero network: logits 0, so cross-entropy is log(3) and MSE (0-1)^2 / 3 per point.
  const Mlp<double> network({2, 3});
  const Matrix<double> inputs = Matrix<double>::Ones(2, 2);
  const std::vector<Index> labels{0, 2};
  CHECK(evaluate_loss(network, inputs, labels, Loss::cross_entropy) ==
        doctest::Approx(std::log(3.0)));
  CHECK(evaluate_loss(network, inputs, labels, Loss::mean_squared_error) ==
        doctest::Approx(1.0 / 3.0));

  // d(CE)/db = mean over points of softmax - onehot = (1/3 - 1/2, 1/3, 1/3 - 1/2).
  Backpropagation<double> backpropagation(network, 4);
  CHECK(backpropagation.compute(network, inputs, labels, Loss::cross_entropy) ==
        doctest::Approx(std::log(3.0)));
  const Vector<double>& bias_gradient = backpropagation.gradients().biases[0];
  CHECK(bias_gradient(0) == doctest::Approx(-1.0 / 6.0));
  CHECK(bias_gradient(1) == doctest::Approx(1.0 / 3.0));
  CHECK(bias_gradient(2) == doctest::Approx(-1.0 / 6.0));

  CHECK_THROWS_AS(evaluate_loss(network, inputs, std::vector<Index>{0, 3}, Loss::cross_entropy),
                  InvalidArgument);
  CHECK_THROWS_AS(evaluate_loss(network, inputs, std::vector<Index>{0}, Loss::cross_entropy),
                  InvalidArgument);
  CHECK_THROWS_AS(backpropagation.compute(network, Matrix<double>::Ones(2, 5),
                                          std::vector<Index>(5, 0), Loss::cross_entropy),
                  InvalidArgument);
  CHECK_THROWS_AS(backpropagation.compute(Mlp<double>({2, 4}), inputs, labels, Loss::cross_entropy),
                  InvalidArgument);
}

TEST_CASE("a smaller last batch gives the gradients of a fresh workspace") {
  const auto network = Mlp<double>::he_initialized({2, 6, 3}, 2);
  Rng rng(9);
  const Matrix<double> inputs = random_uniform<double>(2, 8, -1, 1, rng);
  const std::vector<Index> labels{0, 1, 2, 0, 1, 2, 0, 1};
  Backpropagation<double> large(network, 8);
  large.compute(network, inputs, labels, Loss::cross_entropy);
  const std::span<const Index> first(labels.data(), 3);
  large.compute(network, inputs.leftCols(3), first, Loss::cross_entropy);
  Backpropagation<double> exact(network, 3);
  exact.compute(network, inputs.leftCols(3), first, Loss::cross_entropy);
  CHECK(large.gradients().weights == exact.gradients().weights);
  CHECK(large.gradients().biases == exact.gradients().biases);
}

TEST_CASE_TEMPLATE("training separates Gaussian blobs", Scalar, float, double) {
  const auto [points, labels] = gaussian_blobs<Scalar>(4, 50, Scalar(0.15), 21);
  for (const Loss loss : {Loss::cross_entropy, Loss::mean_squared_error}) {
    for (const bool adam : {true, false}) {
      CAPTURE(int(loss));
      CAPTURE(adam);
      auto network = Mlp<Scalar>::he_initialized({2, 16, 16, 4}, 3);
      TrainingOptions<Scalar> options;
      options.epochs = 60;
      options.batch_size = 32;
      options.loss = loss;
      options.seed = 4;
      if (adam)
        options.optimizer = AdamOptions<Scalar>{Scalar(0.01)};
      else
        options.optimizer = SgdOptions<Scalar>{Scalar(0.05), Scalar(0.9)};
      const TrainingHistory history = train(network, points, labels, options);
      REQUIRE(history.loss.size() == 60);
      CHECK(history.loss.back() < 0.5 * history.loss.front());
      CHECK(accuracy(network, points, labels) == 1.0);
    }
  }
}

TEST_CASE("training is deterministic bit for bit and calls back as documented") {
  const auto [points, labels] = gaussian_blobs<float>(3, 30, 0.3f, 8);
  TrainingOptions<float> options;
  options.epochs = 4;
  options.batch_size = 16;  // 90 points: 5 full minibatches and one of 10
  options.seed = 17;
  options.optimizer = SgdOptions<float>{0.02f, 0.9f, 1e-3f};
  options.callback_every_batches = 4;
  std::vector<BatchEvent> batch_events;
  std::vector<EpochReport> epoch_reports;
  options.on_batches = [&](const Mlp<float>&, const BatchEvent& e) { batch_events.push_back(e); };
  options.on_epoch = [&](const Mlp<float>&, const EpochReport& r) { epoch_reports.push_back(r); };

  auto first = Mlp<float>::he_initialized({2, 12, 12, 3}, 1, Activation::leaky_relu);
  auto second = first;
  const TrainingHistory history = train(first, points, labels, options);
  train(second, points, labels, options);
  CHECK(first == second);

  // 24 steps, a callback after steps 4, 8, ..., 24: batch index within the epoch.
  REQUIRE(batch_events.size() == 2 * 6);
  CHECK(batch_events[0].epoch == 0);
  CHECK(batch_events[0].batch == 3);
  CHECK(batch_events[1].epoch == 1);
  CHECK(batch_events[1].batch == 1);
  CHECK(batch_events[0].batches_per_epoch == 6);
  REQUIRE(epoch_reports.size() == 2 * 4);
  CHECK(epoch_reports[3].epoch == 3);
  CHECK(epoch_reports[3].epochs == 4);
  CHECK(epoch_reports[3].loss == history.loss[3]);
  CHECK(epoch_reports[3].accuracy == history.accuracy[3]);

  // Another seed shuffles differently.
  auto third = Mlp<float>::he_initialized({2, 12, 12, 3}, 1, Activation::leaky_relu);
  options.seed = 18;
  train(third, points, labels, options);
  CHECK_FALSE(first == third);
}

TEST_CASE("train and accuracy reject bad arguments") {
  auto network = Mlp<double>::he_initialized({2, 4, 2}, 1, Activation::leaky_relu);
  const Matrix<double> points = Matrix<double>::Zero(2, 3);
  const std::vector<Index> labels{0, 1, 1};
  TrainingOptions<double> options;
  CHECK_THROWS_AS(train(network, Matrix<double>::Zero(3, 3), labels, options), InvalidArgument);
  CHECK_THROWS_AS(train(network, Matrix<double>::Zero(2, 0), {}, options), InvalidArgument);
  CHECK_THROWS_AS(train(network, points, {0, 1}, options), InvalidArgument);
  CHECK_THROWS_AS(train(network, points, {0, 1, 2}, options), InvalidArgument);
  Matrix<double> with_nan = points;
  with_nan(1, 2) = std::nan("");
  CHECK_THROWS_AS(train(network, with_nan, labels, options), InvalidArgument);
  options.batch_size = 0;
  CHECK_THROWS_AS(train(network, points, labels, options), InvalidArgument);
  options.batch_size = 2;
  options.optimizer = SgdOptions<double>{0.1, 1.0};
  CHECK_THROWS_AS(train(network, points, labels, options), InvalidArgument);
  options.optimizer = AdamOptions<double>{-1e-3};
  CHECK_THROWS_AS(train(network, points, labels, options), InvalidArgument);
  // Leaky ReLU keeps every gradient alive, so this step size makes the logits overflow.
  options.optimizer = SgdOptions<double>{1e10, 0.0};
  options.loss = Loss::mean_squared_error;
  CHECK_THROWS_AS(train(network, Matrix<double>::Ones(2, 3) * 1e10, labels, options), SolverError);
  CHECK_THROWS_AS(accuracy(network, points, {0, 1}), InvalidArgument);

  auto optimizer = make_optimizer(AdamOptions<double>{}, network);
  auto other = Mlp<double>::he_initialized({2, 5, 2}, 1);
  CHECK_THROWS_AS(optimizer(other, MlpGradients<double>::zeros_like(other)), InvalidArgument);
  CHECK_THROWS_AS(optimizer(network, MlpGradients<double>::zeros_like(other)), InvalidArgument);
}

TEST_CASE_TEMPLATE("optimiser steps follow their update rules", Scalar, float, double) {
  // Gradients set by hand; parameters start at p0.
  const Scalar tolerance = ScalarTraits<Scalar>::equality_tolerance;
  Mlp<Scalar> network({1, 2});
  network.weights(0) << Scalar(0.5), Scalar(-1);
  network.biases(0) << Scalar(2), Scalar(0);
  const Mlp<Scalar> start = network;
  MlpGradients<Scalar> gradients = MlpGradients<Scalar>::zeros_like(network);
  gradients.weights[0] << Scalar(0.25), Scalar(-4);
  gradients.biases[0] << Scalar(1), Scalar(-0.5);

  // SGD: v1 = g + wd p0, p1 = p0 - lr v1; v2 = mu v1 + g + wd p1, p2 = p1 - lr v2.
  const SgdOptions<Scalar> sgd{Scalar(0.1), Scalar(0.5), Scalar(0.2)};
  auto sgd_step = make_optimizer(sgd, network);
  sgd_step(network, gradients);
  sgd_step(network, gradients);
  for (Index i = 0; i < 2; ++i) {
    const Scalar p0 = start.weights(0)(i, 0), g = gradients.weights[0](i, 0);
    const Scalar v1 = g + sgd.weight_decay * p0, p1 = p0 - sgd.learning_rate * v1;
    const Scalar v2 = sgd.momentum * v1 + g + sgd.weight_decay * p1;
    CHECK(std::abs(network.weights(0)(i, 0) - (p1 - sgd.learning_rate * v2)) <= tolerance);
  }

  // Adam, first step: m / sqrt(v) after bias correction is g / |g|, so p1 = p0 - lr g / (|g| +
  // eps).
  network = start;
  const AdamOptions<Scalar> adam{Scalar(0.01)};
  auto adam_step = make_optimizer(adam, network);
  adam_step(network, gradients);
  for (Index i = 0; i < 2; ++i) {
    const Scalar g = gradients.biases[0](i);
    const Scalar expected =
        start.biases(0)(i) - adam.learning_rate * g / (std::abs(g) + adam.epsilon);
    CHECK(std::abs(network.biases(0)(i) - expected) <= tolerance);
  }
}
