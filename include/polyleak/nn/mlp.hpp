#pragma once
// Mlp<Scalar>: a feed-forward ReLU (or leaky ReLU) network with a linear output layer.

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/random.hpp"
#include "polyleak/core/scalar.hpp"

namespace polyleak {

/// Nonlinearity of the hidden layers.
enum class Activation { relu, leaky_relu };

/// A network `z_l = W_l a_{l-1} + b_l`, `a_l = act(z_l)` on hidden layers, logits `z_L`.
///
/// Layers are numbered 0..layer_count()-1 (affine layers); layer l maps layer_sizes()[l] inputs
/// to layer_sizes()[l+1] outputs; the last one is the linear output layer, every other one is
/// hidden. Batches hold one point per column.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class Mlp {
 public:
  using MatrixType = Matrix<Scalar>;
  using VectorType = Vector<Scalar>;

  /// A network with the given layer sizes {input, hidden..., output}, all weights zero.
  /// Throws InvalidArgument for fewer than two sizes, a zero size or a negative leaky slope.
  explicit Mlp(std::vector<Index> layer_sizes, Activation activation = Activation::relu,
               Scalar leaky_slope = Scalar(0.01))
      : layer_sizes_(std::move(layer_sizes)), activation_(activation), leaky_slope_(leaky_slope) {
    POLYLEAK_REQUIRE(layer_sizes_.size() >= 2,
                     "a network needs at least input and output sizes, got " +
                         std::to_string(layer_sizes_.size()) + " sizes");
    for (std::size_t l = 0; l < layer_sizes_.size(); ++l)
      POLYLEAK_REQUIRE(layer_sizes_[l] > 0, "layer size " + std::to_string(l) + " is " +
                                                std::to_string(layer_sizes_[l]) +
                                                ", expected a positive size");
    POLYLEAK_REQUIRE(activation == Activation::relu || (leaky_slope >= 0 && leaky_slope < 1),
                     "leaky slope must be in [0, 1), got " + std::to_string(leaky_slope));
    for (std::size_t l = 0; l + 1 < layer_sizes_.size(); ++l) {
      weights_.push_back(MatrixType::Zero(layer_sizes_[l + 1], layer_sizes_[l]));
      biases_.push_back(VectorType::Zero(layer_sizes_[l + 1]));
    }
  }

  /// A network with He-initialised weights (normal, variance 2 / fan-in) and zero biases.
  static Mlp he_initialized(std::vector<Index> layer_sizes, std::uint64_t seed,
                            Activation activation = Activation::relu,
                            Scalar leaky_slope = Scalar(0.01)) {
    Mlp mlp(std::move(layer_sizes), activation, leaky_slope);
    Rng rng(seed);
    for (auto& w : mlp.weights_)
      w = random_normal<Scalar>(w.rows(), w.cols(), Scalar(0),
                                std::sqrt(Scalar(2) / Scalar(w.cols())), rng);
    return mlp;
  }

  /// Replaces every bias by a draw from N(0, stddev^2) with `rng`, layer after layer (He
  /// initialisation leaves them zero, and then every activation region is a cone through the
  /// origin). For test and benchmark networks. Cost O(hidden and output neurons).
  void draw_normal_biases(Scalar stddev, Rng& rng) {
    for (auto& b : biases_)
      b = random_normal<Scalar>(b.size(), 1, Scalar(0), stddev, rng);
  }

  const std::vector<Index>& layer_sizes() const noexcept { return layer_sizes_; }
  Index input_dimension() const noexcept { return layer_sizes_.front(); }
  Index output_dimension() const noexcept { return layer_sizes_.back(); }
  /// Number of affine layers (hidden layers plus the output layer).
  Index layer_count() const noexcept { return Index(weights_.size()); }
  Index hidden_layer_count() const noexcept { return layer_count() - 1; }
  /// Total number of hidden neurons, i.e. the length of an activation pattern.
  Index hidden_neuron_count() const noexcept {
    Index n = 0;
    for (Index l = 0; l < hidden_layer_count(); ++l)
      n += layer_sizes_[std::size_t(l) + 1];
    return n;
  }
  Activation activation() const noexcept { return activation_; }
  /// Slope of the activation for negative pre-activations: 0 for ReLU.
  Scalar negative_slope() const noexcept {
    return activation_ == Activation::relu ? Scalar(0) : leaky_slope_;
  }

  const MatrixType& weights(Index layer) const { return weights_.at(std::size_t(layer)); }
  MatrixType& weights(Index layer) { return weights_.at(std::size_t(layer)); }
  const VectorType& biases(Index layer) const { return biases_.at(std::size_t(layer)); }
  VectorType& biases(Index layer) { return biases_.at(std::size_t(layer)); }

  /// Applies the hidden-layer activation in place.
  template <class Derived>
  void activate(Eigen::MatrixBase<Derived>& z) const {
    if (activation_ == Activation::relu)
      z = z.cwiseMax(Scalar(0));
    else
      z = z.cwiseMax(leaky_slope_ * z);  // max(z, s z) is leaky ReLU for s in [0, 1); vectorised
  }

  /// Logits of one point. Throws InvalidArgument if x has the wrong length.
  VectorType forward(const Eigen::Ref<const VectorType>& x) const {
    POLYLEAK_REQUIRE(x.size() == input_dimension(), "point has " + std::to_string(x.size()) +
                                                        " coordinates, network expects " +
                                                        std::to_string(input_dimension()));
    VectorType a = x;
    for (Index l = 0; l < layer_count(); ++l) {
      VectorType z = weights(l) * a + biases(l);
      if (l + 1 < layer_count()) activate(z);
      a = std::move(z);
    }
    return a;
  }

  /// Logits of a batch (input_dimension() x n, one point per column) as output_dimension() x n.
  MatrixType forward_batch(const Eigen::Ref<const MatrixType>& points) const {
    check_batch(points);
    MatrixType a = points;
    for (Index l = 0; l < layer_count(); ++l) {
      MatrixType z = weights(l) * a;
      z.colwise() += biases(l);
      if (l + 1 < layer_count()) activate(z);
      a = std::move(z);
    }
    return a;
  }

  /// Pre-activations z_l of every layer (hidden layers, then the logits) for a batch.
  std::vector<MatrixType> pre_activations(const Eigen::Ref<const MatrixType>& points) const {
    check_batch(points);
    std::vector<MatrixType> z(static_cast<std::size_t>(layer_count()));
    MatrixType a = points;
    for (Index l = 0; l < layer_count(); ++l) {
      auto& zl = z[std::size_t(l)];
      zl.noalias() = weights(l) * a;
      zl.colwise() += biases(l);
      if (l + 1 < layer_count()) {
        a = zl;
        activate(a);
      }
    }
    return z;
  }

  /// Predicted class (arg max of the logits) of each point of a batch.
  std::vector<Index> predict(const Eigen::Ref<const MatrixType>& points) const {
    const MatrixType logits = forward_batch(points);
    std::vector<Index> classes(std::size_t(logits.cols()));
    for (Index j = 0; j < logits.cols(); ++j)
      logits.col(j).maxCoeff(&classes[std::size_t(j)]);
    return classes;
  }

  friend bool operator==(const Mlp& a, const Mlp& b) {
    return a.layer_sizes_ == b.layer_sizes_ && a.activation_ == b.activation_ &&
           a.negative_slope() == b.negative_slope() && a.weights_ == b.weights_ &&
           a.biases_ == b.biases_;
  }

 private:
  void check_batch(const Eigen::Ref<const MatrixType>& points) const {
    POLYLEAK_REQUIRE(points.rows() == input_dimension(),
                     "batch has " + std::to_string(points.rows()) +
                         " rows (coordinates), network expects " +
                         std::to_string(input_dimension()) + "; points are columns");
  }

  std::vector<Index> layer_sizes_;
  Activation activation_;
  Scalar leaky_slope_;
  std::vector<MatrixType> weights_;
  std::vector<VectorType> biases_;
};

/// Softmax of each column of `logits` (numerically stable: the column maximum is subtracted).
template <class Derived>
auto softmax(const Eigen::MatrixBase<Derived>& logits) {
  using Scalar = typename Derived::Scalar;
  Matrix<Scalar> p = logits;
  for (Index j = 0; j < p.cols(); ++j) {
    p.col(j).array() = (p.col(j).array() - p.col(j).maxCoeff()).exp();
    p.col(j) /= p.col(j).sum();
  }
  return p;
}

/// Confidence of each column: its largest softmax probability.
template <class Derived>
auto confidence(const Eigen::MatrixBase<Derived>& logits) {
  return Vector<typename Derived::Scalar>(softmax(logits).colwise().maxCoeff().transpose());
}

}  // namespace polyleak
