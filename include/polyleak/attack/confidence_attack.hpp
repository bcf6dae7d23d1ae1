#pragma once
// ConfidenceThresholdAttack: member iff the target's confidence exceeds a threshold chosen on the
// shadow model's members and non-members. Two scores: the top posterior (Salem et al.'s
// adversary 3, label-free) and the true-class confidence, equivalent to a threshold on the
// cross-entropy loss (Yeom et al. 2018).

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "polyleak/attack/attack_features.hpp"
#include "polyleak/attack/membership_attack.hpp"

namespace polyleak {

/// What ConfidenceThresholdAttack thresholds.
enum class ConfidenceScore {
  /// log of the top posterior (log_top_posterior()): needs no class label. "confidence-threshold".
  top_posterior,
  /// logit-scaled confidence of the candidate's true class (logit_scaled_confidence()), a
  /// decreasing function of the cross-entropy loss -log p_y, so the attack is Yeom et al.'s loss
  /// threshold. "loss-threshold".
  true_class
};

/// Scores the target's confidence in each candidate (see ConfidenceScore); fit() picks the
/// threshold that maximises balanced accuracy on the shadow model's members and non-members
/// (best_threshold()). One query per point. Deterministic.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class ConfidenceThresholdAttack final : public MembershipAttack<Scalar> {
 public:
  explicit ConfidenceThresholdAttack(ConfidenceScore score = ConfidenceScore::top_posterior)
      : score_(score) {}

  std::string name() const override {
    return score_ == ConfidenceScore::top_posterior ? "confidence-threshold" : "loss-threshold";
  }

  void fit(const ShadowData<Scalar>& shadow) override {
    std::vector<double> scores = confidence(shadow.model().forward_batch(shadow.members().features),
                                            shadow.members().labels);
    const std::vector<double> outside = confidence(
        shadow.model().forward_batch(shadow.non_members().features), shadow.non_members().labels);
    MembershipLabels is_member(scores.size(), true);
    scores.insert(scores.end(), outside.begin(), outside.end());
    is_member.resize(scores.size(), false);
    threshold_ = best_threshold(scores, is_member);
  }

  std::vector<double> score(ModelQueries<Scalar>& target,
                            const Dataset<Scalar>& candidates) override {
    POLYLEAK_REQUIRE(!std::isnan(threshold_), name() + ": call fit() before score()");
    return confidence(target.logits(candidates.features), candidates.labels);
  }

  double threshold() const override { return threshold_; }

 private:
  std::vector<double> confidence(const Matrix<Scalar>& logits,
                                 const std::vector<Index>& labels) const {
    return score_ == ConfidenceScore::top_posterior ? log_top_posterior(logits)
                                                    : logit_scaled_confidence(logits, labels);
  }

  ConfidenceScore score_;
  double threshold_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace polyleak
