#pragma once
// POLYLEAK_HOST_DEVICE: marks a function that runs in kernels and on the host (where the CPU
// tests check it against polyleak's reference code). POLYLEAK_UNROLL: asks nvcc to unroll the
// loop that follows (loops over compile-time bounds that index register arrays); nothing on the
// host.

#if defined(__CUDACC__)
#define POLYLEAK_HOST_DEVICE __host__ __device__
#define POLYLEAK_UNROLL _Pragma("unroll")
#else
#define POLYLEAK_HOST_DEVICE
#define POLYLEAK_UNROLL
#endif
