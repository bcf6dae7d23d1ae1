#pragma once
// BoostedTrees: a binary gradient-boosted decision-tree classifier (XGBoost C API, objective
// binary:logistic) used as a membership-inference attack model (thesis 3.7, 7.4).

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <xgboost/c_api.h>

#include "polyleak/core/check.hpp"
#include "polyleak/core/error.hpp"
#include "polyleak/core/scalar.hpp"

namespace polyleak {

namespace detail {

/// Throws SolverError naming the XGBoost call and XGBoost's own message on a nonzero status.
inline void xgboost_check(int status, const char* call) {
  if (status != 0) [[unlikely]]
    throw SolverError(std::string("XGBoost ") + call + " failed: " + XGBGetLastError());
}

/// Owns an XGBoost DMatrix built from a batch (one point per column) and optional 0/1 labels.
class XgbMatrix {
 public:
  /// `data` is features x n; XGBoost reads row-major rows, i.e. our column-major columns.
  explicit XgbMatrix(const Matrix<float>& data, const std::vector<float>& labels = {}) {
    xgboost_check(
        XGDMatrixCreateFromMat(data.data(), bst_ulong(data.cols()), bst_ulong(data.rows()),
                               std::numeric_limits<float>::quiet_NaN(), &handle_),
        "XGDMatrixCreateFromMat");
    if (!labels.empty()) {
      const int status =
          XGDMatrixSetFloatInfo(handle_, "label", labels.data(), bst_ulong(labels.size()));
      if (status != 0) {
        XGDMatrixFree(handle_);
        xgboost_check(status, "XGDMatrixSetFloatInfo(label)");
      }
    }
  }
  XgbMatrix(const XgbMatrix&) = delete;
  XgbMatrix& operator=(const XgbMatrix&) = delete;
  ~XgbMatrix() { XGDMatrixFree(handle_); }
  DMatrixHandle get() const noexcept { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

/// Owns an XGBoost Booster.
class XgbBooster {
 public:
  XgbBooster() = default;
  explicit XgbBooster(const XgbMatrix& training) {
    DMatrixHandle matrices[] = {training.get()};
    xgboost_check(XGBoosterCreate(matrices, 1, &handle_), "XGBoosterCreate");
  }
  XgbBooster(XgbBooster&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  XgbBooster& operator=(XgbBooster&& other) noexcept {
    std::swap(handle_, other.handle_);
    return *this;
  }
  ~XgbBooster() {
    if (handle_ != nullptr) XGBoosterFree(handle_);
  }
  BoosterHandle get() const noexcept { return handle_; }
  void set(const std::string& name, const std::string& value) {
    xgboost_check(XGBoosterSetParam(handle_, name.c_str(), value.c_str()),
                  ("XGBoosterSetParam(" + name + "=" + value + ")").c_str());
  }

 private:
  BoosterHandle handle_ = nullptr;
};

}  // namespace detail

/// Hyper-parameters of BoostedTrees. Defaults follow thesis 7.4: many (1024) small trees.
struct BoostedTreesOptions {
  Index tree_count = 1024;      ///< boosting rounds
  Index max_depth = 3;          ///< depth limit of each tree (a depth-d tree has < 2^(d+1) nodes)
  double learning_rate = 0.05;  ///< XGBoost `eta`
  std::uint64_t seed = 0;
  Index thread_count = 0;  ///< XGBoost `nthread`; 0: XGBoost's default (all cores)
  /// Further XGBoost parameters (name, value), set last; XGBoost validates them.
  std::vector<std::pair<std::string, std::string>> extra_parameters;
};

/// A fitted binary gradient-boosted tree classifier (XGBoost, binary:logistic).
///
/// Determinism: with the same data, options and thread count XGBoost's exact/hist tree method is
/// deterministic. Errors of XGBoost (bad parameter, bad data) reach the caller as SolverError
/// carrying XGBGetLastError(); shape errors as InvalidArgument.
class BoostedTrees {
 public:
  /// Fits on `points` (features x n, one point per column) with 0/1 `labels`.
  /// Preconditions: n = labels.size() > 0, both classes present, options positive.
  /// Cost: O(tree_count * n * features * depth) roughly.
  /// @tparam Derived any real Eigen matrix expression.
  template <class Derived>
  static BoostedTrees fit(const Eigen::MatrixBase<Derived>& points, const std::vector<bool>& labels,
                          const BoostedTreesOptions& options) {
    POLYLEAK_REQUIRE(points.cols() > 0 && Index(labels.size()) == points.cols(),
                     "BoostedTrees::fit: " + std::to_string(points.cols()) + " points and " +
                         std::to_string(labels.size()) + " labels, expected equal and positive");
    POLYLEAK_REQUIRE(options.tree_count > 0 && options.max_depth >= 0 &&
                         options.learning_rate > 0 && options.thread_count >= 0,
                     "BoostedTrees::fit: tree count " + std::to_string(options.tree_count) +
                         ", learning rate " + std::to_string(options.learning_rate) +
                         " and thread count " + std::to_string(options.thread_count) +
                         " must be positive (threads: >= 0)");
    std::vector<float> targets(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i)
      targets[i] = labels[i] ? 1.0f : 0.0f;
    const detail::XgbMatrix training(points.template cast<float>(), targets);

    BoostedTrees model;
    model.feature_count_ = points.rows();
    model.booster_ = detail::XgbBooster(training);
    model.booster_.set("objective", "binary:logistic");
    model.booster_.set("tree_method", "hist");
    model.booster_.set("max_depth", std::to_string(options.max_depth));
    model.booster_.set("eta", std::to_string(options.learning_rate));
    model.booster_.set("seed", std::to_string(options.seed));
    model.booster_.set("verbosity", "0");
    if (options.thread_count > 0)
      model.booster_.set("nthread", std::to_string(options.thread_count));
    for (const auto& [name, value] : options.extra_parameters)
      model.booster_.set(name, value);
    for (Index round = 0; round < options.tree_count; ++round)
      detail::xgboost_check(
          XGBoosterUpdateOneIter(model.booster_.get(), int(round), training.get()),
          "XGBoosterUpdateOneIter");
    return model;
  }

  /// Probability of label 1 for each point (features x n). Throws InvalidArgument on a wrong
  /// feature count. Cost O(n * tree_count * depth).
  template <class Derived>
  std::vector<double> predict_probability(const Eigen::MatrixBase<Derived>& points) const {
    POLYLEAK_REQUIRE(points.rows() == feature_count_,
                     "BoostedTrees::predict_probability: points have " +
                         std::to_string(points.rows()) + " features, the model was fitted on " +
                         std::to_string(feature_count_));
    if (points.cols() == 0) return {};
    const detail::XgbMatrix queries(points.template cast<float>());
    bst_ulong length = 0;
    const float* result = nullptr;
    detail::xgboost_check(
        XGBoosterPredict(booster_.get(), queries.get(), 0, 0, 0, &length, &result),
        "XGBoosterPredict");
    POLYLEAK_REQUIRE(Index(length) == points.cols(),
                     "BoostedTrees::predict_probability: XGBoost returned " +
                         std::to_string(length) + " predictions for " +
                         std::to_string(points.cols()) + " points");
    return std::vector<double>(result, result + length);
  }

  Index feature_count() const noexcept { return feature_count_; }

 private:
  BoostedTrees() = default;
  detail::XgbBooster booster_;
  Index feature_count_ = 0;
};

}  // namespace polyleak
