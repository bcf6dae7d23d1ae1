#pragma once
// ActivationPolytopeAttack: the thesis's activation-polytope attack (Alg. 6, 7). Rays shot from
// each point measure the activation regions around it (section 4.4: boundary distances, polytope
// derivatives ||A_P||_F, cosines of successive boundary normals); an attack model learns
// membership from these metrics on the shadow model and classifies the target's. Optionally the
// metrics are appended to ML-Leaks' features (thesis Fig. 11).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "polyleak/attack/attack_features.hpp"
#include "polyleak/attack/attack_model.hpp"
#include "polyleak/attack/membership_attack.hpp"
#include "polyleak/core/random.hpp"
#include "polyleak/geometry/ray_shooter.hpp"

namespace polyleak {

/// How the activation-polytope attack shoots its rays.
enum class PolytopeRayShooting {
  /// RayShooter::shoot: the first boundaries of activation regions along a straight ray, exact
  /// (DESIGN, "Where we go beyond", point 2).
  exact,
  /// RayShooter::hyperedge_ray_shooting (Alg. 5, as in the thesis): points where the predicted
  /// class changes, found by walking and bisecting, turning along the closest hyperedge's normal.
  hyperedge,
};

/// Options of ActivationPolytopeAttack.
/// @tparam Scalar float or double (of the attacked network).
template <RealScalar Scalar>
struct ActivationPolytopeOptions {
  PolytopeRayShooting shooting = PolytopeRayShooting::exact;
  /// Rays per point.
  Index ray_count = 4;
  /// Boundaries measured per ray (exact: max_crossings; Alg. 5: numBoundaries).
  Index crossing_count = 8;
  /// Alg. 5's walk: step_count (numSteps) and step_width; its boundary_count and seed are set from
  /// crossing_count and `seed`.
  HyperedgeRayShootingOptions<Scalar> hyperedge;
  /// The metrics of section 4.4 used as features (at least one).
  bool boundary_distances = true;
  bool polytope_derivatives = true;
  bool normal_cosines = true;
  /// Puts ML-Leaks' top_k sorted posteriors before the metrics (thesis Fig. 11).
  bool with_ml_leaks = false;
  Index top_k = 3;
  /// The attack model (standardised MLP features by default: the metrics differ in scale).
  AttackModelOptions<Scalar> attack_model = default_attack_model();
  /// At most this many shadow members and as many non-members train the attack model.
  Index fit_points = 1000;
  /// Seed of the ray directions.
  std::uint64_t seed = 0;

  static AttackModelOptions<Scalar> default_attack_model() {
    AttackModelOptions<Scalar> options;
    options.standardize = true;
    return options;
  }
};

/// The activation-polytope attack (thesis Alg. 6 and 7) with an MLP or boosted-tree attack model.
///
/// Every point gets the same `ray_count` rays: exact rays along directions drawn once in fit()
/// (Gaussian, normalised, from `seed`), or Alg. 5 with seeds seed, seed + 1, ..., so that the
/// features of two points measure the same directions. Per ray the features are, in this order,
/// the selected metrics of RayShooter::metrics(): the logarithms of crossing_count boundary
/// distances and of crossing_count polytope derivatives ||A_P||_F (both positive and spread over
/// orders of magnitude; the logarithm is what lets the MLP use them, the trees do not care; 0
/// becomes log of the smallest normal double), crossing_count - 1 cosines of successive normals;
/// a ray that ends early (an exact ray beyond the last hyperplane, or Alg. 5 finding no
/// class change within its walk) leaves the rest NaN, which the attack model reads as missing.
/// fit() computes them on the shadow model for at most fit_points shadow members and as many
/// non-members (Alg. 6), score() on the target (Alg. 7) with white-box access; threshold() is 1/2.
/// Queries per point: the network evaluations of the rays (exact: 1 + crossings * (min(d, m) + 4)
/// per ray, the region norms included; Alg. 5: 1 + its walk's steps + (min(d, m) + 2) per boundary
/// found), plus one for the ML-Leaks features. Cost: dominated by the region norms of every region
/// entered (exact) or the walk (Alg. 5). Deterministic for fixed seeds (and XGBoost thread count).
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class ActivationPolytopeAttack final : public MembershipAttack<Scalar> {
 public:
  /// Throws InvalidArgument for a ray_count or crossing_count below 1, no metric selected (or
  /// only cosines of one crossing), fit_points below 1, top_k below 1 with ML-Leaks, a bad
  /// Alg. 5 walk, or bad attack-model options (AttackModelOptions::require_valid).
  explicit ActivationPolytopeAttack(ActivationPolytopeOptions<Scalar> options = {})
      : options_(std::move(options)) {
    const auto& o = options_;
    POLYLEAK_REQUIRE(o.ray_count >= 1 && o.crossing_count >= 1,
                     "ActivationPolytopeAttack: ray_count is " + std::to_string(o.ray_count) +
                         " and crossing_count " + std::to_string(o.crossing_count) +
                         ", expected both >= 1");
    POLYLEAK_REQUIRE(metric_count() > 0,
                     "ActivationPolytopeAttack: no metric selected (boundary_distances, "
                     "polytope_derivatives, or normal_cosines with crossing_count >= 2)");
    POLYLEAK_REQUIRE(o.fit_points >= 1, "ActivationPolytopeAttack: fit_points is " +
                                            std::to_string(o.fit_points) + ", expected >= 1");
    POLYLEAK_REQUIRE(!o.with_ml_leaks || o.top_k >= 1,
                     "ActivationPolytopeAttack: top_k is " + std::to_string(o.top_k) +
                         ", expected >= 1 with ML-Leaks features");
    o.attack_model.require_valid("ActivationPolytopeAttack");
    POLYLEAK_REQUIRE(o.shooting == PolytopeRayShooting::exact ||
                         (o.hyperedge.step_count >= 1 && o.hyperedge.step_width > 0 &&
                          std::isfinite(o.hyperedge.step_width)),
                     "ActivationPolytopeAttack: Alg. 5 needs step_count >= 1 and a finite "
                     "step_width > 0, got " +
                         std::to_string(o.hyperedge.step_count) + " and " +
                         std::to_string(o.hyperedge.step_width));
  }

  /// "polytope-mlp", "polytope-boosted-trees", with Alg. 5 "polytope-hyperedge-...", with ML-Leaks
  /// features "ml-leaks-polytope-...".
  std::string name() const override {
    return std::string(options_.with_ml_leaks ? "ml-leaks-" : "") + "polytope-" +
           (options_.shooting == PolytopeRayShooting::hyperedge ? "hyperedge-" : "") +
           (options_.attack_model.kind == AttackModelKind::mlp ? "mlp" : "boosted-trees");
  }

  void fit(const ShadowData<Scalar>& shadow) override {
    const Mlp<Scalar>& model = shadow.model();
    Rng rng(options_.seed);
    directions_ = random_normal<Scalar>(model.input_dimension(), options_.ray_count, 0, 1, rng);
    directions_.colwise().normalize();
    top_k_ = std::min(options_.top_k, model.output_dimension());

    const Index count =
        std::min({shadow.members().size(), shadow.non_members().size(), options_.fit_points});
    std::vector<Index> first(static_cast<std::size_t>(count));
    for (Index i = 0; i < count; ++i)
      first[std::size_t(i)] = i;
    const Dataset<Scalar> points =
        concatenate(shadow.members().subset(first), shadow.non_members().subset(first));
    log(LogLevel::progress,
        name() + ": shooting rays from " + std::to_string(points.size()) + " shadow points");
    Index passes = 0;
    Matrix<double> features = polytope_features(model, points.features, passes);
    if (options_.with_ml_leaks)
      features = stack_ml_leaks(model.forward_batch(points.features), points.labels, features);
    std::vector<bool> is_member(std::size_t(2 * count), false);
    std::fill(is_member.begin(), is_member.begin() + count, true);
    model_ = AttackModel<Scalar>::fit(features, is_member, options_.attack_model);
  }

  std::vector<double> score(ModelQueries<Scalar>& target,
                            const Dataset<Scalar>& candidates) override {
    POLYLEAK_REQUIRE(model_.has_value(), name() + ": call fit() before score()");
    Index passes = 0;
    Matrix<double> features =
        polytope_features(target.white_box_model(), candidates.features, passes);
    target.add_queries(passes);
    if (options_.with_ml_leaks)
      features = stack_ml_leaks(target.logits(candidates.features), candidates.labels, features);
    return model_->member_probability(features);
  }

  double threshold() const override { return 0.5; }

  /// The metrics of every column of `points` on `model` (features x n, double), without the
  /// ML-Leaks features, in the order described above. Precondition: fit() was called (it draws
  /// the ray directions) and `model` has the shadow model's input dimension.
  Matrix<double> polytope_features(const Mlp<Scalar>& model,
                                   const Eigen::Ref<const Matrix<Scalar>>& points) const {
    Index passes = 0;
    return polytope_features(model, points, passes);
  }

  /// The exact rays' unit directions (input dimension x ray_count), drawn by fit().
  const Matrix<Scalar>& ray_directions() const noexcept { return directions_; }

 private:
  // Features per ray and metric kind.
  Index metric_count() const {
    const Index k = options_.crossing_count;
    return (options_.boundary_distances ? k : 0) + (options_.polytope_derivatives ? k : 0) +
           (options_.normal_cosines ? k - 1 : 0);
  }

  Matrix<double> polytope_features(const Mlp<Scalar>& model,
                                   const Eigen::Ref<const Matrix<Scalar>>& points,
                                   Index& passes) const {
    POLYLEAK_REQUIRE(directions_.cols() == options_.ray_count,
                     name() + ": call fit() before computing features");
    POLYLEAK_REQUIRE(points.rows() == directions_.rows(),
                     name() + ": points have " + std::to_string(points.rows()) +
                         " coordinates, the rays " + std::to_string(directions_.rows()));
    const RayShooter<Scalar> shooter(model);
    const Index per_ray = metric_count();
    const Index k = options_.crossing_count;
    const Index smaller = std::min(model.input_dimension(), model.output_dimension());
    Matrix<double> features = Matrix<double>::Constant(per_ray * options_.ray_count, points.cols(),
                                                       std::numeric_limits<double>::quiet_NaN());
    const Index every = std::max<Index>(1, points.cols() / 10);
    for (Index j = 0; j < points.cols(); ++j) {
      const Vector<Scalar> start = points.col(j);
      for (Index r = 0; r < options_.ray_count; ++r) {
        RayMetrics<Scalar> metrics;
        if (options_.shooting == PolytopeRayShooting::exact) {
          RayShooterOptions<Scalar> shoot;
          shoot.max_crossings = k;
          const RayPath<Scalar> path = shooter.shoot(start, directions_.col(r), shoot);
          metrics = RayShooter<Scalar>::metrics(path);
          passes += 1 + Index(path.crossings.size()) * (smaller + 4);
        } else {
          HyperedgeRayShootingOptions<Scalar> walk = options_.hyperedge;
          walk.boundary_count = k;
          walk.seed = options_.seed + std::uint64_t(r);
          const HyperedgeRayShot<Scalar> shot = shooter.hyperedge_ray_shooting(start, walk);
          metrics = shooter.metrics(start, shot);
          const Index found = Index(shot.boundary_points.size());
          passes += 1 + std::min(k, found + 1) * walk.step_count + found * (smaller + 2);
        }
        Index row = r * per_ray;
        const auto put = [&](const std::vector<Scalar>& values, Index length, bool logarithm) {
          for (Index i = 0; i < length && i < Index(values.size()); ++i) {
            const double value = double(values[std::size_t(i)]);
            features(row + i, j) = logarithm ? log_positive(value) : value;
          }
          row += length;
        };
        if (options_.boundary_distances) put(metrics.boundary_distances, k, true);
        if (options_.polytope_derivatives) put(metrics.polytope_derivatives, k, true);
        if (options_.normal_cosines) put(metrics.normal_cosine_similarities, k - 1, false);
      }
      if ((j + 1) % every == 0)
        log(LogLevel::progress, name() + ": rays from " + std::to_string(j + 1) + " of " +
                                    std::to_string(points.cols()) + " points");
    }
    return features;
  }

  // log of a distance or norm, finite at 0 (a point on a hyperplane, a region with A_P = 0).
  static double log_positive(double value) {
    return std::log(std::max(value, std::numeric_limits<double>::min()));
  }

  // ML-Leaks' features of `logits` stacked above `metrics`.
  Matrix<double> stack_ml_leaks(const Matrix<Scalar>& logits, const std::vector<Index>& labels,
                                const Matrix<double>& metrics) const {
    const Matrix<double> posteriors = ml_leaks_features(logits, labels, top_k_, false);
    Matrix<double> result(posteriors.rows() + metrics.rows(), metrics.cols());
    result << posteriors, metrics;
    return result;
  }

  ActivationPolytopeOptions<Scalar> options_;
  Matrix<Scalar> directions_;
  Index top_k_ = 0;
  std::optional<AttackModel<Scalar>> model_;
};

}  // namespace polyleak
