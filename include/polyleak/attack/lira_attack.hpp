#pragma once
// LiraAttack: the likelihood-ratio attack of Carlini et al. (2022), online and offline.
//
// K shadow models of the target's architecture are trained on random halves of a pool; every
// pool point is a member of exactly K/2 of them. For a candidate x with label y, the logit-scaled
// confidence phi = log(p_y / (1 - p_y)) under the shadow models that trained on x ("in") and those
// that did not ("out") is fitted by Gaussians. Online: the pool is the attacker's shadow data plus
// the candidates (without their membership), and the score is the log likelihood ratio
// log N(phi_target; in) - log N(phi_target; out). Offline: the pool is the attacker's shadow data
// only, so every candidate is "out" of all K models, and the score is the one-sided statistic
// (phi_target - mean_out) / std_out.
//
// Threshold from shadow data only: shadow model 0 plays the target for the attacker's own pool
// points (whose membership in it the attacker knows), scored with statistics from models 1..K-1;
// the threshold maximising balanced accuracy there is used on the target.

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "polyleak/attack/attack_features.hpp"
#include "polyleak/attack/membership_attack.hpp"
#include "polyleak/core/random.hpp"
#include "polyleak/nn/training.hpp"

namespace polyleak {

/// Options of LiraAttack.
/// @tparam Scalar scalar of the shadow networks.
template <RealScalar Scalar>
struct LiraOptions {
  /// K, the number of shadow models: even and >= 4. Carlini et al. use 64 to 256; the default
  /// keeps a demo on two cores within minutes (fewer models: noisier Gaussians).
  Index shadow_model_count = 16;
  /// true: online (in and out Gaussians); false: offline (out Gaussian, one-sided).
  bool online = true;
  /// One variance per side pooled over all points (Carlini et al. advise it for K < 64) instead
  /// of one per point.
  bool fixed_variance = true;
  /// Lower bound on any fitted variance (keeps a point whose K/2 confidences coincide finite).
  double minimum_variance = 1e-4;
  /// How each shadow model is trained; should match the target's training (seed is overridden).
  TrainingOptions<Scalar> training;
  std::uint64_t seed = 0;
};

namespace detail {

/// Logit-scaled confidences of pool points under K shadow models and who trained on whom.
struct LiraObservations {
  Matrix<double> phi;                                      // K x points
  Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic> in;  // K x points
};

/// Gaussian statistics of one side (in or out) of one point over a set of models.
struct LiraSide {
  double mean = 0, variance = 0;
  Index count = 0;
};

}  // namespace detail

/// LiRA, online or offline (see the file comment). One target query per candidate; the cost is
/// dominated by training K shadow models on half the pool each (online: at score(), because the
/// pool includes the candidates; offline: at fit()). Deterministic for fixed seeds.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class LiraAttack final : public MembershipAttack<Scalar> {
 public:
  explicit LiraAttack(LiraOptions<Scalar> options = {}) : options_(std::move(options)) {
    POLYLEAK_REQUIRE(options_.shadow_model_count >= 4 && options_.shadow_model_count % 2 == 0,
                     "LiraAttack: shadow model count is " +
                         std::to_string(options_.shadow_model_count) + ", expected even and >= 4");
    POLYLEAK_REQUIRE(options_.minimum_variance > 0, "LiraAttack: minimum variance " +
                                                        std::to_string(options_.minimum_variance) +
                                                        " must be positive");
  }

  std::string name() const override { return options_.online ? "lira-online" : "lira-offline"; }

  void fit(const ShadowData<Scalar>& shadow) override {
    pool_ = concatenate(shadow.members(), shadow.non_members());
    layer_sizes_ = shadow.model().layer_sizes();
    activation_ = shadow.model().activation();
    negative_slope_ = shadow.model().negative_slope();
    shadow_models_.clear();
    if (!options_.online) {
      const detail::LiraObservations observed = train_shadow_models(pool_);
      threshold_ = calibrate(observed);
    }
  }

  std::vector<double> score(ModelQueries<Scalar>& target,
                            const Dataset<Scalar>& candidates) override {
    POLYLEAK_REQUIRE(!layer_sizes_.empty(), name() + ": call fit() before score()");
    candidates.validate();
    const std::vector<double> phi_target =
        logit_scaled_confidence(target.logits(candidates.features), candidates.labels);
    const Index count = candidates.size();
    std::vector<double> scores(static_cast<std::size_t>(count));

    if (options_.online) {
      const detail::LiraObservations observed = train_shadow_models(concatenate(pool_, candidates));
      threshold_ = calibrate(observed);
      const Index offset = pool_.size();
      const auto in_stats = side_statistics(observed, offset, count, true, -1);
      const auto out_stats = side_statistics(observed, offset, count, false, -1);
      for (Index j = 0; j < count; ++j)
        scores[std::size_t(j)] = online_score(phi_target[std::size_t(j)], in_stats[std::size_t(j)],
                                              out_stats[std::size_t(j)]);
    } else {
      detail::LiraObservations observed;
      observed.phi.resize(Index(shadow_models_.size()), count);
      observed.in.setConstant(Index(shadow_models_.size()), count, false);
      for (std::size_t k = 0; k < shadow_models_.size(); ++k) {
        const std::vector<double> phi = logit_scaled_confidence(
            shadow_models_[k].forward_batch(candidates.features), candidates.labels);
        observed.phi.row(Index(k)) = Eigen::Map<const RowVector<double>>(phi.data(), count);
      }
      const auto out_stats = side_statistics(observed, 0, count, false, -1);
      for (Index j = 0; j < count; ++j)
        scores[std::size_t(j)] =
            offline_score(phi_target[std::size_t(j)], out_stats[std::size_t(j)]);
    }
    return scores;
  }

  double threshold() const override { return threshold_; }

 private:
  /// Trains K shadow models on balanced random halves of `pool`; returns phi of every pool point
  /// under every model. Offline keeps the models to score candidates later.
  detail::LiraObservations train_shadow_models(const Dataset<Scalar>& pool) {
    const Index models = options_.shadow_model_count, points = pool.size();
    Rng rng(options_.seed);
    detail::LiraObservations observed;
    observed.in.setConstant(models, points, false);
    observed.phi.resize(models, points);
    for (Index i = 0; i < points; ++i) {
      const std::vector<Index> order = random_permutation(models, rng);
      for (Index k = 0; k < models / 2; ++k)
        observed.in(order[std::size_t(k)], i) = true;
    }
    for (Index k = 0; k < models; ++k) {
      std::vector<Index> members;
      for (Index i = 0; i < points; ++i)
        if (observed.in(k, i)) members.push_back(i);
      const Dataset<Scalar> half = pool.subset(members);
      Mlp<Scalar> model = Mlp<Scalar>::he_initialized(layer_sizes_, options_.seed + 1 + k,
                                                      activation_, negative_slope_);
      TrainingOptions<Scalar> training = options_.training;
      training.seed = options_.seed + 1 + std::uint64_t(k);
      log(LogLevel::progress, name() + ": training shadow model " + std::to_string(k + 1) + "/" +
                                  std::to_string(models) + " on " + std::to_string(half.size()) +
                                  " points");
      train(model, half.features, half.labels, training);
      const std::vector<double> phi =
          logit_scaled_confidence(model.forward_batch(pool.features), pool.labels);
      observed.phi.row(k) = Eigen::Map<const RowVector<double>>(phi.data(), points);
      if (!options_.online) shadow_models_.push_back(std::move(model));
    }
    return observed;
  }

  /// Mean and variance of phi of points first..first+count-1 over the models on `inside` side,
  /// leaving out model `excluded` (-1: none). Fixed variance pools the per-point variances.
  std::vector<detail::LiraSide> side_statistics(const detail::LiraObservations& observed,
                                                Index first, Index count, bool inside,
                                                Index excluded) const {
    std::vector<detail::LiraSide> sides(static_cast<std::size_t>(count));
    double pooled = 0;
    Index pooled_count = 0;
    for (Index j = 0; j < count; ++j) {
      detail::LiraSide& side = sides[std::size_t(j)];
      double sum = 0, squares = 0;
      for (Index k = 0; k < observed.phi.rows(); ++k) {
        if (k == excluded || observed.in(k, first + j) != inside) continue;
        const double value = observed.phi(k, first + j);
        sum += value, squares += value * value, ++side.count;
      }
      POLYLEAK_REQUIRE(side.count > 0, name() + ": point " + std::to_string(first + j) +
                                           " has no shadow model " +
                                           (inside ? "trained on it" : "without it"));
      side.mean = sum / double(side.count);
      side.variance = side.count > 1
                          ? std::max(0.0, squares / double(side.count) - side.mean * side.mean) *
                                double(side.count) / double(side.count - 1)
                          : 0.0;
      if (side.count > 1) pooled += side.variance, ++pooled_count;
    }
    const double shared = pooled_count > 0 ? pooled / double(pooled_count) : 0.0;
    for (detail::LiraSide& side : sides)
      side.variance =
          std::max(options_.fixed_variance ? shared : side.variance, options_.minimum_variance);
    return sides;
  }

  static double log_normal_density(double x, const detail::LiraSide& side) {
    const double d = x - side.mean;
    return -0.5 * (d * d / side.variance + std::log(2 * std::numbers::pi * side.variance));
  }

  static double online_score(double phi, const detail::LiraSide& in, const detail::LiraSide& out) {
    return log_normal_density(phi, in) - log_normal_density(phi, out);
  }

  static double offline_score(double phi, const detail::LiraSide& out) {
    return (phi - out.mean) / std::sqrt(out.variance);
  }

  /// Shadow model 0 as a stand-in target for the attacker's own pool points.
  double calibrate(const detail::LiraObservations& observed) const {
    const Index count = pool_.size();
    const auto in_stats = side_statistics(observed, 0, count, true, 0);
    const auto out_stats = side_statistics(observed, 0, count, false, 0);
    std::vector<double> scores(static_cast<std::size_t>(count));
    MembershipLabels is_member(static_cast<std::size_t>(count));
    for (Index i = 0; i < count; ++i) {
      const double phi = observed.phi(0, i);
      const std::size_t s = std::size_t(i);
      scores[s] = options_.online ? online_score(phi, in_stats[s], out_stats[s])
                                  : offline_score(phi, out_stats[s]);
      is_member[s] = observed.in(0, i);
    }
    return best_threshold(scores, is_member);
  }

  LiraOptions<Scalar> options_;
  Dataset<Scalar> pool_;
  std::vector<Index> layer_sizes_;
  Activation activation_ = Activation::relu;
  Scalar negative_slope_ = 0;
  std::vector<Mlp<Scalar>> shadow_models_;
  double threshold_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace polyleak
