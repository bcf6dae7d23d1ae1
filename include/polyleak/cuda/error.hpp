#pragma once
// CudaError and POLYLEAK_CUDA_CHECK: every failing CUDA runtime call becomes an exception that
// names the call, the file and the line.

#include <stdexcept>
#include <string>

#include <cuda_runtime_api.h>

namespace polyleak {

/// A CUDA runtime call failed, or no usable CUDA device is present. what() reads
/// "<file>:<line>: <call> failed: <CUDA error name>: <CUDA description>".
class CudaError : public std::runtime_error {
 public:
  /// The failure `code` of `call` (source text or a description) at `file`:`line`.
  CudaError(cudaError_t code, const std::string& call, const std::string& file, int line)
      : std::runtime_error(file + ":" + std::to_string(line) + ": " + call +
                           " failed: " + cudaGetErrorName(code) + ": " + cudaGetErrorString(code)),
        code_(code),
        call_(call),
        file_(file),
        line_(line) {}

  /// The CUDA runtime's error code.
  cudaError_t code() const noexcept { return code_; }
  /// The failing call as written in the source.
  const std::string& call() const noexcept { return call_; }
  /// Source file and line of the failing call.
  const std::string& file() const noexcept { return file_; }
  int line() const noexcept { return line_; }

 private:
  cudaError_t code_;
  std::string call_;
  std::string file_;
  int line_;
};

namespace detail {

/// Throws CudaError for any `code` other than cudaSuccess.
inline void check_cuda(cudaError_t code, const char* call, const char* file, int line) {
  if (code != cudaSuccess) [[unlikely]]
    throw CudaError(code, call, file, line);
}

}  // namespace detail

}  // namespace polyleak

/// Evaluates the CUDA runtime call `call` once and throws polyleak::CudaError with the call's text,
/// file and line unless it returns cudaSuccess.
#define POLYLEAK_CUDA_CHECK(call) ::polyleak::detail::check_cuda((call), #call, __FILE__, __LINE__)

/// Throws polyleak::CudaError naming the launch of `kernel` (a string literal), the file and the
/// line if the last kernel launch failed. Errors while the kernel runs surface at the next
/// synchronising call, which then throws.
#define POLYLEAK_CUDA_CHECK_LAUNCH(kernel) \
  ::polyleak::detail::check_cuda(cudaGetLastError(), kernel " launch", __FILE__, __LINE__)
