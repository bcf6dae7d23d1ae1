#pragma once
// MlLeaksAttack: Salem et al.'s ML-Leaks (adversary 1). The top-k sorted posteriors of the shadow
// model on its members and non-members train an attack model (an MLP as in the paper, or
// gradient-boosted trees as in thesis 7.4), which then classifies the target's posteriors.
// Optionally the features include the confidence of the true class (the label-aware "confidence
// vector" attack of Choquette-Choo et al.).

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "polyleak/attack/attack_features.hpp"
#include "polyleak/attack/boosted_trees.hpp"
#include "polyleak/attack/membership_attack.hpp"
#include "polyleak/core/random.hpp"
#include "polyleak/nn/training.hpp"

namespace polyleak {

/// The classifier that maps attack features to membership.
enum class AttackModelKind { mlp, boosted_trees };

/// Options of MlLeaksAttack.
/// @tparam Scalar scalar of the MLP attack model.
template <RealScalar Scalar>
struct MlLeaksOptions {
  AttackModelKind model = AttackModelKind::mlp;
  /// Number of sorted posteriors used as features (Salem et al.: 3); capped at the class count.
  Index top_k = 3;
  /// Adds the logit-scaled confidence of the candidate's true class (logit_scaled_confidence())
  /// as a last feature: the attack then uses the class label, as the loss threshold does.
  bool with_true_class = false;
  /// Hidden layers of the MLP attack model (Salem et al.: one layer of 64 ReLU units).
  std::vector<Index> hidden_sizes = {64};
  /// Training of the MLP attack model (Adam, cross-entropy; seed is overridden by `seed`).
  TrainingOptions<Scalar> mlp_training = default_mlp_training();
  /// Trees of the boosted attack model; max_depth is chosen from candidate_depths.
  BoostedTreesOptions trees;
  /// Tree depths tried on a hold-out of the shadow attack set (thesis 7.4: "below 10 nodes").
  std::vector<Index> candidate_depths = {1, 2, 3, 4, 5};
  /// Fraction of the shadow attack set held out to choose the tree depth.
  double holdout_fraction = 0.2;
  std::uint64_t seed = 0;

  static TrainingOptions<Scalar> default_mlp_training() {
    TrainingOptions<Scalar> options;
    options.epochs = 100;
    options.batch_size = 64;
    return options;
  }
};

/// ML-Leaks with an MLP or boosted-tree attack model. fit() builds a balanced attack training
/// set from the shadow model (as many members as non-members, label 1 for members); score()
/// returns the attack model's member probability; threshold() is 1/2. One query per point.
/// Deterministic for a fixed seed (and XGBoost thread count).
/// @tparam Scalar float or double.
template <RealScalar Scalar>
class MlLeaksAttack final : public MembershipAttack<Scalar> {
 public:
  explicit MlLeaksAttack(MlLeaksOptions<Scalar> options = {}) : options_(std::move(options)) {
    POLYLEAK_REQUIRE(options_.top_k >= 1, "MlLeaksAttack: top_k is " +
                                              std::to_string(options_.top_k) + ", expected >= 1");
    POLYLEAK_REQUIRE(
        !options_.candidate_depths.empty() && options_.holdout_fraction > 0 &&
            options_.holdout_fraction < 1,
        "MlLeaksAttack: need candidate depths and a hold-out fraction in (0, 1), got " +
            std::to_string(options_.holdout_fraction));
  }

  /// "ml-leaks-mlp", "ml-leaks-boosted-trees", or with the true class "ml-leaks-label-mlp",
  /// "ml-leaks-label-boosted-trees".
  std::string name() const override {
    return std::string(options_.with_true_class ? "ml-leaks-label-" : "ml-leaks-") +
           (options_.model == AttackModelKind::mlp ? "mlp" : "boosted-trees");
  }

  void fit(const ShadowData<Scalar>& shadow) override {
    top_k_ = std::min(options_.top_k, shadow.model().output_dimension());
    const Index count = std::min(shadow.members().size(), shadow.non_members().size());
    const auto first = [count](const std::vector<Index>& labels) {
      return std::vector<Index>(labels.begin(), labels.begin() + count);
    };
    const Matrix<double> inside =
        features(shadow.model().forward_batch(shadow.members().features.leftCols(count)),
                 first(shadow.members().labels));
    const Matrix<double> outside =
        features(shadow.model().forward_batch(shadow.non_members().features.leftCols(count)),
                 first(shadow.non_members().labels));
    Matrix<double> points(inside.rows(), 2 * count);
    points << inside, outside;
    std::vector<bool> is_member(std::size_t(2 * count), false);
    std::fill(is_member.begin(), is_member.begin() + count, true);

    if (options_.model == AttackModelKind::mlp)
      fit_mlp(points, is_member);
    else
      fit_trees(points, is_member);
  }

  std::vector<double> score(ModelQueries<Scalar>& target,
                            const Dataset<Scalar>& candidates) override {
    POLYLEAK_REQUIRE(top_k_ > 0, name() + ": call fit() before score()");
    return member_probability(features(target.logits(candidates.features), candidates.labels));
  }

  double threshold() const override { return 0.5; }

  /// The tree depth chosen on the shadow hold-out (boosted trees only; 0 before fit()).
  Index chosen_depth() const noexcept { return chosen_depth_; }

 private:
  Matrix<double> features(const Matrix<Scalar>& logits, const std::vector<Index>& labels) const {
    if (!options_.with_true_class) return sorted_posteriors(logits, top_k_);
    Matrix<double> result(top_k_ + 1, logits.cols());
    result.topRows(top_k_) = sorted_posteriors(logits, top_k_);
    const std::vector<double> phi = logit_scaled_confidence(logits, labels);
    result.row(top_k_) =
        Eigen::Map<const Vector<double>>(phi.data(), Index(phi.size())).transpose();
    return result;
  }

  std::vector<double> member_probability(const Matrix<double>& points) const {
    if (options_.model == AttackModelKind::boosted_trees)
      return trees_->predict_probability(points);
    const Matrix<double> posteriors =
        softmax(mlp_->forward_batch(points.template cast<Scalar>()).template cast<double>());
    return std::vector<double>(posteriors.row(1).begin(), posteriors.row(1).end());
  }

  void fit_mlp(const Matrix<double>& points, const std::vector<bool>& is_member) {
    std::vector<Index> sizes{points.rows()};
    sizes.insert(sizes.end(), options_.hidden_sizes.begin(), options_.hidden_sizes.end());
    sizes.push_back(2);
    mlp_ = Mlp<Scalar>::he_initialized(sizes, options_.seed);
    std::vector<Index> labels(is_member.begin(), is_member.end());
    TrainingOptions<Scalar> training = options_.mlp_training;
    training.seed = options_.seed;
    const Matrix<Scalar> inputs = points.template cast<Scalar>();
    train(*mlp_, inputs, labels, training);
  }

  void fit_trees(const Matrix<double>& points, const std::vector<bool>& is_member) {
    // Choose the depth on a random hold-out of the shadow attack set, then refit on all of it.
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
      const double value = balanced_accuracy_at_threshold(model.predict_probability(held_points),
                                                          held_labels, threshold());
      log(LogLevel::debug, name() + ": depth " + std::to_string(depth) +
                               ", hold-out balanced accuracy " + std::to_string(value));
      if (value > best) best = value, chosen_depth_ = depth;
    }
    trees.max_depth = chosen_depth_;
    trees_ = BoostedTrees::fit(points, is_member, trees);
  }

  MlLeaksOptions<Scalar> options_;
  Index top_k_ = 0;
  Index chosen_depth_ = 0;
  std::optional<Mlp<Scalar>> mlp_;
  std::optional<BoostedTrees> trees_;
};

}  // namespace polyleak
