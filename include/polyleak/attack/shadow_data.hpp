#pragma once
// What an attacker may fit on (ShadowData), how it may query the target (ModelQueries), and the
// balanced set of target members and non-members an attack is scored on (TargetEvaluationSet).
//
// The separation is the point of this header: an attack's fit() takes only ShadowData, which can
// only be built from the shadow half of a MembershipSplit and the shadow model. Target membership
// labels live only in TargetEvaluationSet, which attacks never see (evaluate_attack() scores the
// candidate points without their membership and compares afterwards).

#include <algorithm>
#include <string>
#include <utility>

#include "polyleak/core/check.hpp"
#include "polyleak/data/dataset.hpp"
#include "polyleak/data/membership_split.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// The points of `first` followed by those of `second`: same dimension unless one is empty;
/// the class count is the larger of the two. Throws InvalidArgument otherwise. Cost O(points).
template <RealScalar Scalar>
Dataset<Scalar> concatenate(const Dataset<Scalar>& first, const Dataset<Scalar>& second) {
  POLYLEAK_REQUIRE(
      first.dimension() == second.dimension() || first.size() == 0 || second.size() == 0,
      "cannot concatenate data sets of dimension " + std::to_string(first.dimension()) + " and " +
          std::to_string(second.dimension()));
  Dataset<Scalar> all;
  all.features.resize(std::max(first.dimension(), second.dimension()),
                      first.size() + second.size());
  if (first.size() > 0) all.features.leftCols(first.size()) = first.features;
  if (second.size() > 0) all.features.rightCols(second.size()) = second.features;
  all.labels = first.labels;
  all.labels.insert(all.labels.end(), second.labels.begin(), second.labels.end());
  all.class_count = std::max(first.class_count, second.class_count);
  all.feature_names = first.feature_names.empty() ? second.feature_names : first.feature_names;
  return all;
}

/// Black-box access to a model: logits of a batch, counting every queried point.
///
/// Attacks query the target only through this type, so that evaluate_attack() can report queries
/// per point. Not thread-safe.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class ModelQueries {
 public:
  explicit ModelQueries(const Mlp<Scalar>& model) : model_(&model) {}

  /// Logits (classes x n) of `points` (input dimension x n); adds n to query_count().
  Matrix<Scalar> logits(const Eigen::Ref<const Matrix<Scalar>>& points) {
    query_count_ += points.cols();
    return model_->forward_batch(points);
  }
  Index query_count() const noexcept { return query_count_; }
  Index class_count() const noexcept { return model_->output_dimension(); }

  /// White-box access to the model, for attacks whose threat model grants it (the thesis's
  /// gradient and exact boundary-distance attacks); they report their network evaluations
  /// through add_queries().
  const Mlp<Scalar>& white_box_model() const noexcept { return *model_; }
  /// Adds `count` evaluations made through white_box_model() to query_count().
  void add_queries(Index count) noexcept { query_count_ += count; }

 private:
  const Mlp<Scalar>* model_;
  Index query_count_ = 0;
};

/// The attacker's knowledge under Salem et al.'s adversary 1: a shadow model of the target's
/// architecture, its training points (members) and held-out points of the same distribution
/// (non-members), all disjoint from the target's data.
///
/// Build it with from_split(); it holds nothing of the target split.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class ShadowData {
 public:
  /// The shadow half of `split` (shadow_train = members, shadow_test = non-members) and the
  /// shadow model trained on split.shadow_train. Throws InvalidArgument if either half is empty
  /// or the model's input or output size does not fit the data.
  static ShadowData from_split(const MembershipSplit<Scalar>& split, Mlp<Scalar> shadow_model) {
    ShadowData shadow;
    shadow.members_ = split.shadow_train;
    shadow.non_members_ = split.shadow_test;
    shadow.model_ = std::move(shadow_model);
    POLYLEAK_REQUIRE(shadow.members_.size() > 0 && shadow.non_members_.size() > 0,
                     "ShadowData needs shadow members and non-members, got " +
                         std::to_string(shadow.members_.size()) + " and " +
                         std::to_string(shadow.non_members_.size()));
    for (const Dataset<Scalar>* part : {&shadow.members_, &shadow.non_members_}) {
      part->validate();
      POLYLEAK_REQUIRE(part->dimension() == shadow.model_.input_dimension() &&
                           part->class_count <= shadow.model_.output_dimension(),
                       "shadow data has dimension " + std::to_string(part->dimension()) + " and " +
                           std::to_string(part->class_count) + " classes, the shadow model " +
                           std::to_string(shadow.model_.input_dimension()) + " inputs and " +
                           std::to_string(shadow.model_.output_dimension()) + " outputs");
    }
    return shadow;
  }

  const Mlp<Scalar>& model() const noexcept { return model_; }
  const Dataset<Scalar>& members() const noexcept { return members_; }
  const Dataset<Scalar>& non_members() const noexcept { return non_members_; }

 private:
  ShadowData() : model_(std::vector<Index>{1, 1}) {}
  Mlp<Scalar> model_;
  Dataset<Scalar> members_;
  Dataset<Scalar> non_members_;
};

/// A balanced evaluation set of the target: as many members (from target_train) as non-members
/// (from target_test), the first min(|train|, |test|) of each (the split is already shuffled),
/// or the first `per_side` of each when `per_side` is positive and smaller (a random balanced
/// subset, for attacks too costly to score on every point).
/// Only evaluate_attack() reads the membership; attacks see candidates() alone.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class TargetEvaluationSet {
 public:
  /// Throws InvalidArgument if target_train or target_test is empty or `per_side` is negative.
  static TargetEvaluationSet from_split(const MembershipSplit<Scalar>& split, Index per_side = 0) {
    POLYLEAK_REQUIRE(per_side >= 0, "TargetEvaluationSet: per_side is " + std::to_string(per_side) +
                                        ", expected >= 0");
    Index count = std::min(split.target_train.size(), split.target_test.size());
    POLYLEAK_REQUIRE(count > 0, "TargetEvaluationSet needs target members and non-members, got " +
                                    std::to_string(split.target_train.size()) + " and " +
                                    std::to_string(split.target_test.size()));
    if (per_side > 0) count = std::min(count, per_side);
    std::vector<Index> first(static_cast<std::size_t>(count));
    for (Index i = 0; i < count; ++i)
      first[std::size_t(i)] = i;
    TargetEvaluationSet set;
    set.candidates_ =
        concatenate(split.target_train.subset(first), split.target_test.subset(first));
    set.is_member_.assign(std::size_t(2 * count), false);
    std::fill(set.is_member_.begin(), set.is_member_.begin() + count, true);
    return set;
  }

  /// Members then non-members, with their class labels but without membership.
  const Dataset<Scalar>& candidates() const noexcept { return candidates_; }
  /// Membership of each candidate (true: member).
  const std::vector<bool>& is_member() const noexcept { return is_member_; }

 private:
  TargetEvaluationSet() = default;
  Dataset<Scalar> candidates_;
  std::vector<bool> is_member_;
};

}  // namespace polyleak
