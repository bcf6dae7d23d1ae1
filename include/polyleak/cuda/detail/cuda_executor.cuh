#pragma once
// CudaExecutor: the executor of the passes (chain_workspace.hpp) on the current CUDA device:
// kernels on the default stream for the layer products and the per-index steps, Thrust for
// selecting, sorting and de-duplicating pattern columns.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include <cuda_runtime.h>
#include <thrust/copy.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/sort.h>
#include <thrust/system/cuda/error.h>
#include <thrust/system/cuda/execution_policy.h>
#include <thrust/system_error.h>
#include <thrust/unique.h>

#include "polyleak/core/scalar.hpp"
#include "polyleak/cuda/detail/tiled_product.hpp"
#include "polyleak/cuda/device_buffer.hpp"
#include "polyleak/cuda/error.hpp"

namespace polyleak::detail {

/// Threads per block of the per-index kernels, of the small-network kernel (which needs many
/// registers per thread), and the most blocks of their grid-stride loops.
inline constexpr int elementwise_threads = 256;
inline constexpr int staged_threads = 128;
inline constexpr std::int64_t elementwise_max_blocks = std::int64_t{1} << 20;
inline constexpr std::int64_t staged_max_blocks = 4096;

/// C = A B (rows x cols, depth), one tile per block: the phases of tiled_product.hpp with a
/// barrier after staging and after accumulating.
template <class Scalar, class Shape, class LoadA, class LoadB, class Store>
__global__ void __launch_bounds__(product_threads)
    tiled_product_kernel(std::int64_t rows, std::int64_t cols, std::int64_t depth, LoadA a, LoadB b,
                         Store store) {
  __shared__ ProductTiles<Scalar, Shape> tiles;
  std::int64_t row0 = 0, col0 = 0;
  product_tile_origin<Shape>(std::int64_t(blockIdx.x), rows, row0, col0);
  const int thread = int(threadIdx.x);
  ProductAccumulator<Scalar, Shape> sum{};
  for (std::int64_t k0 = 0; k0 < depth; k0 += product_depth) {
    stage_product_tiles(tiles, thread, row0, col0, k0, rows, cols, depth, a, b);
    __syncthreads();
    accumulate_product_stage(tiles, thread, sum);
    __syncthreads();
  }
  store_product_block(sum, thread, row0, col0, rows, cols, store);
}

/// body(i) for every i in [0, total), grid-stride.
template <class Body>
__global__ void for_each_kernel(std::int64_t total, Body body) {
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += std::int64_t(gridDim.x) * blockDim.x)
    body(i);
}

/// body(i, staged) for every i in [0, total), grid-stride, after each block has copied the
/// `count` scalars at `parameters` into shared memory (`staged`).
template <class Scalar, class Body>
__global__ void __launch_bounds__(staged_threads)
    for_each_staged_kernel(std::int64_t total, Body body, const Scalar* parameters,
                           std::int64_t count) {
  extern __shared__ __align__(16) unsigned char staged_storage[];
  Scalar* staged = reinterpret_cast<Scalar*>(staged_storage);
  for (std::int64_t e = threadIdx.x; e < count; e += blockDim.x)
    staged[e] = parameters[e];
  __syncthreads();
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += std::int64_t(gridDim.x) * blockDim.x)
    body(i, static_cast<const Scalar*>(staged));
}

/// Runs a Thrust call and turns its thrust::system_error into CudaError naming `text`.
template <class Call>
decltype(auto) checked_thrust(Call&& call, const char* text, const char* file, int line) {
  try {
    return std::forward<Call>(call)();
  } catch (const thrust::system_error& error) {
    const bool cuda = error.code().category() == thrust::cuda_category();
    throw CudaError(cuda ? cudaError_t(error.code().value()) : cudaErrorUnknown, text, file, line);
  }
}

/// Temporary storage of Thrust calls: a pool that grows after each call to what the call asked
/// for, so that repeated calls of similar size allocate nothing; requests that do not fit come
/// from cudaMalloc and go back to cudaFree.
class ThrustTemporaryPool {
 public:
  /// The allocator one Thrust call uses (it shares the pool).
  class Allocator {
   public:
    using value_type = char;

    explicit Allocator(ThrustTemporaryPool& pool) : pool_(&pool) {}

    char* allocate(std::ptrdiff_t bytes) const {
      const std::size_t rounded = (std::size_t(bytes) + 255) / 256 * 256;
      pool_->requested_ += rounded;
      if (pool_->used_ + rounded <= pool_->storage_.size()) {
        char* pointer = pool_->storage_.data() + pool_->used_;
        pool_->used_ += rounded;
        return pointer;
      }
      void* pointer = nullptr;
      POLYLEAK_CUDA_CHECK(cudaMalloc(&pointer, rounded));
      return static_cast<char*>(pointer);
    }

    void deallocate(char* pointer, std::size_t) const noexcept {
      const char* begin = pool_->storage_.data();
      if (pointer < begin || pointer >= begin + pool_->storage_.size()) cudaFree(pointer);
    }

   private:
    ThrustTemporaryPool* pool_;
  };

  /// The allocator for the next call.
  Allocator start_call() {
    used_ = 0;
    requested_ = 0;
    return Allocator(*this);
  }

  /// After a call: grows the pool to what the call requested.
  void finish_call() { storage_.reserve(requested_); }

 private:
  DeviceBuffer<char> storage_;
  std::size_t used_ = 0;
  std::size_t requested_ = 0;
};

/// Runs the passes' steps on the current CUDA device (see chain_workspace.hpp for the
/// interface). All work goes to the default stream, in order; `select` and `sort_unique` wait for
/// it, because they return counts. Launch failures throw CudaError; move-only.
class CudaExecutor {
 public:
  template <class T>
  using Buffer = DeviceBuffer<T>;

  template <class Scalar, class LoadA, class LoadB, class Store>
  void product(Index rows, Index cols, Index depth, const LoadA& a, const LoadB& b,
               const Store& store) {
    if (rows == 0 || cols == 0) return;
    if (uses_short_product_tile(rows))
      launch_product<Scalar, ShortProductTile>(rows, cols, depth, a, b, store);
    else
      launch_product<Scalar, SquareProductTile>(rows, cols, depth, a, b, store);
  }

  template <class Body>
  void for_each(Index total, const Body& body) {
    if (total == 0) return;
    for_each_kernel<<<blocks(total, elementwise_threads, elementwise_max_blocks),
                      elementwise_threads>>>(total, body);
    POLYLEAK_CUDA_CHECK_LAUNCH("for_each_kernel");
  }

  template <class Body, class Scalar>
  void for_each_staged(Index total, const Body& body, const Scalar* parameters, Index count) {
    if (total == 0) return;
    for_each_staged_kernel<Scalar>
        <<<blocks(total, staged_threads, staged_max_blocks), staged_threads,
           std::size_t(count) * sizeof(Scalar)>>>(total, body, parameters, count);
    POLYLEAK_CUDA_CHECK_LAUNCH("for_each_staged_kernel");
  }

  template <class Predicate>
  Index select(Index count, const Predicate& predicate, std::int64_t* selected) {
    if (count == 0) return 0;
    const thrust::counting_iterator<std::int64_t> first(0);
    auto policy = thrust::cuda::par(thrust_pool_.start_call());
    std::int64_t* end = checked_thrust(
        [&] { return thrust::copy_if(policy, first, first + count, selected, predicate); },
        "thrust::copy_if", __FILE__, __LINE__);
    thrust_pool_.finish_call();
    return Index(end - selected);
  }

  template <class Less, class Equal>
  Index sort_unique(std::int64_t* indices, Index count, const Less& less, const Equal& equal) {
    if (count == 0) return 0;
    auto sort_policy = thrust::cuda::par(thrust_pool_.start_call());
    checked_thrust([&] { thrust::sort(sort_policy, indices, indices + count, less); },
                   "thrust::sort", __FILE__, __LINE__);
    thrust_pool_.finish_call();
    auto unique_policy = thrust::cuda::par(thrust_pool_.start_call());
    std::int64_t* end = checked_thrust(
        [&] { return thrust::unique(unique_policy, indices, indices + count, equal); },
        "thrust::unique", __FILE__, __LINE__);
    thrust_pool_.finish_call();
    return Index(end - indices);
  }

 private:
  static unsigned blocks(Index total, int threads, std::int64_t max_blocks) {
    return unsigned(std::clamp<std::int64_t>((total + threads - 1) / threads, 1, max_blocks));
  }

  template <class Scalar, class Shape, class LoadA, class LoadB, class Store>
  static void launch_product(Index rows, Index cols, Index depth, const LoadA& a, const LoadB& b,
                             const Store& store) {
    const Index tiles = product_tile_count<Shape>(rows, cols);
    if (tiles > Index{0x7fffffff})
      throw_invalid_argument("CudaExecutor::product",
                             "a " + std::to_string(rows) + " x " + std::to_string(cols) +
                                 " product needs more than 2^31 - 1 thread blocks");
    tiled_product_kernel<Scalar, Shape>
        <<<unsigned(tiles), product_threads>>>(rows, cols, depth, a, b, store);
    POLYLEAK_CUDA_CHECK_LAUNCH("tiled_product_kernel");
  }

  ThrustTemporaryPool thrust_pool_;
};

}  // namespace polyleak::detail
