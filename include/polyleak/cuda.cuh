#pragma once
// Umbrella header of module cuda (compile with nvcc): the CudaBackend overloads of batched
// activation patterns, polytope functions, polytope norms and raster maps, device memory types
// and device status. The CpuBackend overloads come with the CPU headers.

#include "polyleak/core/backend.hpp"
#include "polyleak/cuda/activation_patterns.cuh"
#include "polyleak/cuda/cuda_workspace.cuh"
#include "polyleak/cuda/device.hpp"
#include "polyleak/cuda/device_buffer.hpp"
#include "polyleak/cuda/device_network.hpp"
#include "polyleak/cuda/error.hpp"
#include "polyleak/cuda/polytope_functions.cuh"
#include "polyleak/cuda/polytope_norms.cuh"
#include "polyleak/cuda/raster_maps.cuh"
