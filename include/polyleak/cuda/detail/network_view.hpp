#pragma once
// NetworkView: the layer shapes of a network on the host and its packed parameters in an
// executor's memory (device memory for the CUDA path, host memory in the CPU tests).

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "polyleak/core/scalar.hpp"
#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/geometry/batched_polytope_functions.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak::detail {

static_assert(std::is_same_v<Index, std::int64_t>,
              "the kernels index with std::int64_t, which must be polyleak::Index");

/// Where each layer's parameters start in the packed layout: offsets[l] is the first scalar of
/// W_l (rows x columns, column-major), followed by b_l; offsets.back() is the total count.
inline std::vector<Index> parameter_offsets(const std::vector<Index>& layer_sizes) {
  std::vector<Index> offsets(1, Index{0});
  for (std::size_t l = 0; l + 1 < layer_sizes.size(); ++l)
    offsets.push_back(offsets.back() + layer_sizes[l + 1] * (layer_sizes[l] + 1));
  return offsets;
}

/// A network's parameters packed in one array, layer after layer: W_l column-major, then b_l.
template <RealScalar Scalar>
std::vector<Scalar> packed_parameters(const Mlp<Scalar>& network) {
  std::vector<Scalar> packed;
  packed.reserve(std::size_t(parameter_offsets(network.layer_sizes()).back()));
  for (Index l = 0; l < network.layer_count(); ++l) {
    const Matrix<Scalar>& w = network.weights(l);
    const Vector<Scalar>& b = network.biases(l);
    packed.insert(packed.end(), w.data(), w.data() + w.size());
    packed.insert(packed.end(), b.data(), b.data() + b.size());
  }
  return packed;
}

/// Layer shapes (host) and packed parameters (executor memory, packed_parameters' layout) of a
/// network, with the shape arithmetic the passes need. Does not own the parameters.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct NetworkView {
  std::vector<Index> layer_sizes;
  std::vector<Index> offsets;
  const Scalar* parameters = nullptr;
  Scalar negative_slope = 0;

  Index layer_count() const noexcept { return Index(layer_sizes.size()) - 1; }
  /// Output size of layer l (rows of W_l).
  Index rows(Index l) const { return layer_sizes[std::size_t(l) + 1]; }
  /// Input size of layer l (columns of W_l).
  Index columns(Index l) const { return layer_sizes[std::size_t(l)]; }
  Index input_dimension() const noexcept { return layer_sizes.front(); }
  Index output_dimension() const noexcept { return layer_sizes.back(); }
  /// The widest layer, input and output included.
  Index widest_layer() const { return *std::max_element(layer_sizes.begin(), layer_sizes.end()); }
  Index hidden_neuron_count() const {
    Index n = 0;
    for (Index l = 0; l + 1 < layer_count(); ++l)
      n += rows(l);
    return n;
  }
  /// Words of one packed activation pattern.
  Index words_per_point() const {
    return (hidden_neuron_count() + ActivationPattern::word_bits - 1) /
           ActivationPattern::word_bits;
  }
  Index parameter_count() const noexcept { return offsets.back(); }
  const Scalar* weights(Index l) const { return parameters + offsets[std::size_t(l)]; }
  const Scalar* biases(Index l) const { return weights(l) + rows(l) * columns(l); }
  /// The all-zero activation pattern of the network's hidden layers.
  ActivationPattern zero_pattern() const {
    return ActivationPattern(std::vector<Index>(layer_sizes.begin() + 1, layer_sizes.end() - 1));
  }
  /// Whether the masked chain runs forward for `mode`: the rule of resolved_propagation_mode.
  bool propagates_forward(PropagationMode mode) const noexcept {
    return mode == PropagationMode::forward ||
           (mode == PropagationMode::automatic && input_dimension() <= output_dimension());
  }
};

/// The view of `network` whose packed parameters (packed_parameters(network), copied to the
/// executor) start at `parameters`.
template <RealScalar Scalar>
NetworkView<Scalar> network_view(const Mlp<Scalar>& network, const Scalar* parameters) {
  return {network.layer_sizes(), parameter_offsets(network.layer_sizes()), parameters,
          network.negative_slope()};
}

}  // namespace polyleak::detail
