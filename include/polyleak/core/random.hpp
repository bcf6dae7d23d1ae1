#pragma once
// Seeded random numbers. Every randomised function of polyleak takes a seed or an Rng; the same
// seed on the same machine and standard library gives the same numbers.

#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "polyleak/core/scalar.hpp"

namespace polyleak {

/// The random engine used throughout polyleak.
using Rng = std::mt19937_64;

/// A uniformly shuffled permutation of 0..n-1 (Fisher-Yates with std::uniform_int_distribution).
inline std::vector<Index> random_permutation(Index n, Rng& rng) {
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});
  for (Index i = n - 1; i > 0; --i) {
    std::uniform_int_distribution<Index> pick(0, i);
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(pick(rng))]);
  }
  return order;
}

/// A matrix of independent normal samples with the given mean and standard deviation.
template <RealScalar Scalar>
Matrix<Scalar> random_normal(Index rows, Index cols, Scalar mean, Scalar stddev, Rng& rng) {
  std::normal_distribution<Scalar> normal(mean, stddev);
  Matrix<Scalar> m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i)
      m(i, j) = normal(rng);
  return m;
}

/// A matrix of independent samples uniform in [low, high).
template <RealScalar Scalar>
Matrix<Scalar> random_uniform(Index rows, Index cols, Scalar low, Scalar high, Rng& rng) {
  std::uniform_real_distribution<Scalar> uniform(low, high);
  Matrix<Scalar> m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i)
      m(i, j) = uniform(rng);
  return m;
}

}  // namespace polyleak
