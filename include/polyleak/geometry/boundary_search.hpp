#pragma once
// boundary_search(): the thesis's gradient boundary search (Alg. 9) with the four losses of
// section 6.3, their activation gates relaxed by a sigmoid (6.3, "Is this differentiable?"), and
// the losses' gradients by hand-written reverse mode (boundary_loss()).

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// The quantity Alg. 9 optimises, and in which direction (thesis 6.3).
enum class BoundaryLoss {
  confidence,     ///< softmax probability of the original class; descended
  output_norm,    ///< ||z_L(x)||_2, the Euclidean norm of the logits; descended
  jacobian_norm,  ///< ||A_P||_F of the relaxed polytope function; ascended
  bias_norm,      ///< ||b_P||_inf of the relaxed polytope function; ascended
};

/// Name of a loss as used in reports: "confidence", "output-norm", "jacobian-norm", "bias-norm".
inline std::string to_string(BoundaryLoss loss) {
  switch (loss) {
    case BoundaryLoss::confidence:
      return "confidence";
    case BoundaryLoss::output_norm:
      return "output-norm";
    case BoundaryLoss::jacobian_norm:
      return "jacobian-norm";
    case BoundaryLoss::bias_norm:
      return "bias-norm";
  }
  return "unknown";
}

/// Whether boundary_search() ascends (true) or descends (false) `loss`.
constexpr bool is_ascended(BoundaryLoss loss) {
  return loss == BoundaryLoss::jacobian_norm || loss == BoundaryLoss::bias_norm;
}

/// A loss value and its gradient with respect to the input point.
template <RealScalar Scalar>
struct LossGradient {
  Scalar value = 0;
  Vector<Scalar> gradient;
};

/// Options of boundary_search(). The defaults reach a decision boundary from the points of the
/// Location, Adult and Clusters2D demo models (inputs of order 1).
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct BoundarySearchOptions {
  BoundaryLoss loss = BoundaryLoss::confidence;
  /// Length of each step along the normalised gradient (before momentum).
  Scalar step_width = Scalar(0.05);
  /// Heavy-ball momentum on the normalised gradient directions, in [0, 1).
  Scalar momentum = Scalar(0.5);
  /// Gradient steps before the search gives up (then found is false).
  Index max_iterations = 300;
  /// Bisection steps on the segment of the step that changed the class: each one reverses and
  /// halves the step, so the boundary is pinned to step_width * 2^-refinement_steps.
  Index refinement_steps = 24;
  /// Temperature T of the relaxed gates sigmoid(z / T) of the polytope-function losses.
  Scalar gate_temperature = 1;
};

/// Result of boundary_search().
template <RealScalar Scalar>
struct BoundarySearchResult {
  bool found = false;
  /// ||boundary_point - start||_2 (an upper bound on the exact distance); +infinity if not found.
  Scalar distance = std::numeric_limits<Scalar>::infinity();
  /// The first point found on the far side of the boundary, within the refinement precision.
  Vector<Scalar> boundary_point;
  Index original_class = 0;
  Index boundary_class = -1;
  Index iterations = 0;      ///< gradient steps taken
  Index forward_passes = 0;  ///< network evaluations (gradients count as one each)
};

namespace detail {

/// Logistic function.
template <RealScalar Scalar>
Scalar sigmoid(Scalar value) {
  return Scalar(1) / (Scalar(1) + std::exp(-value));
}

}  // namespace detail

/// The value and gradient (with respect to `point`) of `loss` at `point`. `reference_class` is
/// the class whose confidence is measured (the original class of the search).
///
/// The polytope-function losses use relaxed gates: with pre-activations z_l of the network at
/// the point and slope nu (0 for ReLU), hidden layer l gets the diagonal
/// S_l = nu + (1 - nu) sigmoid(z_l / T) instead of the 0/1 pattern, and
/// A = W_L S_{L-1} W_{L-1} ... S_0 W_0, b the matching bias chain; the pre-activations keep the
/// network's own (piecewise-linear) dependence on x. Reverse mode, written out: with B_l the
/// forward chain up to layer l and F_l the backward chain above it (A = F_l S_l B_l),
/// d||A||_F^2 / dS_{l,i} = 2 (F_l^T A B_l^T)_{ii} and db / dS_{l,i} = F_l[:, i] c_{l,i} (c_l the
/// relaxed adapted bias of layer l); these are pulled back through the gates and the network's
/// pre-activations to x. Confidence and output norm differentiate the network itself
/// (derivative 1 or nu of the activation). Gradients are exact except where a pre-activation is
/// zero. ||b||_inf takes the gradient of its largest entry.
/// @tparam Scalar float or double.
/// Throws InvalidArgument for a wrong length, a non-finite point, a class out of range or a
/// non-positive temperature. Cost: one forward and one backward pass for confidence and output
/// norm; O(d sum_l n_l n_{l-1} + m d sum_l n_l) for the polytope losses. Deterministic.
template <RealScalar Scalar>
LossGradient<Scalar> boundary_loss(
    const Mlp<Scalar>& network, const std::type_identity_t<Eigen::Ref<const Vector<Scalar>>>& point,
    BoundaryLoss loss, Index reference_class, Scalar gate_temperature = 1) {
  using MatrixType = Matrix<Scalar>;
  using VectorType = Vector<Scalar>;
  POLYLEAK_REQUIRE(point.size() == network.input_dimension(),
                   "point has " + std::to_string(point.size()) + " coordinates, network expects " +
                       std::to_string(network.input_dimension()));
  require_finite(point, "boundary_loss", "point");
  POLYLEAK_REQUIRE(reference_class >= 0 && reference_class < network.output_dimension(),
                   "reference class " + std::to_string(reference_class) + " out of range [0, " +
                       std::to_string(network.output_dimension()) + ")");
  POLYLEAK_REQUIRE(gate_temperature > 0,
                   "gate temperature must be positive, got " + std::to_string(gate_temperature));
  const Index hidden = network.hidden_layer_count();
  const Scalar slope = network.negative_slope();

  // Forward pass, keeping the pre-activations and the activation derivatives.
  std::vector<VectorType> z(static_cast<std::size_t>(hidden));
  std::vector<VectorType> derivative(static_cast<std::size_t>(hidden));
  VectorType a = point;
  for (Index l = 0; l < hidden; ++l) {
    auto& zl = z[std::size_t(l)];
    zl = network.weights(l) * a + network.biases(l);
    derivative[std::size_t(l)] =
        zl.unaryExpr([slope](Scalar v) { return v > 0 ? Scalar(1) : slope; });
    a = zl.cwiseProduct(derivative[std::size_t(l)]);
  }
  const VectorType logits = network.weights(hidden) * a + network.biases(hidden);

  LossGradient<Scalar> result;
  // Adjoints of the pre-activations of each hidden layer (explicit dependence) and of the logits.
  std::vector<VectorType> adjoint(static_cast<std::size_t>(hidden));
  for (Index l = 0; l < hidden; ++l)
    adjoint[std::size_t(l)] = VectorType::Zero(z[std::size_t(l)].size());
  VectorType logit_adjoint = VectorType::Zero(logits.size());

  if (loss == BoundaryLoss::confidence) {
    const VectorType shifted = (logits.array() - logits.maxCoeff()).matrix();
    const VectorType probabilities = shifted.array().exp().matrix() / shifted.array().exp().sum();
    result.value = probabilities(reference_class);
    logit_adjoint = -result.value * probabilities;
    logit_adjoint(reference_class) += result.value;
  } else if (loss == BoundaryLoss::output_norm) {
    result.value = logits.norm();
    if (result.value > 0) logit_adjoint = logits / result.value;
  } else {
    // Relaxed gates and their derivatives with respect to the pre-activations.
    std::vector<VectorType> gates(static_cast<std::size_t>(hidden));
    std::vector<VectorType> gate_rates(static_cast<std::size_t>(hidden));
    for (Index l = 0; l < hidden; ++l) {
      const VectorType sig = z[std::size_t(l)].unaryExpr(
          [&](Scalar v) { return detail::sigmoid(v / gate_temperature); });
      gates[std::size_t(l)] = (slope + (1 - slope) * sig.array()).matrix();
      gate_rates[std::size_t(l)] =
          ((1 - slope) / gate_temperature * sig.array() * (1 - sig.array())).matrix();
    }
    // Forward chains B_l (n_l x d) and c_l (n_l) of hidden layers, then A and b.
    std::vector<MatrixType> chains(static_cast<std::size_t>(hidden + 1));
    std::vector<VectorType> biases(static_cast<std::size_t>(hidden + 1));
    chains[0] = network.weights(0);
    biases[0] = network.biases(0);
    for (Index l = 1; l <= hidden; ++l) {
      const auto& gate = gates[std::size_t(l - 1)];
      chains[std::size_t(l)].noalias() =
          network.weights(l) * (gate.asDiagonal() * chains[std::size_t(l - 1)]);
      biases[std::size_t(l)] =
          network.weights(l) * gate.cwiseProduct(biases[std::size_t(l - 1)]) + network.biases(l);
    }
    const MatrixType& matrix = chains[std::size_t(hidden)];
    const VectorType& bias = biases[std::size_t(hidden)];
    Index largest = 0;
    if (loss == BoundaryLoss::jacobian_norm)
      result.value = matrix.norm();
    else
      result.value = bias.cwiseAbs().maxCoeff(&largest);

    // Backward chains F_l (m x n_l), from the top hidden layer down.
    MatrixType above = network.weights(hidden);
    for (Index l = hidden - 1; l >= 0; --l) {
      const auto i = std::size_t(l);
      VectorType gate_adjoint;
      if (loss == BoundaryLoss::jacobian_norm) {
        gate_adjoint =
            result.value > 0
                ? VectorType(
                      ((above.transpose() * matrix).cwiseProduct(chains[i])).rowwise().sum() /
                      result.value)
                : VectorType::Zero(gates[i].size());
      } else {
        const Scalar sign = bias(largest) >= 0 ? Scalar(1) : Scalar(-1);
        gate_adjoint = sign * above.row(largest).transpose().cwiseProduct(biases[i]);
      }
      adjoint[i] = gate_adjoint.cwiseProduct(gate_rates[i]);
      above = above * gates[i].asDiagonal() * network.weights(l);
    }
  }

  // Pull the adjoints back through the network's pre-activations to the input.
  VectorType upstream = network.weights(hidden).transpose() * logit_adjoint;
  for (Index l = hidden - 1; l >= 0; --l) {
    const auto i = std::size_t(l);
    const VectorType total = adjoint[i] + derivative[i].cwiseProduct(upstream);
    upstream = network.weights(l).transpose() * total;
  }
  result.gradient = std::move(upstream);
  return result;
}

/// The thesis's gradient boundary search (Alg. 9): from `start`, steps of options.step_width
/// along the normalised gradient of options.loss (descending confidence and output norm,
/// ascending the polytope-function norms; heavy-ball momentum), until the predicted class
/// changes; then options.refinement_steps bisection steps on that last step's segment (each
/// reverses and halves the step) pin the boundary. A zero gradient ends the search. Returns the
/// point past the boundary and its distance from `start`, an upper bound on the exact
/// distance (boundary_distance()).
/// @tparam Scalar float or double.
/// Throws InvalidArgument for a wrong length, a non-finite start or bad options. Cost per
/// iteration: one boundary_loss() and one forward pass. Deterministic.
template <RealScalar Scalar>
BoundarySearchResult<Scalar> boundary_search(
    const Mlp<Scalar>& network, const std::type_identity_t<Eigen::Ref<const Vector<Scalar>>>& start,
    const BoundarySearchOptions<Scalar>& options = {}) {
  POLYLEAK_REQUIRE(
      options.step_width > 0 && std::isfinite(options.step_width) && options.momentum >= 0 &&
          options.momentum < 1 && options.max_iterations >= 0 && options.refinement_steps >= 0,
      "need a finite step_width > 0, momentum in [0, 1) and non-negative "
      "iteration counts, got step_width " +
          std::to_string(options.step_width) + ", momentum " + std::to_string(options.momentum));
  using VectorType = Vector<Scalar>;
  BoundarySearchResult<Scalar> result;
  const auto class_of = [&](const VectorType& x) {
    ++result.forward_passes;
    Index c = 0;
    network.forward(x).maxCoeff(&c);
    return c;
  };
  const Index original = class_of(start);
  result.original_class = original;
  const Scalar sign = is_ascended(options.loss) ? Scalar(1) : Scalar(-1);

  VectorType point = start;
  VectorType velocity = VectorType::Zero(start.size());
  for (Index iteration = 0; iteration < options.max_iterations; ++iteration) {
    const LossGradient<Scalar> loss =
        boundary_loss(network, point, options.loss, original, options.gate_temperature);
    ++result.forward_passes;
    const Scalar length = loss.gradient.norm();
    if (!(length > 0) || !std::isfinite(length)) break;
    velocity = options.momentum * velocity + (sign / length) * loss.gradient;
    const VectorType next = point + options.step_width * velocity;
    result.iterations = iteration + 1;
    const Index next_class = class_of(next);
    if (next_class == original) {
      point = next;
      continue;
    }
    VectorType inside = point;
    VectorType outside = next;
    result.boundary_class = next_class;
    for (Index s = 0; s < options.refinement_steps; ++s) {
      const VectorType middle = (inside + outside) / 2;
      const Index middle_class = class_of(middle);
      if (middle_class == original) {
        inside = middle;
      } else {
        outside = middle;
        result.boundary_class = middle_class;
      }
    }
    result.found = true;
    result.boundary_point = outside;
    result.distance = (outside - start).norm();
    break;
  }
  return result;
}

}  // namespace polyleak
