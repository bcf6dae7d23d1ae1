#pragma once
// Backend tags: the one type that chooses where batched geometry and raster maps run.

#include <concepts>

namespace polyleak {

/// Runs batched geometry and raster maps on the CPU with Eigen and OpenMP: the reference.
struct CpuBackend {};

/// Runs them on the current CUDA device with polyleak's kernels. Its overloads come with the
/// headers of module cuda (`polyleak/cuda.cuh`, compiled by nvcc).
struct CudaBackend {};

/// A backend tag. Functions take it as their first argument, so that code templated on
/// `Backend` switches between CPU and GPU by that one type:
/// `polytope_norms(Backend{}, network, points)`.
template <class T>
concept Backend = std::same_as<T, CpuBackend> || std::same_as<T, CudaBackend>;

}  // namespace polyleak
