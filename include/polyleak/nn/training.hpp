#pragma once
// Minibatch training of an Mlp: SGD with momentum or Adam, cross-entropy or MSE, seeded shuffling,
// callbacks every k batches and after every epoch; accuracy of a network on labelled points.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/error.hpp"
#include "polyleak/core/random.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/nn/backpropagation.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// Stochastic gradient descent with momentum, as PyTorch's SGD (no dampening, no Nesterov):
/// `g = grad + weight_decay * p`, `v = momentum * v + g`, `p -= learning_rate * v`.
/// Weight decay applies to weights and biases.
template <RealScalar S>
struct SgdOptions {
  S learning_rate = S(0.01);
  S momentum = S(0.9);
  S weight_decay = S(0);
};

/// Adam, as PyTorch's Adam (weight decay added to the gradient, i.e. L2 regularisation, applied to
/// weights and biases): `m = beta1 m + (1 - beta1) g`, `v = beta2 v + (1 - beta2) g^2`,
/// `p -= learning_rate / (1 - beta1^t) * m / (sqrt(v / (1 - beta2^t)) + epsilon)`.
template <RealScalar S>
struct AdamOptions {
  S learning_rate = S(1e-3);
  S beta1 = S(0.9);
  S beta2 = S(0.999);
  S epsilon = S(1e-8);
  S weight_decay = S(0);
};

/// Passed to TrainingOptions::on_batches after an optimiser step. `batch` is the 0-based index of
/// that step's minibatch within its epoch; `loss` is the minibatch's mean loss before the step.
struct BatchEvent {
  Index epoch;
  Index batch;
  Index batches_per_epoch;
  double loss;
};

/// Passed to TrainingOptions::on_epoch after each epoch (0-based `epoch` of `epochs`). `loss` and
/// `accuracy` are those of the epoch's minibatches, each measured before its own step.
struct EpochReport {
  Index epoch;
  Index epochs;
  double loss;
  double accuracy;
};

/// Options of train().
/// @tparam S float or double, the network's scalar.
template <RealScalar S>
struct TrainingOptions {
  Index epochs = 10;
  /// Points per minibatch; the last minibatch of an epoch holds the remaining points.
  Index batch_size = 128;
  Loss loss = Loss::cross_entropy;
  std::variant<SgdOptions<S>, AdamOptions<S>> optimizer = AdamOptions<S>{};
  /// Seed of the shuffling: the points are permuted anew at the start of every epoch.
  std::uint64_t seed = 0;
  /// on_batches is called after every this many optimiser steps, counted across epochs; 0: never.
  Index callback_every_batches = 0;
  std::function<void(const Mlp<S>&, const BatchEvent&)> on_batches;
  std::function<void(const Mlp<S>&, const EpochReport&)> on_epoch;
};

/// Per-epoch mean loss and accuracy of the minibatches, as in EpochReport.
struct TrainingHistory {
  std::vector<double> loss;
  std::vector<double> accuracy;
};

namespace detail {

/// Throws InvalidArgument naming `function` and `name` unless `value` lies in the given interval.
inline void require_in(const char* function, double value, double low, bool low_included,
                       double high, const char* name) {
  const bool inside = low_included ? value >= low : value > low;
  if (!inside || !(value < high)) [[unlikely]]
    throw_invalid_argument(function, std::string(name) + " is " + std::to_string(value) +
                                         ", expected a value in " + (low_included ? "[" : "(") +
                                         std::to_string(low) + ", " + std::to_string(high) + ")");
}

/// Coefficients per piece of an elementwise optimiser update shared among OpenMP threads.
inline constexpr Index optimizer_piece_size = Index(1) << 15;

/// Calls `update(parameter, gradient, state...)` with Eigen arrays mapped over pieces of at most
/// optimizer_piece_size coefficients of every weight matrix and bias vector; OpenMP threads share
/// the pieces of large tensors. The update is elementwise, so the split does not change the result.
template <RealScalar S, class Update, class... States>
void update_parameters(Mlp<S>& network, const MlpGradients<S>& gradients, const Update& update,
                       States&... states) {
  using Array = Eigen::Array<S, Eigen::Dynamic, 1>;
  auto apply = [&update](S* parameter, const S* gradient, Index size, auto*... state) {
    const Index pieces = (size + optimizer_piece_size - 1) / optimizer_piece_size;
#pragma omp parallel for schedule(static) if (pieces > 1)
    for (Index k = 0; k < pieces; ++k) {
      const Index first = k * optimizer_piece_size;
      const Index count = std::min(optimizer_piece_size, size - first);
      update(Eigen::Map<Array>(parameter + first, count),
             Eigen::Map<const Array>(gradient + first, count),
             Eigen::Map<Array>(state + first, count)...);
    }
  };
  const auto same_shape = [&](const MlpGradients<S>& other) {
    if (other.weights.size() != std::size_t(network.layer_count())) return false;
    for (Index l = 0; l < network.layer_count(); ++l)
      if (other.weights[std::size_t(l)].rows() != network.weights(l).rows() ||
          other.weights[std::size_t(l)].cols() != network.weights(l).cols() ||
          other.biases[std::size_t(l)].size() != network.biases(l).size())
        return false;
    return true;
  };
  if (!same_shape(gradients) || !(same_shape(states) && ...)) [[unlikely]]
    throw_invalid_argument("optimizer step",
                           "gradients or optimiser state are not shaped like the network's "
                           "parameters (the optimiser was made for another network?)");
  for (Index l = 0; l < network.layer_count(); ++l) {
    const auto i = std::size_t(l);
    apply(network.weights(l).data(), gradients.weights[i].data(), network.weights(l).size(),
          states.weights[i].data()...);
    apply(network.biases(l).data(), gradients.biases[i].data(), network.biases(l).size(),
          states.biases[i].data()...);
  }
}

}  // namespace detail

/// The state of SGD with momentum (one velocity per parameter, zero at first), for writing one's
/// own training loop: `optimizer(network, gradients)` takes one step. Throws InvalidArgument on
/// construction for options outside their ranges (learning rate > 0, momentum in [0, 1), weight
/// decay >= 0). Allocation-free steps; deterministic.
/// @tparam S float or double.
template <RealScalar S>
class SgdOptimizer {
 public:
  SgdOptimizer(const SgdOptions<S>& options, const Mlp<S>& network)
      : options_(options), velocity_(MlpGradients<S>::zeros_like(network)) {
    detail::require_in("SgdOptimizer", options.learning_rate, 0, false, HUGE_VAL,
                       "SGD learning rate");
    detail::require_in("SgdOptimizer", options.momentum, 0, true, 1, "SGD momentum");
    detail::require_in("SgdOptimizer", options.weight_decay, 0, true, HUGE_VAL, "SGD weight decay");
  }

  /// One step. Throws InvalidArgument unless `gradients` and the optimiser state are shaped like
  /// `network`'s parameters.
  void operator()(Mlp<S>& network, const MlpGradients<S>& gradients) {
    const SgdOptions<S> o = options_;
    detail::update_parameters(
        network, gradients,
        [o](auto&& parameter, const auto& gradient, auto&& velocity) {
          velocity = o.momentum * velocity + gradient + o.weight_decay * parameter;
          parameter -= o.learning_rate * velocity;
        },
        velocity_);
  }

 private:
  SgdOptions<S> options_;
  MlpGradients<S> velocity_;
};

/// The state of Adam (first and second moment estimates per parameter, and the step count):
/// `optimizer(network, gradients)` takes one step. Throws InvalidArgument on construction for
/// options outside their ranges (learning rate, epsilon > 0, betas in [0, 1), weight decay >= 0).
/// Allocation-free steps; deterministic.
/// @tparam S float or double.
template <RealScalar S>
class AdamOptimizer {
 public:
  AdamOptimizer(const AdamOptions<S>& options, const Mlp<S>& network)
      : options_(options),
        first_(MlpGradients<S>::zeros_like(network)),
        second_(MlpGradients<S>::zeros_like(network)) {
    detail::require_in("AdamOptimizer", options.learning_rate, 0, false, HUGE_VAL,
                       "Adam learning rate");
    detail::require_in("AdamOptimizer", options.beta1, 0, true, 1, "Adam beta1");
    detail::require_in("AdamOptimizer", options.beta2, 0, true, 1, "Adam beta2");
    detail::require_in("AdamOptimizer", options.epsilon, 0, false, HUGE_VAL, "Adam epsilon");
    detail::require_in("AdamOptimizer", options.weight_decay, 0, true, HUGE_VAL,
                       "Adam weight decay");
  }

  /// One step. Throws InvalidArgument unless `gradients` and the optimiser state are shaped like
  /// `network`'s parameters.
  void operator()(Mlp<S>& network, const MlpGradients<S>& gradients) {
    const std::int64_t step = step_ + 1;
    // Bias corrections in double, as PyTorch computes them in Python floats.
    const double correction1 = 1 - std::pow(double(options_.beta1), double(step));
    const double correction2 = 1 - std::pow(double(options_.beta2), double(step));
    const S step_size = S(double(options_.learning_rate) / correction1);
    const S inverse_root_correction2 = S(1 / std::sqrt(correction2));
    const AdamOptions<S> o = options_;
    detail::update_parameters(
        network, gradients,
        [&](auto&& parameter, const auto& gradient, auto&& first, auto&& second) {
          const auto g = gradient + o.weight_decay * parameter;
          first = o.beta1 * first + (S(1) - o.beta1) * g;
          second = o.beta2 * second + (S(1) - o.beta2) * g.square();
          parameter -= step_size * first / (second.sqrt() * inverse_root_correction2 + o.epsilon);
        },
        first_, second_);
    step_ = step;
  }

 private:
  AdamOptions<S> options_;
  MlpGradients<S> first_;
  MlpGradients<S> second_;
  std::int64_t step_ = 0;
};

/// The optimiser state for `options` and `network`'s parameter shapes.
template <RealScalar S>
SgdOptimizer<S> make_optimizer(const SgdOptions<S>& options, const Mlp<S>& network) {
  return SgdOptimizer<S>(options, network);
}

/// The optimiser state for `options` and `network`'s parameter shapes.
template <RealScalar S>
AdamOptimizer<S> make_optimizer(const AdamOptions<S>& options, const Mlp<S>& network) {
  return AdamOptimizer<S>(options, network);
}

/// Trains `network` in place on the labelled points (one point per column of `inputs`) with
/// minibatches, and returns the per-epoch loss and accuracy.
///
/// Every epoch draws a permutation of the points (polyleak::random_permutation, seeded once with
/// options.seed) and takes one optimiser step per minibatch of options.batch_size points (the last
/// minibatch holds the rest; no point is dropped). Preconditions, each checked with
/// InvalidArgument: inputs.rows() equals the network's input dimension; at least one point; as
/// many labels as points, each in 0..output_dimension()-1; finite inputs; epochs >= 0;
/// batch_size >= 1; callback_every_batches >= 0; valid optimiser options. Throws SolverError if
/// the loss becomes NaN or infinite (lower the learning rate).
/// Cost: about three forward passes per epoch; all workspaces are allocated once, before the first
/// step. Determinism: the same network, data, options and number of Eigen threads give the same
/// weights bit for bit.
/// @tparam S float or double.
template <RealScalar S>
TrainingHistory train(Mlp<S>& network,
                      const std::type_identity_t<Eigen::Ref<const Matrix<S>>>& inputs,
                      const std::vector<Index>& labels, const TrainingOptions<S>& options) {
  POLYLEAK_REQUIRE(inputs.rows() == network.input_dimension(),
                   "inputs have " + std::to_string(inputs.rows()) + " rows, network expects " +
                       std::to_string(network.input_dimension()) + "; points are columns");
  POLYLEAK_REQUIRE(inputs.cols() >= 1, "needs at least one training point");
  detail::check_label_count(inputs.cols(), labels.size(), __func__);
  detail::check_labels(labels, network.output_dimension(), __func__);
  require_finite(inputs, __func__, "inputs");
  POLYLEAK_REQUIRE(options.epochs >= 0,
                   "epochs is " + std::to_string(options.epochs) + ", expected >= 0");
  POLYLEAK_REQUIRE(options.batch_size >= 1,
                   "batch_size is " + std::to_string(options.batch_size) + ", expected >= 1");
  POLYLEAK_REQUIRE(options.callback_every_batches >= 0,
                   "callback_every_batches is " + std::to_string(options.callback_every_batches) +
                       ", expected >= 0 (0: never)");

  const Index count = inputs.cols();
  const Index batch_size = std::min(options.batch_size, count);
  const Index batches_per_epoch = (count + batch_size - 1) / batch_size;

  Backpropagation<S> backpropagation(network, batch_size);
  Matrix<S> batch(inputs.rows(), batch_size);
  std::vector<Index> batch_labels(std::size_t(batch_size), 0);
  std::vector<Index> order;
  Rng rng(options.seed);
  TrainingHistory history;
  Index steps = 0;

  auto run = [&](auto step) {
    for (Index epoch = 0; epoch < options.epochs; ++epoch) {
      order = random_permutation(count, rng);
      double loss_sum = 0;
      Index correct = 0;
      for (Index b = 0; b < batches_per_epoch; ++b) {
        const Index first = b * batch_size;
        const Index size = std::min(batch_size, count - first);
        for (Index k = 0; k < size; ++k) {
          const Index point = order[std::size_t(first + k)];
          batch.col(k) = inputs.col(point);
          batch_labels[std::size_t(k)] = labels[std::size_t(point)];
        }

        const double loss =
            backpropagation.compute(network, batch.leftCols(size),
                                    std::span(batch_labels).first(std::size_t(size)), options.loss);
        if (!std::isfinite(loss)) [[unlikely]]
          throw SolverError("train: loss is " + std::to_string(loss) + " at epoch " +
                            std::to_string(epoch) + ", batch " + std::to_string(b) +
                            "; expected a finite loss (try a lower learning rate)");
        step(network, backpropagation.gradients());
        loss_sum += loss * double(size);
        correct += backpropagation.correct_count();

        ++steps;
        if (options.callback_every_batches > 0 && options.on_batches &&
            steps % options.callback_every_batches == 0)
          options.on_batches(network, BatchEvent{epoch, b, batches_per_epoch, loss});
      }
      const EpochReport report{epoch, options.epochs, loss_sum / double(count),
                               double(correct) / double(count)};
      history.loss.push_back(report.loss);
      history.accuracy.push_back(report.accuracy);
      if (options.on_epoch) options.on_epoch(network, report);
    }
  };
  std::visit([&](const auto& optimizer) { run(make_optimizer(optimizer, network)); },
             options.optimizer);
  return history;
}

/// Fraction of the labelled points (one per column of `inputs`) whose predicted class (arg max
/// logit) equals the label. Throws InvalidArgument for wrong shapes, no points or labels outside
/// the output classes. Cost: one forward pass, in chunks of a few thousand points to bound memory.
/// Deterministic.
template <RealScalar S>
double accuracy(const Mlp<S>& network,
                const std::type_identity_t<Eigen::Ref<const Matrix<S>>>& inputs,
                const std::vector<Index>& labels) {
  constexpr Index chunk = 4096;
  POLYLEAK_REQUIRE(inputs.cols() >= 1, "needs at least one point");
  detail::check_label_count(inputs.cols(), labels.size(), __func__);
  detail::check_labels(labels, network.output_dimension(), __func__);
  Index correct = 0;
  for (Index first = 0; first < inputs.cols(); first += chunk) {
    const Index size = std::min(chunk, inputs.cols() - first);
    const std::vector<Index> predicted = network.predict(inputs.middleCols(first, size));
    for (Index k = 0; k < size; ++k)
      correct += predicted[std::size_t(k)] == labels[std::size_t(first + k)];
  }
  return double(correct) / double(inputs.cols());
}

}  // namespace polyleak
