#pragma once
// Metrics of a membership-inference attack: exact ROC curve, AUC, TPR at a fixed FPR, accuracy and
// balanced accuracy at a threshold, and the threshold that maximises balanced accuracy.
//
// Convention: a higher score means "more likely a member"; a point is predicted a member when its
// score is >= the threshold. Points with equal scores always move together (ties are exact).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"

namespace polyleak {

/// Membership ground truth of scored points: true for a member.
using MembershipLabels = std::vector<bool>;

/// One vertex of an ROC curve: the rates of the classifier "member iff score >= threshold".
struct RocPoint {
  double false_positive_rate;
  double true_positive_rate;
  /// Smallest score predicted a member at this vertex (+infinity for the first vertex (0, 0)).
  double threshold;
};

/// An exact ROC curve: vertices from (0, 0) to (1, 1), one per distinct score, in order of
/// decreasing threshold (so both rates are non-decreasing).
struct RocCurve {
  std::vector<RocPoint> points;
  Index positives = 0;  ///< members scored
  Index negatives = 0;  ///< non-members scored
};

namespace detail {

inline void check_scores(const std::vector<double>& scores, const MembershipLabels& is_member,
                         const char* where) {
  POLYLEAK_REQUIRE(scores.size() == is_member.size(),
                   std::string(where) + ": " + std::to_string(scores.size()) + " scores but " +
                       std::to_string(is_member.size()) + " membership labels");
  for (std::size_t i = 0; i < scores.size(); ++i)
    POLYLEAK_REQUIRE(!std::isnan(scores[i]), std::string(where) + ": score " + std::to_string(i) +
                                                 " is NaN, expected a number");
}

}  // namespace detail

/// The exact ROC curve of `scores` against `is_member`.
///
/// Preconditions: equal lengths, no NaN, at least one member and one non-member (InvalidArgument
/// otherwise). Cost: O(n log n). Deterministic.
inline RocCurve roc_curve(const std::vector<double>& scores, const MembershipLabels& is_member) {
  detail::check_scores(scores, is_member, "roc_curve");
  RocCurve roc;
  roc.positives = Index(std::count(is_member.begin(), is_member.end(), true));
  roc.negatives = Index(is_member.size()) - roc.positives;
  POLYLEAK_REQUIRE(roc.positives > 0 && roc.negatives > 0,
                   "roc_curve needs members and non-members, got " + std::to_string(roc.positives) +
                       " members and " + std::to_string(roc.negatives) + " non-members");

  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });

  roc.points.push_back({0.0, 0.0, std::numeric_limits<double>::infinity()});
  Index true_positives = 0, false_positives = 0;
  for (std::size_t k = 0; k < order.size();) {
    const double score = scores[order[k]];
    for (; k < order.size() && scores[order[k]] == score; ++k)
      (is_member[order[k]] ? true_positives : false_positives) += 1;
    roc.points.push_back({double(false_positives) / double(roc.negatives),
                          double(true_positives) / double(roc.positives), score});
  }
  return roc;
}

/// Area under the ROC curve by the trapezoid rule over the exact curve; equals the Mann-Whitney
/// statistic P(member score > non-member score) + P(equal) / 2. Cost O(vertices).
inline double area_under_curve(const RocCurve& roc) {
  double area = 0;
  for (std::size_t k = 1; k < roc.points.size(); ++k) {
    const RocPoint& a = roc.points[k - 1];
    const RocPoint& b = roc.points[k];
    area += (b.false_positive_rate - a.false_positive_rate) *
            (a.true_positive_rate + b.true_positive_rate) / 2;
  }
  return area;
}

/// The largest TPR of any vertex with FPR <= `fpr_level` (no interpolation: only thresholds that
/// a deterministic attack can realise). Precondition: fpr_level in [0, 1].
inline double tpr_at_fpr(const RocCurve& roc, double fpr_level) {
  POLYLEAK_REQUIRE(fpr_level >= 0 && fpr_level <= 1,
                   "FPR level " + std::to_string(fpr_level) + " is outside [0, 1]");
  double best = 0;
  for (const RocPoint& p : roc.points)
    if (p.false_positive_rate <= fpr_level) best = std::max(best, p.true_positive_rate);
  return best;
}

/// Counts of the classifier "member iff score >= threshold".
struct ConfusionCounts {
  Index true_positives = 0, false_positives = 0, true_negatives = 0, false_negatives = 0;

  /// (TP + TN) / all; 0 for an empty set.
  double accuracy() const {
    const Index all = true_positives + false_positives + true_negatives + false_negatives;
    return all == 0 ? 0.0 : double(true_positives + true_negatives) / double(all);
  }
  /// (TPR + TNR) / 2; a class without points contributes its rate as 0.
  double balanced_accuracy() const {
    const Index p = true_positives + false_negatives, n = true_negatives + false_positives;
    const double tpr = p == 0 ? 0.0 : double(true_positives) / double(p);
    const double tnr = n == 0 ? 0.0 : double(true_negatives) / double(n);
    return (tpr + tnr) / 2;
  }
};

/// Confusion counts at `threshold` (member iff score >= threshold). Cost O(n).
inline ConfusionCounts confusion_at_threshold(const std::vector<double>& scores,
                                              const MembershipLabels& is_member, double threshold) {
  detail::check_scores(scores, is_member, "confusion_at_threshold");
  ConfusionCounts c;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const bool predicted = scores[i] >= threshold;
    if (is_member[i])
      (predicted ? c.true_positives : c.false_negatives) += 1;
    else
      (predicted ? c.false_positives : c.true_negatives) += 1;
  }
  return c;
}

/// Accuracy of "member iff score >= threshold".
inline double accuracy_at_threshold(const std::vector<double>& scores,
                                    const MembershipLabels& is_member, double threshold) {
  return confusion_at_threshold(scores, is_member, threshold).accuracy();
}

/// Balanced accuracy (TPR + TNR) / 2 of "member iff score >= threshold".
inline double balanced_accuracy_at_threshold(const std::vector<double>& scores,
                                             const MembershipLabels& is_member, double threshold) {
  return confusion_at_threshold(scores, is_member, threshold).balanced_accuracy();
}

/// The threshold that maximises balanced accuracy on (`scores`, `is_member`), placed midway
/// between the last score taken as member and the next lower distinct score (so that it transfers
/// to other data without sitting on a training score); +infinity if rejecting everything is best.
/// On equal balanced accuracy the higher threshold wins. Cost O(n log n). Deterministic.
inline double best_threshold(const std::vector<double>& scores, const MembershipLabels& is_member) {
  const RocCurve roc = roc_curve(scores, is_member);
  std::size_t best = 0;
  double best_value = -1;
  for (std::size_t k = 0; k < roc.points.size(); ++k) {
    const double value =
        (roc.points[k].true_positive_rate + 1 - roc.points[k].false_positive_rate) / 2;
    if (value > best_value) best_value = value, best = k;
  }
  if (best == 0) return std::numeric_limits<double>::infinity();
  if (best + 1 == roc.points.size()) return -std::numeric_limits<double>::infinity();
  const double upper = roc.points[best].threshold, lower = roc.points[best + 1].threshold;
  // Halfway in value; the midpoint of two adjacent doubles may round onto `lower`.
  const double middle = lower + (upper - lower) / 2;
  return middle > lower ? middle : upper;
}

}  // namespace polyleak
