#pragma once
// Backpropagation: the mean training loss of an Mlp on a batch and its gradients with respect to
// every weight and bias, computed by hand with one matrix product per layer and direction.

#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// Training loss of a network on labelled points, with logits `z` and labels `y` in 0..m-1:
/// - cross_entropy: mean over the points of `-log softmax(z)_y`;
/// - mean_squared_error: mean over the points and the m outputs of `(z - e_y)^2`, where `e_y` is
///   the one-hot vector of the label (the convention of PyTorch's MSELoss with mean reduction).
enum class Loss { cross_entropy, mean_squared_error };

/// Gradients with respect to the weights and biases of every layer, shaped like the network's
/// (weights[l] is layer_sizes[l+1] x layer_sizes[l]). Also used for optimiser state.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct MlpGradients {
  std::vector<Matrix<Scalar>> weights;
  std::vector<Vector<Scalar>> biases;

  /// All-zero gradients shaped like `network`'s parameters.
  static MlpGradients zeros_like(const Mlp<Scalar>& network) {
    MlpGradients gradients;
    for (Index l = 0; l < network.layer_count(); ++l) {
      gradients.weights.push_back(
          Matrix<Scalar>::Zero(network.weights(l).rows(), network.weights(l).cols()));
      gradients.biases.push_back(Vector<Scalar>::Zero(network.biases(l).size()));
    }
    return gradients;
  }
};

namespace detail {

/// `value > 0` for a non-NaN value, decided on its bits: an integer comparison that compilers
/// vectorise, where a floating-point comparison in a select is not (a 20x difference measured for
/// the backward pass's activation derivative).
template <RealScalar Scalar>
bool is_positive(Scalar value) {
  using Bits = std::conditional_t<sizeof(Scalar) == 4, std::int32_t, std::int64_t>;
  return std::bit_cast<Bits>(value) > 0;
}

/// Throws InvalidArgument naming `function` unless every label is in 0..classes-1.
inline void check_labels(std::span<const Index> labels, Index classes, const char* function) {
  for (std::size_t j = 0; j < labels.size(); ++j)
    if (labels[j] < 0 || labels[j] >= classes) [[unlikely]]
      throw_invalid_argument(function, "label of point " + std::to_string(j) + " is " +
                                           std::to_string(labels[j]) + ", expected a class in 0.." +
                                           std::to_string(classes - 1));
}

/// Sum over the columns of `logits` of the loss of each point, accumulated in double. When
/// `delta` is not null it receives d(mean loss)/d(logits), the mean taken over the columns; when
/// `correct` is not null it receives the number of points whose arg max logit equals their label.
/// Throws InvalidArgument for a label outside 0..rows-1.
template <class Logits, class Delta>
double sum_of_losses(const Logits& logits, std::span<const Index> labels, Loss loss, Delta* delta,
                     Index* correct, const char* function) {
  using Scalar = typename Logits::Scalar;
  const Index classes = logits.rows();
  const Scalar inverse_count = Scalar(1) / Scalar(logits.cols());
  check_labels(labels, classes, function);
  double total = 0;
  Index hits = 0;
  for (Index j = 0; j < logits.cols(); ++j) {
    const Index label = labels[std::size_t(j)];
    const auto z = logits.col(j);
    Index predicted = 0;
    const Scalar largest = z.maxCoeff(&predicted);
    hits += predicted == label;
    if (loss == Loss::cross_entropy) {
      // log-sum-exp with the maximum subtracted keeps exp() finite and the loss exact for
      // confident predictions.
      const Scalar partition = (z.array() - largest).exp().sum();
      total += double(std::log(partition) + largest - z(label));
      if (delta) {
        auto d = delta->col(j);
        d.array() = (z.array() - largest).exp() * (inverse_count / partition);
        d(label) -= inverse_count;
      }
    } else {
      const Scalar squared = z.squaredNorm() - Scalar(2) * z(label) + Scalar(1);
      total += double(squared) / double(classes);
      if (delta) {
        auto d = delta->col(j);
        const Scalar scale = Scalar(2) * inverse_count / Scalar(classes);
        d = scale * z;
        d(label) -= scale;
      }
    }
  }
  if (correct) *correct = hits;
  return total;
}

/// Throws InvalidArgument naming `function` unless there is one label per point.
inline void check_label_count(Index points, std::size_t labels, const char* function) {
  if (Index(labels) != points) [[unlikely]]
    throw_invalid_argument(function, "batch has " + std::to_string(points) + " points but " +
                                         std::to_string(labels) + " labels");
}

}  // namespace detail

/// Mean loss of `network` on the labelled points (one point per column of `inputs`).
/// Throws InvalidArgument for wrong shapes, an empty batch or labels outside the output classes.
/// Cost: one forward pass. Deterministic.
template <RealScalar Scalar>
double evaluate_loss(const Mlp<Scalar>& network,
                     const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& inputs,
                     std::span<const Index> labels, Loss loss) {
  detail::check_label_count(inputs.cols(), labels.size(), __func__);
  POLYLEAK_REQUIRE(inputs.cols() > 0, "needs at least one point");
  const Matrix<Scalar> logits = network.forward_batch(inputs);
  return detail::sum_of_losses(logits, labels, loss, static_cast<Matrix<Scalar>*>(nullptr), nullptr,
                               __func__) /
         double(inputs.cols());
}

/// A reusable backpropagation workspace for one network shape and batches of up to
/// `max_batch_size` points. compute() caches the activations of the forward pass and runs the
/// backward pass `delta_{l-1} = (W_l^T delta_l) * act'(z_{l-1})`,
/// `dL/dW_l = delta_l a_{l-1}^T`, `dL/db_l = sum over points of delta_l`.
///
/// After construction compute() allocates nothing (apart from what Eigen's matrix product may
/// use internally). Not thread-safe; use one workspace per thread.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class Backpropagation {
 public:
  /// A workspace for networks with `network`'s layer sizes. Throws InvalidArgument if
  /// max_batch_size < 1.
  Backpropagation(const Mlp<Scalar>& network, Index max_batch_size)
      : layer_sizes_(network.layer_sizes()),
        max_batch_size_(max_batch_size),
        gradients_(MlpGradients<Scalar>::zeros_like(network)) {
    POLYLEAK_REQUIRE(max_batch_size >= 1,
                     "max_batch_size is " + std::to_string(max_batch_size) + ", expected >= 1");
    for (Index l = 0; l < network.layer_count(); ++l) {
      activations_.emplace_back(layer_sizes_[std::size_t(l) + 1], max_batch_size);
      deltas_.emplace_back(layer_sizes_[std::size_t(l) + 1], max_batch_size);
    }
  }

  /// Mean `loss` of `network` on the batch (one point per column of `inputs`, 1 to
  /// max_batch_size() points) and, in gradients(), its gradient with respect to every weight and
  /// bias. At a kink (pre-activation exactly 0) the derivative of the negative side is used. Throws
  /// InvalidArgument if the network's layer sizes differ from the workspace's, for a wrong batch
  /// shape or labels outside the output classes. Cost: about three forward passes.
  /// Deterministic for a fixed number of Eigen threads.
  double compute(const Mlp<Scalar>& network, const Eigen::Ref<const Matrix<Scalar>>& inputs,
                 std::span<const Index> labels, Loss loss) {
    POLYLEAK_REQUIRE(network.layer_sizes() == layer_sizes_,
                     "network's layer sizes differ from the workspace's");
    POLYLEAK_REQUIRE(inputs.rows() == network.input_dimension(),
                     "batch has " + std::to_string(inputs.rows()) + " rows, network expects " +
                         std::to_string(network.input_dimension()) + "; points are columns");
    POLYLEAK_REQUIRE(inputs.cols() >= 1 && inputs.cols() <= max_batch_size_,
                     "batch has " + std::to_string(inputs.cols()) + " points, expected 1.." +
                         std::to_string(max_batch_size_));
    detail::check_label_count(inputs.cols(), labels.size(), __func__);
    const Index n = inputs.cols();
    const Index last = network.layer_count() - 1;

    for (Index l = 0; l <= last; ++l) {
      auto z = activations_[std::size_t(l)].leftCols(n);
      if (l == 0)
        z.noalias() = network.weights(l) * inputs;
      else
        z.noalias() = network.weights(l) * activations_[std::size_t(l) - 1].leftCols(n);
      z.colwise() += network.biases(l);
      // ReLU and leaky ReLU keep the sign, so the activation alone tells act'(z) later.
      if (l < last) network.activate(z);
    }

    auto output_delta = deltas_[std::size_t(last)].leftCols(n);
    const double total = detail::sum_of_losses(activations_[std::size_t(last)].leftCols(n), labels,
                                               loss, &output_delta, &correct_, __func__);

    const Scalar slope = network.negative_slope();
    for (Index l = last; l >= 0; --l) {
      const auto delta = deltas_[std::size_t(l)].leftCols(n);
      auto& weight_gradient = gradients_.weights[std::size_t(l)];
      if (l == 0)
        weight_gradient.noalias() = delta * inputs.transpose();
      else
        weight_gradient.noalias() =
            delta * activations_[std::size_t(l) - 1].leftCols(n).transpose();
      // Column by column: contiguous, vectorised adds (rowwise().sum() strides across columns).
      auto& bias_gradient = gradients_.biases[std::size_t(l)];
      bias_gradient = delta.col(0);
      for (Index j = 1; j < n; ++j)
        bias_gradient += delta.col(j);
      if (l == 0) break;

      auto previous = deltas_[std::size_t(l) - 1].leftCols(n);
      previous.noalias() = network.weights(l).transpose() * delta;
      previous.array() *= activations_[std::size_t(l) - 1].leftCols(n).array().unaryExpr(
          [slope](Scalar a) { return detail::is_positive(a) ? Scalar(1) : slope; });
    }
    return total / double(n);
  }

  /// Gradients of the last compute().
  const MlpGradients<Scalar>& gradients() const noexcept { return gradients_; }
  /// Number of points of the last compute() whose arg max logit equals their label.
  Index correct_count() const noexcept { return correct_; }
  Index max_batch_size() const noexcept { return max_batch_size_; }

 private:
  std::vector<Index> layer_sizes_;
  Index max_batch_size_;
  MlpGradients<Scalar> gradients_;
  std::vector<Matrix<Scalar>> activations_;  // a_l (hidden layers), then the logits
  std::vector<Matrix<Scalar>> deltas_;       // d(mean loss)/d(z_l)
  Index correct_ = 0;
};

}  // namespace polyleak
