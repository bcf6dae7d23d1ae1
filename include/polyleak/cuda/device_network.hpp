#pragma once
// DeviceNetwork<Scalar>: the weights and biases of an Mlp copied to device memory once.

#include <vector>

#include "polyleak/core/scalar.hpp"
#include "polyleak/cuda/detail/network_view.hpp"
#include "polyleak/cuda/device_buffer.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// A copy of a network's parameters in device memory, in one allocation: per layer W_l
/// column-major (as in Eigen), then b_l. Holds the layer sizes and the negative slope on the
/// host; not tied to the Mlp afterwards. Pass it to the CUDA launchers to upload a network once
/// for many calls. Move-only.
/// @tparam Scalar float or double.
/// Throws CudaError if no device is present or the copy fails. Cost: one synchronous upload of
/// all parameters.
template <RealScalar Scalar>
class DeviceNetwork {
 public:
  explicit DeviceNetwork(const Mlp<Scalar>& network) {
    const std::vector<Scalar> packed = detail::packed_parameters(network);
    parameters_.reserve(packed.size());
    parameters_.upload(packed.data(), packed.size());
    view_ = detail::network_view(network, static_cast<const Scalar*>(parameters_.data()));
  }

  /// Layer sizes {input, hidden..., output}, as Mlp::layer_sizes().
  const std::vector<Index>& layer_sizes() const noexcept { return view_.layer_sizes; }
  Index input_dimension() const noexcept { return view_.input_dimension(); }
  Index output_dimension() const noexcept { return view_.output_dimension(); }
  /// Number of affine layers.
  Index layer_count() const noexcept { return view_.layer_count(); }
  /// Total number of hidden neurons (the activation-pattern length).
  Index hidden_neuron_count() const { return view_.hidden_neuron_count(); }
  Scalar negative_slope() const noexcept { return view_.negative_slope; }

  /// Shapes and device pointer to the packed parameters, for the launchers (internal).
  const detail::NetworkView<Scalar>& view() const noexcept { return view_; }

 private:
  DeviceBuffer<Scalar> parameters_;
  detail::NetworkView<Scalar> view_;
};

}  // namespace polyleak
