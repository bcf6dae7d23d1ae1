#pragma once
// DeviceBuffer<T>: an owning array in CUDA device memory.

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include <cuda_runtime_api.h>

#include "polyleak/core/check.hpp"
#include "polyleak/cuda/error.hpp"

namespace polyleak {

/// An array of `size()` elements of T in device memory, freed when the buffer is destroyed.
/// Move-only. Its contents are uninitialised after construction and growth. Errors of the CUDA
/// runtime throw CudaError; the destructor never throws.
/// @tparam T trivially copyable.
template <class T>
class DeviceBuffer {
  static_assert(std::is_trivially_copyable_v<T>, "DeviceBuffer holds trivially copyable types");

 public:
  DeviceBuffer() = default;
  /// Allocates `count` elements. Throws CudaError if the allocation fails.
  explicit DeviceBuffer(std::size_t count) { allocate(count); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~DeviceBuffer() { release(); }

  /// Device pointer to the first element (null while empty).
  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  /// Number of elements allocated.
  std::size_t size() const noexcept { return size_; }

  /// Makes room for at least `count` elements; existing contents are lost when it reallocates.
  void reserve(std::size_t count) {
    if (count > size_) {
      release();
      allocate(count);
    }
  }

  /// Copies `count` elements from host memory to the start of the buffer (synchronous).
  /// Throws InvalidArgument if they do not fit.
  void upload(const T* host, std::size_t count) {
    require_fits(count, "DeviceBuffer::upload");
    if (count > 0)
      POLYLEAK_CUDA_CHECK(cudaMemcpy(data_, host, count * sizeof(T), cudaMemcpyHostToDevice));
  }

  /// Copies the first `count` elements to host memory (synchronous). Throws InvalidArgument if
  /// the buffer is shorter.
  void download(T* host, std::size_t count) const {
    require_fits(count, "DeviceBuffer::download");
    if (count > 0)
      POLYLEAK_CUDA_CHECK(cudaMemcpy(host, data_, count * sizeof(T), cudaMemcpyDeviceToHost));
  }

  /// Sets the bytes of the first `count` elements to zero.
  void zero(std::size_t count) {
    require_fits(count, "DeviceBuffer::zero");
    if (count > 0) POLYLEAK_CUDA_CHECK(cudaMemset(data_, 0, count * sizeof(T)));
  }

 private:
  void allocate(std::size_t count) {
    if (count == 0) return;
    void* pointer = nullptr;
    POLYLEAK_CUDA_CHECK(cudaMalloc(&pointer, count * sizeof(T)));
    data_ = static_cast<T*>(pointer);
    size_ = count;
  }
  void release() noexcept {
    if (data_ != nullptr) cudaFree(data_);
    data_ = nullptr;
    size_ = 0;
  }
  void require_fits(std::size_t count, const char* function) const {
    if (count > size_)
      detail::throw_invalid_argument(
          function,
          std::to_string(count) + " elements do not fit a buffer of " + std::to_string(size_));
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace polyleak
