#pragma once
// AttackModel: the classifier that maps attack features to a member probability, an MLP as in
// Salem et al. or gradient-boosted trees as in thesis 7.4, fitted on a balanced attack training
// set built from a shadow model. Shared by the attacks that learn from features (ML-Leaks, the
// activation-polytope attack).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "polyleak/attack/boosted_trees.hpp"
#include "polyleak/attack/metrics.hpp"
#include "polyleak/core/log.hpp"
#include "polyleak/core/random.hpp"
#include "polyleak/nn/training.hpp"

namespace polyleak {

/// The classifier that maps attack features to membership.
enum class AttackModelKind { mlp, boosted_trees };

/// Options of AttackModel.
/// @tparam Scalar scalar of the MLP attack model.
template <RealScalar Scalar>
struct AttackModelOptions {
  AttackModelKind kind = AttackModelKind::mlp;
  /// Hidden layers of the MLP attack model (Salem et al.: one layer of 64 ReLU units).
  std::vector<Index> hidden_sizes = {64};
  /// Training of the MLP attack model (Adam, cross-entropy; seed is overridden by `seed`).
  TrainingOptions<Scalar> mlp_training = default_mlp_training();
  /// Trees of the boosted attack model; max_depth is chosen from candidate_depths.
  BoostedTreesOptions trees;
  /// Tree depths tried on a hold-out of the attack training set (thesis 7.4: "below 10 nodes").
  std::vector<Index> candidate_depths = {1, 2, 3, 4, 5};
  /// Fraction of the attack training set held out to choose the tree depth.
  double holdout_fraction = 0.2;
  /// Centre and scale every feature of the MLP's input by the mean and standard deviation of its
  /// finite training values, and read a missing (NaN) feature as that mean. Needed when features
  /// differ in scale by orders of magnitude; the trees are scale-free and treat NaN as missing.
  bool standardize = false;
  std::uint64_t seed = 0;

  /// Throws InvalidArgument naming `function` for empty candidate_depths or a hold-out fraction
  /// outside (0, 1).
  void require_valid(const std::string& function) const {
    POLYLEAK_REQUIRE(!candidate_depths.empty() && holdout_fraction > 0 && holdout_fraction < 1,
                     function + ": need candidate depths and a hold-out fraction in (0, 1), got " +
                         std::to_string(candidate_depths.size()) + " depths and " +
                         std::to_string(holdout_fraction));
  }

  static TrainingOptions<Scalar> default_mlp_training() {
    TrainingOptions<Scalar> options;
    options.epochs = 100;
    options.batch_size = 64;
    return options;
  }
};

/// A fitted attack model. fit() trains an MLP (`features`-hidden-2 ReLU, Adam, cross-entropy) or
/// boosted trees whose depth is chosen by balanced accuracy on a random hold-out and then refitted
/// on all points. Deterministic for a fixed seed (and XGBoost thread count).
/// @tparam Scalar scalar of the MLP attack model (float or double).
template <RealScalar Scalar>
class AttackModel {
 public:
  /// Fits on `points` (features x n, one attack training point per column) with membership
  /// `is_member` (label 1 for members). Throws InvalidArgument for empty or mismatched input, bad
  /// options, or NaN features of an MLP without `standardize`. Cost: one training (MLP) or
  /// candidate_depths.size() + 1 trainings (trees).
  static AttackModel fit(const Matrix<double>& points, const std::vector<bool>& is_member,
                         const AttackModelOptions<Scalar>& options) {
    POLYLEAK_REQUIRE(
        points.rows() > 0 && points.cols() > 0 && Index(is_member.size()) == points.cols(),
        "AttackModel::fit: " + std::to_string(points.rows()) + " features of " +
            std::to_string(points.cols()) + " points with " + std::to_string(is_member.size()) +
            " labels, expected features, points and one label per point");
    options.require_valid("AttackModel::fit");
    AttackModel model;
    model.options_ = options;
    if (options.kind == AttackModelKind::mlp)
      model.fit_mlp(points, is_member);
    else
      model.fit_trees(points, is_member);
    return model;
  }

  /// Member probability of each column of `points` (same features as in fit()).
  std::vector<double> member_probability(const Matrix<double>& points) const {
    POLYLEAK_REQUIRE(points.rows() == feature_count_,
                     "AttackModel: points have " + std::to_string(points.rows()) +
                         " features, the model was fitted on " + std::to_string(feature_count_));
    if (options_.kind == AttackModelKind::boosted_trees) return trees_->predict_probability(points);
    const Matrix<double> posteriors = softmax(
        mlp_->forward_batch(mlp_input(points).template cast<Scalar>()).template cast<double>());
    return std::vector<double>(posteriors.row(1).begin(), posteriors.row(1).end());
  }

  /// The tree depth chosen on the hold-out (boosted trees only; 0 for the MLP).
  Index chosen_depth() const noexcept { return chosen_depth_; }

 private:
  AttackModel() = default;

  // The MLP's input: standardised (missing values at the mean) if asked for.
  Matrix<double> mlp_input(const Matrix<double>& points) const {
    if (!options_.standardize) {
      POLYLEAK_REQUIRE(!points.array().isNaN().any(),
                       "AttackModel: missing (NaN) features need standardize = true");
      return points;
    }
    Matrix<double> result = (points.colwise() - center_).array().colwise() / scale_.array();
    return result.array().isNaN().select(0.0, result);
  }

  void fit_mlp(const Matrix<double>& points, const std::vector<bool>& is_member) {
    feature_count_ = points.rows();
    if (options_.standardize) {
      center_ = Vector<double>::Zero(feature_count_);
      scale_ = Vector<double>::Ones(feature_count_);
      for (Index i = 0; i < feature_count_; ++i) {
        double sum = 0, squares = 0, count = 0;
        for (Index j = 0; j < points.cols(); ++j)
          if (std::isfinite(points(i, j))) sum += points(i, j), count += 1;
        if (count == 0) continue;
        center_(i) = sum / count;
        for (Index j = 0; j < points.cols(); ++j)
          if (std::isfinite(points(i, j))) squares += std::pow(points(i, j) - center_(i), 2);
        if (squares > 0) scale_(i) = std::sqrt(squares / count);
      }
    }
    std::vector<Index> sizes{points.rows()};
    sizes.insert(sizes.end(), options_.hidden_sizes.begin(), options_.hidden_sizes.end());
    sizes.push_back(2);
    mlp_ = Mlp<Scalar>::he_initialized(sizes, options_.seed);
    std::vector<Index> labels(is_member.begin(), is_member.end());
    TrainingOptions<Scalar> training = options_.mlp_training;
    training.seed = options_.seed;
    const Matrix<Scalar> inputs = mlp_input(points).template cast<Scalar>();
    train(*mlp_, inputs, labels, training);
  }

  void fit_trees(const Matrix<double>& points, const std::vector<bool>& is_member) {
    feature_count_ = points.rows();
    // Choose the depth on a random hold-out of the attack training set, then refit on all of it.
    Rng rng(options_.seed);
    const std::vector<Index> order = random_permutation(points.cols(), rng);
    const Index held = std::max<Index>(1, Index(options_.holdout_fraction * double(order.size())));
    Matrix<double> fit_points(points.rows(), points.cols() - held),
        held_points(points.rows(), held);
    std::vector<bool> fit_labels, held_labels;
    for (Index k = 0; k < points.cols(); ++k) {
      const Index i = order[std::size_t(k)];
      if (k < held) {
        held_points.col(k) = points.col(i);
        held_labels.push_back(is_member[std::size_t(i)]);
      } else {
        fit_points.col(k - held) = points.col(i);
        fit_labels.push_back(is_member[std::size_t(i)]);
      }
    }
    BoostedTreesOptions trees = options_.trees;
    trees.seed = options_.seed;
    double best = -1;
    for (const Index depth : options_.candidate_depths) {
      trees.max_depth = depth;
      const BoostedTrees model = BoostedTrees::fit(fit_points, fit_labels, trees);
      const double value =
          balanced_accuracy_at_threshold(model.predict_probability(held_points), held_labels, 0.5);
      log(LogLevel::debug, "attack model: depth " + std::to_string(depth) +
                               ", hold-out balanced accuracy " + std::to_string(value));
      if (value > best) best = value, chosen_depth_ = depth;
    }
    trees.max_depth = chosen_depth_;
    trees_ = BoostedTrees::fit(points, is_member, trees);
  }

  AttackModelOptions<Scalar> options_;
  Index feature_count_ = 0;
  Index chosen_depth_ = 0;
  Vector<double> center_;
  Vector<double> scale_;
  std::optional<Mlp<Scalar>> mlp_;
  std::optional<BoostedTrees> trees_;
};

}  // namespace polyleak
