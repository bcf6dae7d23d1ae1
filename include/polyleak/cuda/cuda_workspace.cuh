#pragma once
// CudaWorkspace<Scalar>: the device memory of the CUDA launchers, kept between calls.

#include "polyleak/core/scalar.hpp"
#include "polyleak/cuda/detail/chain_workspace.hpp"
#include "polyleak/cuda/detail/cuda_executor.cuh"

namespace polyleak {

/// Device work memory of the CUDA launchers (chain buffers, uploaded points, patterns, Thrust
/// temporaries, staging of results), grown as needed and kept between calls: repeated calls on
/// batches of similar size allocate nothing after the first. Two settings may be changed:
/// `chunk_scalar_budget` (scalars of a chunk's chain buffers, 2^27 by default) and
/// `small_network_kernel` (true: networks with every layer at most 32 wide and, when A_P is
/// needed, d <= 2, run one thread per point instead of tiled layer products). Not for concurrent
/// use; move-only.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
using CudaWorkspace = detail::ChainWorkspace<detail::CudaExecutor, Scalar>;

}  // namespace polyleak
