// Uses polyleak's cuda module from outside: the umbrella header compiles with nvcc, and the device
// status reads the same with or without a GPU.
#include <iostream>

#include <polyleak/cuda.cuh>

int main() {
  const polyleak::CudaDeviceStatus status = polyleak::cuda_device_status();
  if (status.available() != status.reason.empty()) return 1;
  std::cout << "consumer cuda ok: " << status.device_count << " devices\n";
  return 0;
}
