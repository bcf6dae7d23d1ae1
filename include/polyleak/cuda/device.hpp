#pragma once
// Whether a CUDA device can be used, and why not.

#include <string>

#include <cuda_runtime_api.h>

#include "polyleak/cuda/error.hpp"

namespace polyleak {

/// The outcome of asking the CUDA runtime for devices.
struct CudaDeviceStatus {
  /// Devices the runtime sees (0 when the query failed).
  int device_count = 0;
  /// Why no device can be used (empty when device_count > 0).
  std::string reason;

  /// Whether at least one device can be used.
  bool available() const noexcept { return device_count > 0; }
};

/// Asks the CUDA runtime how many devices it sees. Never throws for a missing driver or device:
/// the status then holds the runtime's reason. Cost: one cudaGetDeviceCount call.
inline CudaDeviceStatus cuda_device_status() {
  CudaDeviceStatus status;
  const cudaError_t code = cudaGetDeviceCount(&status.device_count);
  if (code != cudaSuccess) {
    status.device_count = 0;
    status.reason = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorName(code) + ": " +
                    cudaGetErrorString(code);
    // The query leaves the error as the runtime's last error; later calls should not see it.
    cudaGetLastError();
  } else if (status.device_count == 0) {
    status.reason = "cudaGetDeviceCount found no CUDA device";
  }
  return status;
}

namespace detail {

/// Throws CudaError naming `function` and cudaGetDeviceCount unless a CUDA device is available
/// (cudaErrorNoDevice when the runtime works but sees none).
inline void require_cuda_device(const char* function) {
  int count = 0;
  cudaError_t code = cudaGetDeviceCount(&count);
  if (code == cudaSuccess && count == 0) code = cudaErrorNoDevice;
  if (code != cudaSuccess) {
    cudaGetLastError();
    throw CudaError(code, std::string(function) + ": cudaGetDeviceCount", __FILE__, __LINE__);
  }
}

}  // namespace detail

}  // namespace polyleak
