#pragma once
// The memory of the GPU passes, written once for any executor: result buffers of polytope
// functions, norms and raster maps, and the work buffers kept between calls.
//
// An executor runs the passes' steps. It provides
// - `Buffer<T>`: owning storage with the interface of DeviceBuffer (data, size, reserve, upload,
//   download, zero);
// - `product<Scalar>(rows, cols, depth, a, b, store)`: C = A B through the phases of
//   tiled_product.hpp, `store(i, j, value)` for every entry;
// - `for_each(total, body)`: body(i) for i in [0, total), in any order;
// - `for_each_staged(total, body, parameters, count)`: body(i, staged) with the `count` scalars
//   at `parameters` staged (in shared memory);
// - `select(count, predicate, selected)`: writes the i in [0, count) with predicate(i), in
//   increasing order, and returns how many;
// - `sort_unique(indices, count, less, equal)`: sorts by `less`, keeps the first of each run of
//   `equal` indices at the front and returns their number.
// CudaExecutor runs them as kernels and Thrust calls; the CPU tests run them in plain loops.

#include <cstdint>

#include "polyleak/core/scalar.hpp"
#include "polyleak/cuda/detail/chain_steps.hpp"
#include "polyleak/cuda/detail/pattern_bits.hpp"

namespace polyleak::detail {

/// Scalars of the chain buffers of one chunk on a device (512 MiB in float): large chunks keep
/// the layer products wide and the launches few.
inline constexpr Index device_chunk_scalar_budget = Index{1} << 27;

/// Polytope functions of a batch in executor memory, in the layout of PolytopeFunctionBatch:
/// matrices m x (d n), biases and logits m x n, column-major.
template <class Executor, RealScalar Scalar>
struct FunctionBuffers {
  typename Executor::template Buffer<Scalar> matrices, biases, logits;
  Index size = 0;
  Index input_dimension = 0;
  Index output_dimension = 0;

  /// Room for n points of an m x d network; sets the shape.
  void reserve(Index n, Index d, Index m) {
    matrices.reserve(std::size_t(m * d * n));
    biases.reserve(std::size_t(m * n));
    logits.reserve(std::size_t(m * n));
    size = n;
    input_dimension = d;
    output_dimension = m;
  }
};

/// The norms of PolytopeNorms for n points in executor memory, one array each (entry p for point
/// p, or entry y + x * height for pixel (x, y) of a raster).
template <class Executor, RealScalar Scalar>
struct NormBuffers {
  typename Executor::template Buffer<Scalar> frobenius_norm, spectral_norm, bias_max_norm,
      output_norm, confidence;
  typename Executor::template Buffer<std::int64_t> predicted_class;
  Index size = 0;

  void reserve(Index n) {
    for (auto* buffer :
         {&frobenius_norm, &spectral_norm, &bias_max_norm, &output_norm, &confidence})
      buffer->reserve(std::size_t(n));
    predicted_class.reserve(std::size_t(n));
    size = n;
  }

  /// Where the passes write (entry p for point p).
  NormOutputs<Scalar> outputs() {
    return {frobenius_norm.data(), spectral_norm.data(), bias_max_norm.data(),
            output_norm.data(),    confidence.data(),    predicted_class.data()};
  }
};

/// All maps of RasterMaps in executor memory: norms and classes of pixel (x, y) at entry
/// y + x * height, region edges as bytes (0 or 1) in the same layout when regions were asked for.
template <class Executor, RealScalar Scalar>
struct RasterBuffers {
  NormBuffers<Executor, Scalar> maps;
  typename Executor::template Buffer<std::uint8_t> region_edges;
  Index width = 0;
  Index height = 0;
  bool regions = false;
  Index distinct_region_count = 0;
};

/// Work buffers of the passes, grown as needed and kept between calls, and the executor.
/// `chunk_scalar_budget` bounds the chain buffers of a chunk (in scalars);
/// `small_network_kernel` allows the one-thread-per-point path for networks that fit it.
template <class Executor, RealScalar Scalar>
struct ChainWorkspace {
  template <class T>
  using Buffer = typename Executor::template Buffer<T>;

  Executor executor;
  Index chunk_scalar_budget = device_chunk_scalar_budget;
  bool small_network_kernel = true;

  Buffer<Scalar> chain;              ///< ping-pong halves of the chain
  Buffer<Scalar> pre_activations;    ///< z_l of all layers of a chunk (backward mode, patterns)
  Buffer<Scalar> gram;               ///< Gram matrices of the norms when min(d, m) > 2
  Buffer<Scalar> points;             ///< uploaded points, or the pixels of a raster block
  Buffer<Scalar> slice;              ///< origin, u and v of a raster's slice
  Buffer<PatternWord> words;         ///< packed patterns of a batch or raster block
  Buffer<PatternWord> previous_row;  ///< patterns of the last row of the previous block
  Buffer<PatternWord> distinct;      ///< distinct patterns seen so far
  Buffer<PatternWord> merged;        ///< distinct patterns plus new candidates
  Buffer<std::int64_t> candidates;   ///< columns that may hold new patterns
  Buffer<std::int64_t> order;        ///< sorted columns of `merged`
  FunctionBuffers<Executor, Scalar> functions;  ///< results of the host-memory entry points
  NormBuffers<Executor, Scalar> norms;
  RasterBuffers<Executor, Scalar> raster;
};

}  // namespace polyleak::detail
