#pragma once
// MlLeaksAttack: Salem et al.'s ML-Leaks (adversary 1). The top-k sorted posteriors of the shadow
// model on its members and non-members train an attack model (an MLP as in the paper, or
// gradient-boosted trees as in thesis 7.4), which then classifies the target's posteriors.
// Optionally the features include the confidence of the true class (the label-aware "confidence
// vector" attack of Choquette-Choo et al.).

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "polyleak/attack/attack_features.hpp"
#include "polyleak/attack/attack_model.hpp"
#include "polyleak/attack/membership_attack.hpp"

namespace polyleak {

/// Options of MlLeaksAttack.
/// @tparam Scalar scalar of the MLP attack model.
template <RealScalar Scalar>
struct MlLeaksOptions {
  /// The attack model: an MLP (Salem et al.: one layer of 64 ReLU units, Adam 1e-3, 100 epochs,
  /// batch 64) or boosted trees (thesis 7.4), with its seed.
  AttackModelOptions<Scalar> attack_model;
  /// Number of sorted posteriors used as features (Salem et al.: 3); capped at the class count.
  Index top_k = 3;
  /// Adds the logit-scaled confidence of the candidate's true class (logit_scaled_confidence())
  /// as a last feature: the attack then uses the class label, as the loss threshold does.
  bool with_true_class = false;
};

/// ML-Leaks with an MLP or boosted-tree attack model. fit() builds a balanced attack training
/// set from the shadow model (as many members as non-members, label 1 for members); score()
/// returns the attack model's member probability; threshold() is 1/2. One query per point.
/// Deterministic for a fixed seed (and XGBoost thread count).
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class MlLeaksAttack final : public MembershipAttack<Scalar> {
 public:
  explicit MlLeaksAttack(MlLeaksOptions<Scalar> options = {}) : options_(std::move(options)) {
    POLYLEAK_REQUIRE(options_.top_k >= 1, "MlLeaksAttack: top_k is " +
                                              std::to_string(options_.top_k) + ", expected >= 1");
    options_.attack_model.require_valid("MlLeaksAttack");
  }

  /// "ml-leaks-mlp", "ml-leaks-boosted-trees", or with the true class "ml-leaks-label-mlp",
  /// "ml-leaks-label-boosted-trees".
  std::string name() const override {
    return std::string(options_.with_true_class ? "ml-leaks-label-" : "ml-leaks-") +
           (options_.attack_model.kind == AttackModelKind::mlp ? "mlp" : "boosted-trees");
  }

  void fit(const ShadowData<Scalar>& shadow) override {
    top_k_ = std::min(options_.top_k, shadow.model().output_dimension());
    const Index count = std::min(shadow.members().size(), shadow.non_members().size());
    const auto first = [count](const std::vector<Index>& labels) {
      return std::vector<Index>(labels.begin(), labels.begin() + count);
    };
    const Matrix<double> inside =
        features(shadow.model().forward_batch(shadow.members().features.leftCols(count)),
                 first(shadow.members().labels));
    const Matrix<double> outside =
        features(shadow.model().forward_batch(shadow.non_members().features.leftCols(count)),
                 first(shadow.non_members().labels));
    Matrix<double> points(inside.rows(), 2 * count);
    points << inside, outside;
    std::vector<bool> is_member(std::size_t(2 * count), false);
    std::fill(is_member.begin(), is_member.begin() + count, true);
    model_ = AttackModel<Scalar>::fit(points, is_member, options_.attack_model);
  }

  std::vector<double> score(ModelQueries<Scalar>& target,
                            const Dataset<Scalar>& candidates) override {
    POLYLEAK_REQUIRE(model_.has_value(), name() + ": call fit() before score()");
    return model_->member_probability(
        features(target.logits(candidates.features), candidates.labels));
  }

  double threshold() const override { return 0.5; }

  /// The tree depth chosen on the shadow hold-out (boosted trees only; 0 before fit()).
  Index chosen_depth() const noexcept { return model_ ? model_->chosen_depth() : 0; }

 private:
  Matrix<double> features(const Matrix<Scalar>& logits, const std::vector<Index>& labels) const {
    return ml_leaks_features(logits, labels, top_k_, options_.with_true_class);
  }

  MlLeaksOptions<Scalar> options_;
  Index top_k_ = 0;
  std::optional<AttackModel<Scalar>> model_;
};

}  // namespace polyleak
