#pragma once
// HostExecutor: the executor of the CUDA passes (include/polyleak/cuda/detail/
// chain_workspace.hpp) on the CPU, so that every step the kernels run, and the passes that
// drive them, can be checked against the CPU reference without a GPU. Products run the phases of
// the tiled kernel for all 256 threads of a block in turn (what the kernel's barriers
// guarantee), with shared memory poisoned before each stage; per-index steps run in reverse
// order (any order must do); fresh buffers are poisoned (all bits set: NaN for scalars), so
// that a pass that reads memory it has not written fails the comparison.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/cuda/detail/chain_passes.hpp"
#include "polyleak/cuda/detail/network_view.hpp"
#include "polyleak/cuda/detail/tiled_product.hpp"

namespace polyleak::test {

/// Host memory with the interface of DeviceBuffer.
template <class T>
class HostBuffer {
 public:
  T* data() noexcept { return values_.empty() ? nullptr : values_.data(); }
  const T* data() const noexcept { return values_.empty() ? nullptr : values_.data(); }
  std::size_t size() const noexcept { return values_.size(); }

  /// Makes room for `count` elements; on growth the contents are poisoned.
  void reserve(std::size_t count) {
    if (count <= values_.size()) return;
    values_.resize(count);
    std::memset(static_cast<void*>(values_.data()), 0xff, count * sizeof(T));
  }
  void upload(const T* host, std::size_t count) {
    require_fits(count, "HostBuffer::upload");
    std::copy_n(host, count, values_.data());
  }
  void download(T* host, std::size_t count) const {
    require_fits(count, "HostBuffer::download");
    std::copy_n(values_.data(), count, host);
  }
  void zero(std::size_t count) {
    require_fits(count, "HostBuffer::zero");
    std::fill_n(values_.data(), count, T{});
  }

 private:
  void require_fits(std::size_t count, const char* function) const {
    if (count > values_.size())
      detail::throw_invalid_argument(function, std::to_string(count) + " elements, buffer holds " +
                                                   std::to_string(values_.size()));
  }

  std::vector<T> values_;
};

/// The passes' steps in plain loops on the CPU; counts which kinds of step ran.
struct HostExecutor {
  template <class T>
  using Buffer = HostBuffer<T>;

  Index products = 0;       ///< tiled products run
  Index staged_passes = 0;  ///< small-network passes run
  Index short_tile_products = 0;

  template <class Scalar, class LoadA, class LoadB, class Store>
  void product(Index rows, Index cols, Index depth, const LoadA& a, const LoadB& b,
               const Store& store) {
    if (rows == 0 || cols == 0) return;
    ++products;
    if (detail::uses_short_product_tile(rows)) {
      ++short_tile_products;
      tiled_product<Scalar, detail::ShortProductTile>(rows, cols, depth, a, b, store);
    } else {
      tiled_product<Scalar, detail::SquareProductTile>(rows, cols, depth, a, b, store);
    }
  }

  /// The tiled kernel with tile shape Shape, block after block.
  template <class Scalar, class Shape, class LoadA, class LoadB, class Store>
  static void tiled_product(Index rows, Index cols, Index depth, const LoadA& a, const LoadB& b,
                            const Store& store) {
    using namespace detail;
    ProductTiles<Scalar, Shape> tiles;
    std::vector<ProductAccumulator<Scalar, Shape>> sums(product_threads);
    for (Index tile = 0; tile < product_tile_count<Shape>(rows, cols); ++tile) {
      std::int64_t row0 = 0, col0 = 0;
      product_tile_origin<Shape>(tile, rows, row0, col0);
      std::fill(sums.begin(), sums.end(), ProductAccumulator<Scalar, Shape>{});
      for (std::int64_t k0 = 0; k0 < depth; k0 += product_depth) {
        std::memset(static_cast<void*>(&tiles), 0xff, sizeof(tiles));
        for (int thread = 0; thread < product_threads; ++thread)
          stage_product_tiles(tiles, thread, row0, col0, k0, rows, cols, depth, a, b);
        for (int thread = 0; thread < product_threads; ++thread)
          accumulate_product_stage(tiles, thread, sums[std::size_t(thread)]);
      }
      for (int thread = 0; thread < product_threads; ++thread)
        store_product_block(sums[std::size_t(thread)], thread, row0, col0, rows, cols, store);
    }
  }

  template <class Body>
  void for_each(Index total, const Body& body) {
    for (Index i = total - 1; i >= 0; --i)
      body(i);
  }

  template <class Body, class Scalar>
  void for_each_staged(Index total, const Body& body, const Scalar* parameters, Index count) {
    ++staged_passes;
    const std::vector<Scalar> staged(parameters, parameters + count);
    for (Index i = total - 1; i >= 0; --i)
      body(i, staged.data());
  }

  template <class Predicate>
  Index select(Index count, const Predicate& predicate, std::int64_t* selected) {
    Index n = 0;
    for (Index i = 0; i < count; ++i)
      if (predicate(i)) selected[n++] = i;
    return n;
  }

  template <class Less, class Equal>
  Index sort_unique(std::int64_t* indices, Index count, const Less& less, const Equal& equal) {
    std::sort(indices, indices + count, less);
    return Index(std::unique(indices, indices + count, equal) - indices);
  }
};

/// The CUDA launchers' host entry points run with HostExecutor: what test_cuda.cu does with
/// the GPU, here with the network's packed parameters in host memory.
template <RealScalar Scalar>
struct HostLaunch {
  detail::ChainWorkspace<HostExecutor, Scalar> work;

  /// Packs `network` (kept alive in `parameters` for the view).
  detail::NetworkView<Scalar> view(const Mlp<Scalar>& network) {
    parameters = detail::packed_parameters(network);
    return detail::network_view(network, static_cast<const Scalar*>(parameters.data()));
  }

  PolytopeFunctionBatch<Scalar> functions(const Mlp<Scalar>& network, const Matrix<Scalar>& points,
                                          PropagationMode mode) {
    return detail::host_polytope_functions(work, view(network), points, mode);
  }
  PolytopeNorms<Scalar> norms(const Mlp<Scalar>& network, const Matrix<Scalar>& points,
                              PropagationMode mode, ActivationPatternBatch* patterns) {
    return detail::host_polytope_norms(work, view(network), points, mode, patterns);
  }
  ActivationPatternBatch patterns(const Mlp<Scalar>& network, const Matrix<Scalar>& points) {
    return detail::host_activation_patterns(work, view(network), points);
  }
  Index distinct(const ActivationPatternBatch& patterns) {
    return detail::host_distinct_pattern_count(work, patterns);
  }
  RasterMaps<Scalar> raster(const Mlp<Scalar>& network, const RasterGrid<Scalar>& grid,
                            const RasterOptions& options) {
    return detail::host_raster_maps(work, view(network), grid, options);
  }

  std::vector<Scalar> parameters;
};

}  // namespace polyleak::test
