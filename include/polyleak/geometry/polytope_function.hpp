#pragma once
// PolytopeFunction: the affine map of a network inside one activation region (Alg. 2, 3).

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

namespace detail {

/// Diagonal of the activation's derivative D_l in a region: 1 for active neurons, the negative
/// slope (0 for ReLU) for inactive ones.
template <RealScalar Scalar>
Vector<Scalar> activation_slopes(const ActivationPattern& pattern, Index layer,
                                 Scalar negative_slope) {
  const Index offset = pattern.layer_offset(layer);
  Vector<Scalar> slopes(pattern.layer_width(layer));
  for (Index i = 0; i < slopes.size(); ++i)
    slopes(i) = pattern.test_flat(offset + i) ? Scalar(1) : negative_slope;
  return slopes;
}

/// Throws InvalidArgument unless `pattern` has the hidden-layer shape of `network`.
template <RealScalar Scalar>
void require_pattern_shape(const Mlp<Scalar>& network, const ActivationPattern& pattern,
                           const char* where) {
  const auto& sizes = network.layer_sizes();
  if (pattern.layer_widths() != std::vector<Index>(sizes.begin() + 1, sizes.end() - 1))
    throw_invalid_argument(where, "pattern has " + std::to_string(pattern.layer_count()) +
                                      " layers and " + std::to_string(pattern.size()) +
                                      " bits, expected the hidden layers of the network (" +
                                      std::to_string(network.hidden_neuron_count()) + " bits)");
}

}  // namespace detail

/// The polytope function of an activation region P: the logits are `A_P x + b_P` for x in P, and
/// every hidden neuron (l, i) computes `z_{l,i}(x) = w*_{l,i} . x + b*_{l,i}` (its adapted weights
/// and bias, Alg. 2 and 3). With D_l the diagonal of activation slopes of P (1 for active
/// neurons, the leaky slope or 0 for inactive ones):
///
///   W*_0 = W_0,  b*_0 = b_0,  W*_l = W_l D_{l-1} W*_{l-1},  b*_l = W_l D_{l-1} b*_{l-1} + b_l,
///
/// and A_P = W*_L, b_P = b*_L for the output layer L.
///
/// @tparam Scalar float or double (double is the default for geometry).
/// Cost: O(d * sum_l n_l n_{l-1}) for input dimension d. Deterministic.
template <RealScalar Scalar>
class PolytopeFunction {
 public:
  using MatrixType = Matrix<Scalar>;
  using VectorType = Vector<Scalar>;

  /// The polytope function of the region containing `point` (its pattern comes from Alg. 1).
  /// Throws InvalidArgument for a point of the wrong length.
  PolytopeFunction(const Mlp<Scalar>& network,
                   const std::type_identity_t<Eigen::Ref<const VectorType>>& point)
      : PolytopeFunction(network, activation_pattern(network, point)) {}

  /// The polytope function of the region with activation pattern `pattern` (which may be empty:
  /// the map is defined for every pattern). Throws InvalidArgument if the pattern's shape is not
  /// the network's hidden-layer shape.
  PolytopeFunction(const Mlp<Scalar>& network, ActivationPattern pattern)
      : pattern_(std::move(pattern)) {
    detail::require_pattern_shape(network, pattern_, "PolytopeFunction");
    MatrixType weights = network.weights(0);
    VectorType bias = network.biases(0);
    for (Index l = 1; l < network.layer_count(); ++l) {
      const VectorType slopes =
          detail::activation_slopes(pattern_, l - 1, network.negative_slope());
      const MatrixType masked = network.weights(l) * slopes.asDiagonal();
      adapted_weights_.push_back(std::move(weights));
      adapted_biases_.push_back(std::move(bias));
      weights.noalias() = masked * adapted_weights_.back();
      bias.noalias() = masked * adapted_biases_.back();
      bias += network.biases(l);
    }
    matrix_ = std::move(weights);
    bias_ = std::move(bias);
  }

  /// The activation pattern of the region.
  const ActivationPattern& pattern() const noexcept { return pattern_; }
  Index input_dimension() const noexcept { return matrix_.cols(); }
  Index output_dimension() const noexcept { return matrix_.rows(); }
  Index hidden_layer_count() const noexcept { return Index(adapted_weights_.size()); }

  /// A_P (output_dimension x input_dimension): the Jacobian of the logits inside P.
  const MatrixType& matrix() const noexcept { return matrix_; }
  /// b_P: the logits at x = 0 of the affine continuation of P's map.
  const VectorType& bias() const noexcept { return bias_; }

  /// Adapted weights of hidden layer `layer`, one row w*_{l,i} per neuron (n_l x d).
  const MatrixType& adapted_weights(Index layer) const {
    check_layer(layer);
    return adapted_weights_[std::size_t(layer)];
  }
  /// Adapted biases b*_{l,i} of hidden layer `layer` (n_l).
  const VectorType& adapted_biases(Index layer) const {
    check_layer(layer);
    return adapted_biases_[std::size_t(layer)];
  }

  /// The logits `A_P x + b_P` of the affine continuation of P's map (equal to the network's
  /// logits for x in P). Throws InvalidArgument for a wrong length.
  VectorType evaluate(const Eigen::Ref<const VectorType>& x) const {
    POLYLEAK_REQUIRE(x.size() == input_dimension(), "point has " + std::to_string(x.size()) +
                                                        " coordinates, expected " +
                                                        std::to_string(input_dimension()));
    return matrix_ * x + bias_;
  }

 private:
  void check_layer(Index layer) const {
    POLYLEAK_REQUIRE(layer >= 0 && layer < hidden_layer_count(),
                     "hidden layer " + std::to_string(layer) + " out of range [0, " +
                         std::to_string(hidden_layer_count()) + ")");
  }

  ActivationPattern pattern_;
  std::vector<MatrixType> adapted_weights_;
  std::vector<VectorType> adapted_biases_;
  MatrixType matrix_;
  VectorType bias_;
};

}  // namespace polyleak
