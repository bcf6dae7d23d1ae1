#pragma once
// MembershipAttack: the interface of every membership-inference attack, and evaluate_attack(),
// which scores an attack on a balanced set of target members and non-members.

#include <chrono>
#include <string>
#include <vector>

#include "polyleak/attack/metrics.hpp"
#include "polyleak/attack/shadow_data.hpp"
#include "polyleak/core/log.hpp"

namespace polyleak {

/// A membership-inference attack: fitted on shadow data only, then scores candidate points by
/// querying the target. Higher scores mean "more likely a member"; the attack predicts a member
/// when score >= threshold().
/// @tparam Scalar float or double (of the attacked network).
template <RealScalar Scalar>
class MembershipAttack {
 public:
  virtual ~MembershipAttack() = default;

  /// Short name used in reports, e.g. "ml-leaks-mlp".
  virtual std::string name() const = 0;

  /// Fits the attack's thresholds and attack models on the attacker's shadow data.
  virtual void fit(const ShadowData<Scalar>& shadow) = 0;

  /// Membership scores of `candidates` (points with their class labels, without membership),
  /// querying the target only through `target`. Precondition: fit() was called.
  virtual std::vector<double> score(ModelQueries<Scalar>& target,
                                    const Dataset<Scalar>& candidates) = 0;

  /// The decision threshold chosen from shadow data (valid after fit(); attacks whose
  /// calibration needs the shadow models trained during score() set it there).
  virtual double threshold() const = 0;

  /// Where threshold() comes from: "shadow" (fitted on shadow data) or "fixed" (none needed).
  virtual std::string threshold_source() const { return "shadow"; }
};

/// One row of a membership-inference report.
struct AttackResult {
  std::string attack;
  /// "shadow", "fixed", or "target-oracle" (threshold maximising accuracy on the target's own
  /// membership: an upper bound, not an attack).
  std::string threshold_source;
  double accuracy = 0;
  double balanced_accuracy = 0;
  double auc = 0;
  double tpr_at_0_1pct_fpr = 0;
  double tpr_at_1pct_fpr = 0;
  double queries_per_point = 0;
  double seconds_per_point = 0;
  RocCurve roc;
};

/// Scores `attack` (already fitted) on `evaluation`, querying `target`. Returns the row at the
/// attack's own threshold and, if `with_target_oracle`, a second row "target-oracle" whose
/// threshold maximises balanced accuracy on the target's membership (same scores, ROC and AUC).
/// seconds_per_point is the wall time of score() over the number of candidates.
template <RealScalar Scalar>
std::vector<AttackResult> evaluate_attack(MembershipAttack<Scalar>& attack,
                                          const Mlp<Scalar>& target,
                                          const TargetEvaluationSet<Scalar>& evaluation,
                                          bool with_target_oracle = true) {
  ModelQueries<Scalar> queries(target);
  const Index count = evaluation.candidates().size();
  log(LogLevel::progress,
      "scoring " + attack.name() + " on " + std::to_string(count) + " target candidates");
  const auto start = std::chrono::steady_clock::now();
  const std::vector<double> scores = attack.score(queries, evaluation.candidates());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  POLYLEAK_REQUIRE(Index(scores.size()) == count,
                   attack.name() + " returned " + std::to_string(scores.size()) + " scores for " +
                       std::to_string(count) + " candidates");

  AttackResult result;
  result.attack = attack.name();
  result.threshold_source = attack.threshold_source();
  result.roc = roc_curve(scores, evaluation.is_member());
  result.auc = area_under_curve(result.roc);
  result.tpr_at_0_1pct_fpr = tpr_at_fpr(result.roc, 0.001);
  result.tpr_at_1pct_fpr = tpr_at_fpr(result.roc, 0.01);
  result.queries_per_point = double(queries.query_count()) / double(count);
  result.seconds_per_point = seconds / double(count);
  const ConfusionCounts counts =
      confusion_at_threshold(scores, evaluation.is_member(), attack.threshold());
  result.accuracy = counts.accuracy();
  result.balanced_accuracy = counts.balanced_accuracy();

  std::vector<AttackResult> results{result};
  if (with_target_oracle) {
    const ConfusionCounts best = confusion_at_threshold(
        scores, evaluation.is_member(), best_threshold(scores, evaluation.is_member()));
    result.threshold_source = "target-oracle";
    result.accuracy = best.accuracy();
    result.balanced_accuracy = best.balanced_accuracy();
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace polyleak
