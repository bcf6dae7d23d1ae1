#pragma once
// Networks shared by the geometry tests: He-initialised weights with random biases, so that
// activation regions are non-trivial near the origin.

#include <cstdint>
#include <vector>

#include "polyleak/core/random.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak::test {

template <RealScalar Scalar>
Mlp<Scalar> random_network(std::vector<Index> sizes, std::uint64_t seed,
                           Activation activation = Activation::relu) {
  auto network = Mlp<Scalar>::he_initialized(std::move(sizes), seed, activation, Scalar(0.1));
  Rng rng(seed + 1);
  network.draw_normal_biases(Scalar(0.5), rng);
  return network;
}

}  // namespace polyleak::test
