#pragma once
// Label-only membership attacks of Choquette-Choo et al. (2021), which see only the target's
// predicted labels: noise robustness (how often noisy copies of a point keep its label) and the
// HopSkipJump boundary distance (Chen, Jordan and Wainwright 2020), written from the papers'
// descriptions.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "polyleak/attack/membership_attack.hpp"
#include "polyleak/core/random.hpp"

namespace polyleak {

namespace detail {

/// Predicted class of every column of `points`, through the counted queries.
template <RealScalar Scalar>
std::vector<Index> query_labels(ModelQueries<Scalar>& model,
                                const Eigen::Ref<const Matrix<Scalar>>& points) {
  const Matrix<Scalar> logits = model.logits(points);
  std::vector<Index> labels(static_cast<std::size_t>(logits.cols()));
  for (Index j = 0; j < logits.cols(); ++j)
    logits.col(j).maxCoeff(&labels[std::size_t(j)]);
  return labels;
}

/// Balanced shadow scores: `score_one(queries, point, label)` on at most `limit` shadow members
/// then as many non-members, querying the shadow model; returns the scores and the membership.
template <RealScalar Scalar, class ScoreOne>
std::pair<std::vector<double>, MembershipLabels> shadow_scores(const ShadowData<Scalar>& shadow,
                                                               Index limit, ScoreOne score_one) {
  const Index count = std::min({shadow.members().size(), shadow.non_members().size(), limit});
  ModelQueries<Scalar> queries(shadow.model());
  std::vector<double> scores;
  MembershipLabels is_member;
  for (const Dataset<Scalar>* part : {&shadow.members(), &shadow.non_members()})
    for (Index j = 0; j < count; ++j) {
      scores.push_back(score_one(queries, part->features.col(j), part->labels[std::size_t(j)]));
      is_member.push_back(part == &shadow.members());
    }
  return {std::move(scores), std::move(is_member)};
}

}  // namespace detail

/// Options of NoiseRobustnessAttack. Noise level k flips each binary feature with probability
/// flip_probabilities[k] and adds Gaussian noise of standard deviation stddev_factors[k] times
/// the feature's standard deviation (on the shadow data) to each continuous feature; fit()
/// picks the level with the best shadow balanced accuracy.
struct NoiseRobustnessOptions {
  Index queries = 500;  ///< noisy copies per point (Choquette-Choo et al.: up to 10,000)
  std::vector<double> flip_probabilities = {0.005, 0.01, 0.02, 0.05, 0.1};
  std::vector<double> stddev_factors = {0.05, 0.1, 0.2, 0.5, 1.0};
  Index fit_points = 500;  ///< shadow members (and as many non-members) used by fit()
  std::uint64_t seed = 0;
};

/// Noise robustness (Choquette-Choo et al., "data augmentation" attack with random noise): the
/// score of a candidate (x, y) is the fraction of `queries` noisy copies of x that the target
/// labels y (0 if it mislabels x itself); members are more robust. A feature is binary when all
/// shadow values are 0 or 1. Queries per point: 1 + options.queries. Deterministic for a seed.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class NoiseRobustnessAttack final : public MembershipAttack<Scalar> {
 public:
  explicit NoiseRobustnessAttack(NoiseRobustnessOptions options = {})
      : options_(std::move(options)) {
    POLYLEAK_REQUIRE(options_.queries > 0 && options_.fit_points > 0 &&
                         !options_.flip_probabilities.empty() &&
                         options_.flip_probabilities.size() == options_.stddev_factors.size(),
                     "need queries > 0, fit_points > 0 and as many flip probabilities as "
                     "standard deviation factors (at least one)");
  }

  std::string name() const override { return "noise-robustness"; }

  void fit(const ShadowData<Scalar>& shadow) override {
    const Dataset<Scalar> all = concatenate(shadow.members(), shadow.non_members());
    binary_.assign(std::size_t(all.dimension()), true);
    stddevs_.resize(all.dimension());
    for (Index i = 0; i < all.dimension(); ++i) {
      const auto row = all.features.row(i).template cast<double>().array();
      binary_[std::size_t(i)] = ((row == 0) || (row == 1)).all();
      stddevs_(i) = std::sqrt((row - row.mean()).square().mean());
    }
    double best = -1;
    for (std::size_t level = 0; level < options_.flip_probabilities.size(); ++level) {
      level_ = level;
      auto [scores, is_member] =
          detail::shadow_scores(shadow, options_.fit_points,
                                [&](ModelQueries<Scalar>& queries, const auto& point, Index label) {
                                  return robustness(queries, point, label);
                                });
      const double candidate = best_threshold(scores, is_member);
      const double value = balanced_accuracy_at_threshold(scores, is_member, candidate);
      if (value > best) best = value, threshold_ = candidate, chosen_level_ = level;
    }
    level_ = chosen_level_;
  }

  std::vector<double> score(ModelQueries<Scalar>& target,
                            const Dataset<Scalar>& candidates) override {
    POLYLEAK_REQUIRE(!std::isnan(threshold_), name() + ": call fit() before score()");
    candidates.validate();
    std::vector<double> scores;
    for (Index j = 0; j < candidates.size(); ++j)
      scores.push_back(
          robustness(target, candidates.features.col(j), candidates.labels[std::size_t(j)]));
    return scores;
  }

  double threshold() const override { return threshold_; }

  /// Index of the noise level chosen on the shadow data.
  std::size_t chosen_level() const noexcept { return chosen_level_; }

 private:
  template <class Point>
  double robustness(ModelQueries<Scalar>& model, const Point& point, Index label) {
    POLYLEAK_REQUIRE(point.size() == Index(binary_.size()),
                     "point has " + std::to_string(point.size()) + " features, expected " +
                         std::to_string(binary_.size()));
    if (detail::query_labels<Scalar>(model, point)[0] != label) return 0;
    // Each call draws from its own stream, seeded by the options' seed and the call's number.
    Rng rng(options_.seed + 7919 * std::uint64_t(calls_++));
    std::bernoulli_distribution flip(options_.flip_probabilities[level_]);
    std::normal_distribution<double> normal(0, options_.stddev_factors[level_]);
    Matrix<Scalar> copies = point.replicate(1, options_.queries);
    for (Index j = 0; j < copies.cols(); ++j)
      for (Index i = 0; i < copies.rows(); ++i) {
        if (binary_[std::size_t(i)]) {
          if (flip(rng)) copies(i, j) = Scalar(1) - copies(i, j);
        } else {
          copies(i, j) += Scalar(normal(rng) * stddevs_(i));
        }
      }
    const std::vector<Index> labels = detail::query_labels<Scalar>(model, copies);
    return double(std::count(labels.begin(), labels.end(), label)) / double(labels.size());
  }

  NoiseRobustnessOptions options_;
  std::vector<bool> binary_;
  Vector<double> stddevs_;
  std::size_t level_ = 0;
  std::size_t chosen_level_ = 0;
  std::uint64_t calls_ = 0;
  double threshold_ = std::numeric_limits<double>::quiet_NaN();
};

/// Options of HopSkipJumpAttack (Chen et al.'s untargeted L2 attack).
struct HopSkipJumpOptions {
  Index iterations = 20;            ///< gradient-estimate / step / binary-search rounds
  Index initial_evaluations = 100;  ///< B_0: sign queries of the first gradient estimate
  Index max_evaluations = 1000;     ///< cap of B_t = B_0 sqrt(t)
  Index initial_tries = 100;        ///< random points tried to find a first misclassified one
  Index max_step_halvings = 20;     ///< geometric step-size search
  Index fit_points = 200;           ///< shadow members (and as many non-members) used by fit()
  std::uint64_t seed = 0;
};

/// HopSkipJump boundary distance (Choquette-Choo et al.'s label-only "boundary distance"
/// attack): for a correctly labelled candidate x, find a misclassified point (uniform random in
/// the shadow data's feature box), binary-search the boundary on the segment to x, then repeat:
/// estimate the boundary's normal by Monte-Carlo sign queries around the boundary point
/// (baseline-corrected mean of the sampled unit directions, B_0 sqrt(t) queries, radius
/// ||x_t - x|| / d), step along it by a geometric search (||x_t - x|| / sqrt(t), halved until
/// the step stays misclassified) and binary-search back towards x. The score is the smallest
/// distance ||x_t - x||_2 reached (+infinity if no misclassified point was found; 0 if x is
/// mislabelled). Points are clipped to the feature box. Threshold from the shadow model.
/// Queries per point: about 25 + sum_t min(B_0 sqrt(t), max) + 25 iterations. Deterministic.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class HopSkipJumpAttack final : public MembershipAttack<Scalar> {
 public:
  explicit HopSkipJumpAttack(HopSkipJumpOptions options = {}) : options_(std::move(options)) {
    POLYLEAK_REQUIRE(options_.iterations >= 0 && options_.initial_evaluations > 1 &&
                         options_.max_evaluations >= options_.initial_evaluations &&
                         options_.initial_tries > 0 && options_.fit_points > 0,
                     "need iterations >= 0, initial_evaluations > 1, max_evaluations >= "
                     "initial_evaluations, initial_tries > 0 and fit_points > 0");
  }

  std::string name() const override { return "hop-skip-jump"; }

  void fit(const ShadowData<Scalar>& shadow) override {
    const Dataset<Scalar> all = concatenate(shadow.members(), shadow.non_members());
    lower_ = all.features.rowwise().minCoeff();
    upper_ = all.features.rowwise().maxCoeff();
    auto [scores, is_member] =
        detail::shadow_scores(shadow, options_.fit_points,
                              [&](ModelQueries<Scalar>& queries, const auto& point, Index label) {
                                return distance(queries, point, label);
                              });
    threshold_ = best_threshold(scores, is_member);
  }

  std::vector<double> score(ModelQueries<Scalar>& target,
                            const Dataset<Scalar>& candidates) override {
    POLYLEAK_REQUIRE(!std::isnan(threshold_), name() + ": call fit() before score()");
    candidates.validate();
    std::vector<double> scores;
    for (Index j = 0; j < candidates.size(); ++j)
      scores.push_back(
          distance(target, candidates.features.col(j), candidates.labels[std::size_t(j)]));
    return scores;
  }

  double threshold() const override { return threshold_; }

 private:
  using VectorType = Vector<Scalar>;

  VectorType clip(const VectorType& x) const { return x.cwiseMax(lower_).cwiseMin(upper_); }

  // The point on the segment from `inside` (label kept) to `outside` (label changed) within
  // `precision` (relative to the segment) of the boundary, on the changed side.
  VectorType binary_search(ModelQueries<Scalar>& model, const VectorType& inside,
                           const VectorType& outside, Index label, double precision) const {
    double low = 0, high = 1;
    while (high - low > precision) {
      const double middle = (low + high) / 2;
      const VectorType blend = inside + Scalar(middle) * (outside - inside);
      (detail::query_labels<Scalar>(model, blend)[0] != label ? high : low) = middle;
    }
    return inside + Scalar(high) * (outside - inside);
  }

  template <class Point>
  double distance(ModelQueries<Scalar>& model, const Point& original, Index label) {
    POLYLEAK_REQUIRE(original.size() == lower_.size(),
                     "point has " + std::to_string(original.size()) + " features, expected " +
                         std::to_string(lower_.size()));
    const VectorType x = original;
    if (detail::query_labels<Scalar>(model, x)[0] != label) return 0;
    Rng rng(options_.seed + 7919 * std::uint64_t(calls_++));
    const Index d = x.size();
    const double precision = std::min(1e-3, std::pow(double(d), -1.5));

    // A first misclassified point, uniform in the feature box.
    std::uniform_real_distribution<double> uniform(0, 1);
    VectorType start;
    for (Index attempt = 0; attempt < options_.initial_tries && start.size() == 0; ++attempt) {
      VectorType candidate(d);
      for (Index i = 0; i < d; ++i)
        candidate(i) = lower_(i) + Scalar(uniform(rng)) * (upper_(i) - lower_(i));
      if (detail::query_labels<Scalar>(model, candidate)[0] != label) start = candidate;
    }
    if (start.size() == 0) return std::numeric_limits<double>::infinity();
    VectorType boundary = binary_search(model, x, start, label, precision);
    double best = double((boundary - x).norm());

    std::normal_distribution<double> normal;
    for (Index t = 1; t <= options_.iterations; ++t) {
      const double current = double((boundary - x).norm());
      if (!(current > 0)) break;
      // Gradient direction from sign queries around the boundary point.
      const Index samples =
          std::min(options_.max_evaluations,
                   Index(std::ceil(double(options_.initial_evaluations) * std::sqrt(double(t)))));
      const double radius = current / double(d);
      Matrix<Scalar> directions(d, samples);
      for (Index j = 0; j < samples; ++j) {
        for (Index i = 0; i < d; ++i)
          directions(i, j) = Scalar(normal(rng));
        directions.col(j).normalize();
      }
      Matrix<Scalar> probes = (Scalar(radius) * directions).colwise() + boundary;
      for (Index j = 0; j < samples; ++j)
        probes.col(j) = clip(probes.col(j));
      const std::vector<Index> labels = detail::query_labels<Scalar>(model, probes);
      Vector<double> signs(samples);
      for (Index j = 0; j < samples; ++j)
        signs(j) = labels[std::size_t(j)] != label ? 1.0 : -1.0;
      const double mean = signs.mean();
      if (std::abs(mean) < 1) signs.array() -= mean;
      VectorType gradient = (directions.template cast<double>() * signs).template cast<Scalar>();
      const Scalar length = gradient.norm();
      if (!(length > 0)) break;
      gradient /= length;

      // Geometric step-size search, then back to the boundary.
      Scalar step = Scalar(current / std::sqrt(double(t)));
      VectorType next;
      for (Index h = 0; h <= options_.max_step_halvings; ++h, step /= 2) {
        const VectorType candidate = clip(boundary + step * gradient);
        if (detail::query_labels<Scalar>(model, candidate)[0] != label) {
          next = candidate;
          break;
        }
      }
      if (next.size() == 0) break;
      boundary = binary_search(model, x, next, label, precision);
      best = std::min(best, double((boundary - x).norm()));
    }
    return best;
  }

  HopSkipJumpOptions options_;
  VectorType lower_, upper_;
  std::uint64_t calls_ = 0;
  double threshold_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace polyleak
