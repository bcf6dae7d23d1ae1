#pragma once
// GapAttack: the baseline "correctly classified means member" (Yeom et al.; the gap row of
// Choquette-Choo et al., Table 2). Its accuracy is 1/2 + (train accuracy - test accuracy) / 2 on a
// balanced set.

#include <string>
#include <vector>

#include "polyleak/attack/membership_attack.hpp"

namespace polyleak {

/// Scores 1 if the target classifies the candidate correctly, else 0; threshold 1/2 (fixed, no
/// fitting). One query per point. Deterministic.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class GapAttack final : public MembershipAttack<Scalar> {
 public:
  std::string name() const override { return "gap"; }
  void fit(const ShadowData<Scalar>&) override {}
  std::vector<double> score(ModelQueries<Scalar>& target,
                            const Dataset<Scalar>& candidates) override {
    candidates.validate();
    const Matrix<Scalar> logits = target.logits(candidates.features);
    std::vector<double> scores(static_cast<std::size_t>(candidates.size()));
    for (Index j = 0; j < logits.cols(); ++j) {
      Index predicted = 0;
      logits.col(j).maxCoeff(&predicted);
      scores[std::size_t(j)] = predicted == candidates.labels[std::size_t(j)] ? 1.0 : 0.0;
    }
    return scores;
  }
  double threshold() const override { return 0.5; }
  std::string threshold_source() const override { return "fixed"; }
};

}  // namespace polyleak
