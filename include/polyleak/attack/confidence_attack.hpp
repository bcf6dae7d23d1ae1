#pragma once
// ConfidenceThresholdAttack: member iff the target's top posterior exceeds a threshold (Salem et
// al.'s adversary 3), with the threshold chosen on the shadow model's members and non-members.

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "polyleak/attack/attack_features.hpp"
#include "polyleak/attack/membership_attack.hpp"

namespace polyleak {

/// Scores log(top posterior) of the target (attack_features.hpp); fit() picks the threshold that
/// maximises balanced accuracy on the shadow model's members and non-members (best_threshold()).
/// One query per point. Deterministic.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class ConfidenceThresholdAttack final : public MembershipAttack<Scalar> {
 public:
  std::string name() const override { return "confidence-threshold"; }

  void fit(const ShadowData<Scalar>& shadow) override {
    std::vector<double> scores =
        log_top_posterior(shadow.model().forward_batch(shadow.members().features));
    const std::vector<double> outside =
        log_top_posterior(shadow.model().forward_batch(shadow.non_members().features));
    MembershipLabels is_member(scores.size(), true);
    scores.insert(scores.end(), outside.begin(), outside.end());
    is_member.resize(scores.size(), false);
    threshold_ = best_threshold(scores, is_member);
  }

  std::vector<double> score(ModelQueries<Scalar>& target,
                            const Dataset<Scalar>& candidates) override {
    POLYLEAK_REQUIRE(!std::isnan(threshold_), name() + ": call fit() before score()");
    return log_top_posterior(target.logits(candidates.features));
  }

  double threshold() const override { return threshold_; }

 private:
  double threshold_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace polyleak
