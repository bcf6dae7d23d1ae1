#pragma once
// Attack features computed from a model's logits: sorted top-k posteriors (ML-Leaks), the log of
// the top posterior (threshold attack), the logit-scaled confidence of the true class (LiRA), and
// ML-Leaks' feature vector built from them.
// All are computed in double from the logits, so that posteriors near 1 do not saturate.

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// The `k` largest softmax posteriors of each column of `logits`, in decreasing order
/// (k x n, double). Precondition: 1 <= k <= classes. Cost O(n * classes log classes).
template <class Derived>
Matrix<double> sorted_posteriors(const Eigen::MatrixBase<Derived>& logits, Index k) {
  POLYLEAK_REQUIRE(k >= 1 && k <= logits.rows(),
                   "k = " + std::to_string(k) + ", expected 1.." + std::to_string(logits.rows()));
  const Matrix<double> posteriors = softmax(logits.template cast<double>());
  Matrix<double> top(k, posteriors.cols());
  std::vector<double> column(static_cast<std::size_t>(posteriors.rows()));
  for (Index j = 0; j < posteriors.cols(); ++j) {
    Eigen::Map<Vector<double>>(column.data(), posteriors.rows()) = posteriors.col(j);
    std::partial_sort(column.begin(), column.begin() + k, column.end(), std::greater<>());
    for (Index i = 0; i < k; ++i)
      top(i, j) = column[std::size_t(i)];
  }
  return top;
}

/// log of the largest softmax posterior of each column, -log(1 + sum_{j != max} e^{z_j - z_max}),
/// exact down to posteriors 1 - 1e-300 (a monotone stand-in for the top posterior). Cost O(n m).
template <class Derived>
std::vector<double> log_top_posterior(const Eigen::MatrixBase<Derived>& logits) {
  std::vector<double> result(static_cast<std::size_t>(logits.cols()));
  for (Index j = 0; j < logits.cols(); ++j) {
    Index top = 0;
    const double largest = double(logits.col(j).maxCoeff(&top));
    double rest = 0;
    for (Index i = 0; i < logits.rows(); ++i)
      if (i != top) rest += std::exp(double(logits(i, j)) - largest);
    result[std::size_t(j)] = -std::log1p(rest);
  }
  return result;
}

/// LiRA's logit-scaled confidence phi = log(p_y / (1 - p_y)) of the true class y of each column,
/// computed stably as z_y - log sum_{j != y} e^{z_j}. Preconditions: labels.size() == columns,
/// labels in 0..rows-1, at least two classes. Cost O(n m).
template <class Derived>
std::vector<double> logit_scaled_confidence(const Eigen::MatrixBase<Derived>& logits,
                                            const std::vector<Index>& labels) {
  POLYLEAK_REQUIRE(logits.rows() >= 2 && Index(labels.size()) == logits.cols(),
                   "logits are " + std::to_string(logits.rows()) + " x " +
                       std::to_string(logits.cols()) + " for " + std::to_string(labels.size()) +
                       " labels, expected >= 2 classes and one label per column");
  std::vector<double> phi(labels.size());
  for (Index j = 0; j < logits.cols(); ++j) {
    const Index y = labels[std::size_t(j)];
    POLYLEAK_REQUIRE(y >= 0 && y < logits.rows(), "label " + std::to_string(y) + " of column " +
                                                      std::to_string(j) + ", expected 0.." +
                                                      std::to_string(logits.rows() - 1));
    double largest = -std::numeric_limits<double>::infinity();
    for (Index i = 0; i < logits.rows(); ++i)
      if (i != y) largest = std::max(largest, double(logits(i, j)));
    double sum = 0;
    for (Index i = 0; i < logits.rows(); ++i)
      if (i != y) sum += std::exp(double(logits(i, j)) - largest);
    phi[std::size_t(j)] = double(logits(y, j)) - largest - std::log(sum);
  }
  return phi;
}

/// ML-Leaks' attack features of each column of `logits` (double): the `top_k` largest posteriors
/// (sorted_posteriors()), followed, if `with_true_class`, by the logit-scaled confidence of the
/// label (logit_scaled_confidence()). Preconditions as for those two. Cost O(n m log m).
template <class Derived>
Matrix<double> ml_leaks_features(const Eigen::MatrixBase<Derived>& logits,
                                 const std::vector<Index>& labels, Index top_k,
                                 bool with_true_class) {
  if (!with_true_class) return sorted_posteriors(logits, top_k);
  Matrix<double> result(top_k + 1, logits.cols());
  result.topRows(top_k) = sorted_posteriors(logits, top_k);
  const std::vector<double> phi = logit_scaled_confidence(logits, labels);
  result.row(top_k) = Eigen::Map<const Vector<double>>(phi.data(), Index(phi.size())).transpose();
  return result;
}

}  // namespace polyleak
