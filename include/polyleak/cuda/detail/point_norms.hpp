#pragma once
// The polytope-function norms of one point, computed from strided views of A_P and the logits:
// shared by the norm kernel and by the host (where the CPU tests compare it with polytope_norms).

#include <cmath>
#include <cstdint>

#include "polyleak/cuda/detail/host_device.hpp"

namespace polyleak::detail {

/// Each point's m x d matrix in a larger array: entry (r, c) of point j at
/// data[j * point_stride + r + c * column_stride].
template <class Scalar>
struct PointMatrixView {
  const Scalar* data = nullptr;
  std::int64_t point_stride = 0;
  std::int64_t column_stride = 0;

  POLYLEAK_HOST_DEVICE Scalar operator()(std::int64_t j, std::int64_t r, std::int64_t c) const {
    return data[j * point_stride + r + c * column_stride];
  }
};

/// Each point's vector in a larger array: entry r of point j at data[j * point_stride + r].
template <class Scalar>
struct PointVectorView {
  const Scalar* data = nullptr;
  std::int64_t point_stride = 0;

  POLYLEAK_HOST_DEVICE Scalar operator()(std::int64_t j, std::int64_t r) const {
    return data[j * point_stride + r];
  }
};

/// The norms of PolytopeNorms for one point.
template <class Scalar>
struct PointNorms {
  Scalar frobenius_norm = 0;
  Scalar spectral_norm = 0;
  Scalar bias_max_norm = 0;
  Scalar output_norm = 0;
  Scalar confidence = 0;
  std::int64_t predicted_class = 0;
};

/// Largest eigenvalue of the symmetric k x k matrix `g` (column-major, overwritten) by cyclic
/// Jacobi rotations, stopped when the off-diagonal part is below `tolerance` times the diagonal
/// (in Frobenius norm) or after `max_sweeps` sweeps. Cost O(k^3) per sweep; a few sweeps
/// suffice (convergence is quadratic).
template <class Scalar>
POLYLEAK_HOST_DEVICE Scalar largest_symmetric_eigenvalue(Scalar* g, std::int64_t k,
                                                         Scalar tolerance, int max_sweeps) {
  auto at = [g, k](std::int64_t i, std::int64_t j) -> Scalar& { return g[i + j * k]; };
  for (int sweep = 0; sweep < max_sweeps; ++sweep) {
    Scalar off = 0, diagonal = 0;
    for (std::int64_t j = 0; j < k; ++j) {
      diagonal += at(j, j) * at(j, j);
      for (std::int64_t i = 0; i < j; ++i)
        off += at(i, j) * at(i, j);
    }
    if (!(off > tolerance * tolerance * diagonal)) break;
    for (std::int64_t p = 0; p + 1 < k; ++p)
      for (std::int64_t q = p + 1; q < k; ++q) {
        if (at(p, q) == Scalar(0)) continue;
        // The rotation in the (p, q) plane that zeroes entry (p, q) (Golub and Van Loan, 8.5.2).
        const Scalar tau = (at(q, q) - at(p, p)) / (2 * at(p, q));
        const Scalar t = (tau >= 0 ? Scalar(1) : Scalar(-1)) /
                         (std::fabs(tau) + std::sqrt(Scalar(1) + tau * tau));
        const Scalar c = Scalar(1) / std::sqrt(Scalar(1) + t * t), s = t * c;
        for (std::int64_t r = 0; r < k; ++r) {
          const Scalar gp = at(r, p), gq = at(r, q);
          at(r, p) = c * gp - s * gq;
          at(r, q) = s * gp + c * gq;
        }
        for (std::int64_t r = 0; r < k; ++r) {
          const Scalar gp = at(p, r), gq = at(q, r);
          at(p, r) = c * gp - s * gq;
          at(q, r) = s * gp + c * gq;
        }
      }
  }
  Scalar largest = at(0, 0);
  for (std::int64_t i = 1; i < k; ++i)
    largest = at(i, i) > largest ? at(i, i) : largest;
  return largest;
}

/// The norms of point j: ||A||_F, ||A||_2 (from the smaller Gram matrix: closed form up to
/// 2 x 2, Jacobi rotations in `gram`, room for min(m, d)^2 scalars, above), ||b||_inf with
/// b = z - A x, ||z||_2, the largest softmax probability of z and its first arg max. `x` is the
/// point (d coordinates). Cost O(m d min(m, d)) plus the eigenvalues.
template <class Scalar>
POLYLEAK_HOST_DEVICE PointNorms<Scalar> point_norms(const PointMatrixView<Scalar>& a,
                                                    const PointVectorView<Scalar>& logits,
                                                    const Scalar* x, std::int64_t j, std::int64_t m,
                                                    std::int64_t d, Scalar* gram,
                                                    Scalar tolerance) {
  PointNorms<Scalar> norms;
  Scalar largest_logit = logits(j, 0), squares = 0;
  for (std::int64_t r = 0; r < m; ++r) {
    const Scalar z = logits(j, r);
    squares += z * z;
    if (z > largest_logit) {
      largest_logit = z;
      norms.predicted_class = r;
    }
    Scalar bias = z;
    for (std::int64_t c = 0; c < d; ++c)
      bias -= a(j, r, c) * x[c];
    norms.bias_max_norm =
        std::fabs(bias) > norms.bias_max_norm ? std::fabs(bias) : norms.bias_max_norm;
  }
  norms.output_norm = std::sqrt(squares);
  Scalar partition = 0;
  for (std::int64_t r = 0; r < m; ++r)
    partition += std::exp(logits(j, r) - largest_logit);
  norms.confidence = Scalar(1) / partition;

  Scalar frobenius = 0;
  for (std::int64_t c = 0; c < d; ++c)
    for (std::int64_t r = 0; r < m; ++r)
      frobenius += a(j, r, c) * a(j, r, c);
  norms.frobenius_norm = std::sqrt(frobenius);

  // Entry (u, v) of the smaller Gram matrix: A A^T when m <= d, A^T A otherwise.
  const bool by_rows = m <= d;
  const std::int64_t k = by_rows ? m : d, inner = by_rows ? d : m;
  auto gram_entry = [&](std::int64_t u, std::int64_t v) {
    Scalar sum = 0;
    for (std::int64_t i = 0; i < inner; ++i)
      sum += by_rows ? a(j, u, i) * a(j, v, i) : a(j, i, u) * a(j, i, v);
    return sum;
  };
  Scalar largest = 0;
  if (k == 1) {
    largest = gram_entry(0, 0);
  } else if (k == 2) {
    const Scalar g00 = gram_entry(0, 0), g11 = gram_entry(1, 1), g01 = gram_entry(0, 1);
    const Scalar half_gap = (g00 - g11) / 2;
    largest = (g00 + g11) / 2 + std::sqrt(half_gap * half_gap + g01 * g01);
  } else {
    for (std::int64_t v = 0; v < k; ++v)
      for (std::int64_t u = 0; u <= v; ++u)
        gram[u + v * k] = gram[v + u * k] = gram_entry(u, v);
    largest = largest_symmetric_eigenvalue(gram, k, tolerance, 32);
  }
  norms.spectral_norm = std::sqrt(largest > 0 ? largest : Scalar(0));
  return norms;
}

}  // namespace polyleak::detail
