#pragma once
// Batched polytope functions A_P, b_P on the GPU (CudaBackend), into host or device memory.

#include "polyleak/core/backend.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/cuda/cuda_workspace.cuh"
#include "polyleak/cuda/detail/chain_passes.hpp"
#include "polyleak/cuda/device.hpp"
#include "polyleak/cuda/device_network.hpp"
#include "polyleak/geometry/batched_polytope_functions.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// Polytope functions of a batch in device memory, in the layout of PolytopeFunctionBatch:
/// `matrices` m x (d n) (A_j in columns j d .. j d + d - 1), `biases` and `logits` m x n, all
/// column-major, with `size`, `input_dimension` and `output_dimension`. Grows as needed and may
/// be reused between calls; move-only.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
using DevicePolytopeFunctionBatch = detail::FunctionBuffers<detail::CudaExecutor, Scalar>;

/// Copies a DevicePolytopeFunctionBatch to host memory. Throws CudaError if a copy fails (also
/// for an earlier kernel's failure, which surfaces here). Cost: three synchronous downloads.
template <RealScalar Scalar>
PolytopeFunctionBatch<Scalar> to_host(const DevicePolytopeFunctionBatch<Scalar>& batch) {
  return detail::to_host(batch);
}

/// A_P, b_P and the logits of the n points at `points` (device memory, d x n, column-major) into
/// `out`, on the GPU and without host transfers: the masked chain `A_l = W_l D_{l-1} A_{l-1}`
/// forward (d + 1 columns per point) or backward (m rows per point), as `mode` resolves like
/// resolved_propagation_mode. Forward for networks with every layer at most 32 wide and d <= 2
/// runs one thread per point with the weights in shared memory; everything else runs tiled
/// layer products (64 x 64 or 32 x 128 tiles of 256 threads) in chunks of points that fit
/// workspace.chunk_scalar_budget. Equal to the CPU's polytope_functions up to rounding (see
/// docs/cuda.md for the tolerances) for points off the hyperplanes.
/// @tparam Scalar float or double.
/// Preconditions: `points` holds d x n scalars on the current device; `network` lives there.
/// Throws CudaError if a launch fails. Cost: about (d + 1) forward passes forward, (m + 1)
/// backward; returns before the kernels finish (work on the default stream). Deterministic: no
/// atomics; each output entry is the same sum in the same order on every run.
template <RealScalar Scalar>
void polytope_functions(CudaBackend, const DeviceNetwork<Scalar>& network, const Scalar* points,
                        Index n, DevicePolytopeFunctionBatch<Scalar>& out,
                        CudaWorkspace<Scalar>& workspace,
                        PropagationMode mode = PropagationMode::automatic) {
  if (n < 0) detail::throw_invalid_argument("polytope_functions", "negative point count");
  detail::chain_functions(workspace, network.view(), points, n, mode, out);
}

/// A_P, b_P and the logits of a batch of host points (d x n, one per column), computed on the
/// GPU as above and copied back.
/// @tparam Scalar float or double.
/// Throws InvalidArgument for a wrong row count, CudaError for a failing CUDA call. Cost: as
/// above, plus the upload of the points and the download of m (d + 2) n scalars.
template <RealScalar Scalar>
PolytopeFunctionBatch<Scalar> polytope_functions(
    CudaBackend, const DeviceNetwork<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points,
    CudaWorkspace<Scalar>& workspace, PropagationMode mode = PropagationMode::automatic) {
  return detail::host_polytope_functions(workspace, network.view(), points, mode);
}

/// As above for an Mlp, which is uploaded first (with a fresh workspace). Also throws CudaError
/// when no CUDA device is present (after checking the shape).
template <RealScalar Scalar>
PolytopeFunctionBatch<Scalar> polytope_functions(
    CudaBackend, const Mlp<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points,
    PropagationMode mode = PropagationMode::automatic) {
  detail::require_batch_rows("polytope_functions", points.rows(), network.input_dimension());
  detail::require_cuda_device("polytope_functions");
  const DeviceNetwork<Scalar> device_network(network);
  CudaWorkspace<Scalar> workspace;
  return polytope_functions(CudaBackend{}, device_network, points, workspace, mode);
}

}  // namespace polyleak
