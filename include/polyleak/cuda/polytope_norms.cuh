#pragma once
// The norms of polytope functions on the GPU (CudaBackend), without writing A_P out.

#include "polyleak/core/backend.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/cuda/cuda_workspace.cuh"
#include "polyleak/cuda/detail/chain_passes.hpp"
#include "polyleak/cuda/device.hpp"
#include "polyleak/cuda/device_network.hpp"
#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/geometry/batched_polytope_functions.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// The PolytopeNorms of a batch of host points (d x n, one per column), on the GPU: the masked
/// chain as in polytope_functions, then one thread per point reads its A_P where the chain left
/// it and computes ||A_P||_F, ||A_P||_2 (largest eigenvalue of the smaller Gram matrix: closed
/// form up to 2 x 2, cyclic Jacobi above), ||b_P||_inf, ||z||_2, the confidence and the
/// predicted class; only these 6 n numbers leave the device. If `patterns` is not null it
/// receives every point's activation pattern from the same pass.
/// @tparam Scalar float or double.
/// Throws InvalidArgument for a wrong row count, CudaError for a failing CUDA call. Cost: that
/// of polytope_functions plus O(m d min(m, d)) per point and, when min(m, d) > 2, Jacobi sweeps
/// of O(min(m, d)^3) each in one thread (slow for wide outputs and inputs alike). Deterministic.
template <RealScalar Scalar>
PolytopeNorms<Scalar> polytope_norms(
    CudaBackend, const DeviceNetwork<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points,
    CudaWorkspace<Scalar>& workspace, ActivationPatternBatch* patterns = nullptr,
    PropagationMode mode = PropagationMode::automatic) {
  return detail::host_polytope_norms(workspace, network.view(), points, mode, patterns);
}

/// As above for an Mlp, which is uploaded first (with a fresh workspace), without patterns.
/// Also throws CudaError when no CUDA device is present (after checking the shape).
template <RealScalar Scalar>
PolytopeNorms<Scalar> polytope_norms(
    CudaBackend, const Mlp<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points,
    PropagationMode mode = PropagationMode::automatic) {
  detail::require_batch_rows("polytope_norms", points.rows(), network.input_dimension());
  detail::require_cuda_device("polytope_norms");
  const DeviceNetwork<Scalar> device_network(network);
  CudaWorkspace<Scalar> workspace;
  return polytope_norms(CudaBackend{}, device_network, points, workspace, nullptr, mode);
}

}  // namespace polyleak
