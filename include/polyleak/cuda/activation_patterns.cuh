#pragma once
// Batched activation patterns and the count of distinct patterns on the GPU (CudaBackend).

#include "polyleak/core/backend.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/cuda/cuda_workspace.cuh"
#include "polyleak/cuda/detail/chain_passes.hpp"
#include "polyleak/cuda/device.hpp"
#include "polyleak/cuda/device_network.hpp"
#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// The activation patterns of a batch (d x n host points, one per column) on the GPU, packed in
/// ActivationPatternBatch's layout; equal to activation_patterns(CpuBackend{}, ...) except for
/// points whose pre-activations lie within rounding of 0. One forward pass of pre-activations
/// (one thread per point for networks of width <= 32, tiled layer products otherwise).
/// @tparam Scalar float or double.
/// Throws InvalidArgument for a wrong row count, CudaError for a failing CUDA call.
/// Cost: one forward pass on the device, uploads of the points and downloads of the words.
/// Deterministic: no atomics, each word written by one thread.
template <RealScalar Scalar>
ActivationPatternBatch activation_patterns(
    CudaBackend, const DeviceNetwork<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points,
    CudaWorkspace<Scalar>& workspace) {
  return detail::host_activation_patterns(workspace, network.view(), points);
}

/// As above for an Mlp, which is uploaded first (with a fresh workspace). Also throws CudaError
/// when no CUDA device is present (after checking the shape).
template <RealScalar Scalar>
ActivationPatternBatch activation_patterns(
    CudaBackend, const Mlp<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points) {
  detail::require_batch_rows("activation_patterns", points.rows(), network.input_dimension());
  detail::require_cuda_device("activation_patterns");
  const DeviceNetwork<Scalar> device_network(network);
  CudaWorkspace<Scalar> workspace;
  return activation_patterns(CudaBackend{}, device_network, points, workspace);
}

/// The number of distinct activation patterns (activation regions) in a batch, on the GPU: the
/// columns that differ from their left neighbour are sorted with Thrust and de-duplicated.
/// Equal to distinct_pattern_count(CpuBackend{}, patterns).
/// Throws CudaError for a failing CUDA call or when no device is present. Cost: upload of the
/// words, a sort of the candidate columns. Deterministic.
inline Index distinct_pattern_count(CudaBackend, const ActivationPatternBatch& patterns) {
  detail::require_cuda_device("distinct_pattern_count");
  CudaWorkspace<float> workspace;
  return detail::host_distinct_pattern_count(workspace, patterns);
}

}  // namespace polyleak
