#pragma once
// Boundary-distance attacks with white-box access: the thesis's gradient boundary-distance
// attack (Alg. 10, distances from Alg. 9) and the same attack on the exact L2 distance to the
// decision boundary (boundary_distance()).

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "polyleak/attack/membership_attack.hpp"
#include "polyleak/geometry/boundary_distance.hpp"
#include "polyleak/geometry/boundary_search.hpp"

namespace polyleak {

namespace detail {

/// A membership attack that scores each candidate by its distance to the decision boundary of a
/// model (members lie farther from it) and predicts a member when the distance reaches a
/// threshold chosen on the shadow model (best_threshold() on the shadow members and
/// non-members, at most `fit_points` of each). A candidate the model misclassifies scores 0:
/// it already lies across its own class's boundary (as in Choquette-Choo et al.).
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class DistanceThresholdAttack : public MembershipAttack<Scalar> {
 public:
  explicit DistanceThresholdAttack(Index fit_points) : fit_points_(fit_points) {
    POLYLEAK_REQUIRE(fit_points > 0,
                     "fit_points must be positive, got " + std::to_string(fit_points));
  }

  void fit(const ShadowData<Scalar>& shadow) override {
    const Index count =
        std::min({shadow.members().size(), shadow.non_members().size(), fit_points_});
    Index passes = 0;
    std::vector<double> scores = distances(shadow.model(), shadow.members(), count, passes);
    const std::vector<double> outside =
        distances(shadow.model(), shadow.non_members(), count, passes);
    MembershipLabels is_member(scores.size(), true);
    scores.insert(scores.end(), outside.begin(), outside.end());
    is_member.resize(scores.size(), false);
    threshold_ = best_threshold(scores, is_member);
  }

  std::vector<double> score(ModelQueries<Scalar>& target,
                            const Dataset<Scalar>& candidates) override {
    POLYLEAK_REQUIRE(!std::isnan(threshold_), this->name() + ": call fit() before score()");
    Index passes = 0;
    std::vector<double> result =
        distances(target.white_box_model(), candidates, candidates.size(), passes);
    target.add_queries(passes);
    return result;
  }

  double threshold() const override { return threshold_; }

 protected:
  /// Distance of `point` (of the model's predicted class) to the model's decision boundary;
  /// adds the network evaluations used to `passes`.
  virtual double distance(const Mlp<Scalar>& model, const Vector<Scalar>& point,
                          Index& passes) const = 0;

 private:
  std::vector<double> distances(const Mlp<Scalar>& model, const Dataset<Scalar>& data, Index count,
                                Index& passes) const {
    data.validate();
    const std::vector<Index> predicted = model.predict(data.features.leftCols(count));
    passes += count;
    std::vector<double> result(static_cast<std::size_t>(count), 0.0);
    for (Index j = 0; j < count; ++j)
      if (predicted[std::size_t(j)] == data.labels[std::size_t(j)])
        result[std::size_t(j)] = distance(model, data.features.col(j), passes);
    return result;
  }

  Index fit_points_;
  double threshold_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace detail

/// The thesis's gradient boundary-distance attack (Alg. 10): the distance from boundary_search()
/// (Alg. 9) with the chosen loss, thresholded; a point whose search finds no boundary scores
/// +infinity. Threshold from the shadow model (at most `fit_points` shadow members and as many
/// non-members); evaluate_attack() adds the thesis's target-optimal threshold as the separate
/// "target-oracle" row. Queries: the network evaluations of the searches (white box).
/// Deterministic.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class GradientBoundaryAttack final : public detail::DistanceThresholdAttack<Scalar> {
 public:
  explicit GradientBoundaryAttack(BoundarySearchOptions<Scalar> options = {},
                                  Index fit_points = 500)
      : detail::DistanceThresholdAttack<Scalar>(fit_points), options_(options) {}

  std::string name() const override { return "gradient-boundary-" + to_string(options_.loss); }

 protected:
  double distance(const Mlp<Scalar>& model, const Vector<Scalar>& point,
                  Index& passes) const override {
    const auto search = boundary_search(model, point, options_);
    passes += search.forward_passes;
    return double(search.distance);
  }

 private:
  BoundarySearchOptions<Scalar> options_;
};

/// The boundary-distance attack on the exact L2 (or L-inf) distance to the decision boundary
/// (boundary_distance(); DESIGN, "Where we go beyond", point 5). With a region budget the score
/// is the best upper bound found. Threshold from the shadow model as in
/// GradientBoundaryAttack. Queries: one per region evaluated (white box). Deterministic.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class ExactBoundaryAttack final : public detail::DistanceThresholdAttack<Scalar> {
 public:
  explicit ExactBoundaryAttack(BoundaryDistanceOptions<Scalar> options = default_options(),
                               Index fit_points = 500)
      : detail::DistanceThresholdAttack<Scalar>(fit_points), options_(std::move(options)) {}

  std::string name() const override {
    return options_.norm == DistanceNorm::l2 ? "exact-boundary" : "exact-boundary-linf";
  }

  /// L2 with a budget of 10 regions per point (about 20 ms per point on a 446-128-30 network).
  static BoundaryDistanceOptions<Scalar> default_options() {
    BoundaryDistanceOptions<Scalar> options;
    options.region_budget = 10;
    return options;
  }

 protected:
  double distance(const Mlp<Scalar>& model, const Vector<Scalar>& point,
                  Index& passes) const override {
    const auto result = boundary_distance(model, point, options_);
    passes += result.regions_evaluated + result.regions_visited;
    return double(result.upper_bound);
  }

 private:
  BoundaryDistanceOptions<Scalar> options_;
};

}  // namespace polyleak
