#pragma once
// Networks and points shared by the benchmark programs, with fixed seeds, so that figures of
// different programs (CPU and CUDA, geometry and attack) are measured on the same inputs.

#include <cstdint>
#include <vector>

#include "polyleak/core/random.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak::bench {

/// He-initialised weights (seed `weight_seed`) and N(0, bias_stddev^2) biases drawn with
/// Rng(bias_seed), so that activation regions are not all cones through the origin.
template <RealScalar Scalar>
Mlp<Scalar> network_with_biases(const std::vector<Index>& sizes, std::uint64_t weight_seed,
                                std::uint64_t bias_seed, Scalar bias_stddev) {
  auto network = Mlp<Scalar>::he_initialized(sizes, weight_seed);
  Rng rng(bias_seed);
  network.draw_normal_biases(bias_stddev, rng);
  return network;
}

/// The 2-25-25-25-25-2 network of the raster benchmarks (He seed 7, N(0, 0.3) biases, seed 8).
template <RealScalar Scalar>
Mlp<Scalar> raster_network() {
  return network_with_biases<Scalar>({2, 25, 25, 25, 25, 2}, 7, 8, Scalar(0.3));
}

/// A Location-shaped (which = 0: 446-128-30) or Purchase-shaped (otherwise:
/// 600-1024-512-256-128-100) float network, He seed 3 with N(0, 0.1) biases, and `n` random 0/1
/// points of density 0.1 as columns, both drawn from Rng(4) in that order.
struct BinaryPointSetup {
  Mlp<float> network;
  Matrix<float> points;

  BinaryPointSetup(Index which, Index n)
      : network(Mlp<float>::he_initialized(which == 0
                                               ? std::vector<Index>{446, 128, 30}
                                               : std::vector<Index>{600, 1024, 512, 256, 128, 100},
                                           3)) {
    Rng rng(4);
    network.draw_normal_biases(0.1f, rng);
    points = (random_uniform<float>(network.input_dimension(), n, 0, 1, rng).array() < 0.1f)
                 .cast<float>();
  }
};

}  // namespace polyleak::bench
