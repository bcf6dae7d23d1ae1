#pragma once
// Raster maps (Alg. 8) on the GPU (CudaBackend), into host or device memory.

#include "polyleak/core/backend.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/cuda/cuda_workspace.cuh"
#include "polyleak/cuda/detail/chain_passes.hpp"
#include "polyleak/cuda/device.hpp"
#include "polyleak/cuda/device_network.hpp"
#include "polyleak/nn/mlp.hpp"
#include "polyleak/viz/raster_maps.hpp"

namespace polyleak {

/// All maps of RasterMaps in device memory: `maps` holds the norms (frobenius_norm,
/// spectral_norm, bias_max_norm, output_norm, confidence) and predicted_class, `region_edges`
/// bytes 0 or 1 (if `regions`), each with pixel (x, y) at entry y + x * height (column-major
/// height x width, as RasterMaps); `distinct_region_count` is on the host. Grows as needed and
/// may be reused between calls; move-only.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
using DeviceRasterMaps = detail::RasterBuffers<detail::CudaExecutor, Scalar>;

/// Copies DeviceRasterMaps to host memory as RasterMaps. Throws CudaError if a copy fails.
/// Cost: seven synchronous downloads of width x height entries.
template <RealScalar Scalar>
RasterMaps<Scalar> to_host(const DeviceRasterMaps<Scalar>& maps) {
  return detail::to_host(maps);
}

/// All raster maps of `network` over `grid` on the GPU into `out`, without copying maps to the
/// host: per block of whole rows, the pixels' points (on the device), the masked chain with
/// norms and patterns as in polytope_norms, region edges inside the block and across the seam
/// to the previous block, and the distinct patterns merged into a sorted set with Thrust.
/// Networks with every layer at most 32 wide and d <= 2 in forward mode run one thread per
/// pixel for everything but edges and counting. Equal to compute_raster_maps(CpuBackend{}, ...)
/// up to rounding (docs/cuda.md), patterns and edges exactly except next to pixels within
/// rounding of a hyperplane.
/// @tparam Scalar float or double.
/// Throws InvalidArgument for an invalid grid (RasterGrid::require_valid), CudaError for a
/// failing CUDA call. Cost: as polytope_norms per pixel, plus a sort of the pixels that differ
/// from their left neighbour; it waits for the device once per block (for the count).
/// Deterministic.
template <RealScalar Scalar>
void compute_raster_maps(CudaBackend, const DeviceNetwork<Scalar>& network,
                         const RasterGrid<Scalar>& grid, DeviceRasterMaps<Scalar>& out,
                         CudaWorkspace<Scalar>& workspace, const RasterOptions& options = {}) {
  detail::chain_raster(workspace, network.view(), grid, options, out);
}

/// As above, with the maps copied to the host.
template <RealScalar Scalar>
RasterMaps<Scalar> compute_raster_maps(CudaBackend, const DeviceNetwork<Scalar>& network,
                                       const RasterGrid<Scalar>& grid,
                                       CudaWorkspace<Scalar>& workspace,
                                       const RasterOptions& options = {}) {
  return detail::host_raster_maps(workspace, network.view(), grid, options);
}

/// As above for an Mlp, which is uploaded first (with a fresh workspace). Also throws CudaError
/// when no CUDA device is present (after checking the grid).
template <RealScalar Scalar>
RasterMaps<Scalar> compute_raster_maps(CudaBackend, const Mlp<Scalar>& network,
                                       const RasterGrid<Scalar>& grid,
                                       const RasterOptions& options = {}) {
  grid.require_valid(network, "compute_raster_maps");
  detail::require_cuda_device("compute_raster_maps");
  const DeviceNetwork<Scalar> device_network(network);
  CudaWorkspace<Scalar> workspace;
  return compute_raster_maps(CudaBackend{}, device_network, grid, workspace, options);
}

}  // namespace polyleak
