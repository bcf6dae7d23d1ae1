#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "polyleak/attack.hpp"

using namespace polyleak;

namespace {

// Mann-Whitney statistic by brute force over all member/non-member pairs (ties count 1/2).
double pairwise_auc(const std::vector<double>& scores, const MembershipLabels& is_member) {
  double wins = 0, pairs = 0;
  for (std::size_t i = 0; i < scores.size(); ++i)
    for (std::size_t j = 0; j < scores.size(); ++j)
      if (is_member[i] && !is_member[j]) {
        wins += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
        pairs += 1;
      }
  return wins / pairs;
}

// A data set with random Gaussian features and random labels: a network can only memorise it,
// so members and non-members differ as much as they can.
template <RealScalar Scalar>
Dataset<Scalar> random_label_data(Index count, Index dimension, Index classes, std::uint64_t seed) {
  Rng rng(seed);
  Dataset<Scalar> data;
  data.features = random_normal<Scalar>(dimension, count, 0, 1, rng);
  std::uniform_int_distribution<Index> label(0, classes - 1);
  for (Index i = 0; i < count; ++i)
    data.labels.push_back(label(rng));
  data.class_count = classes;
  return data;
}

template <RealScalar Scalar>
MembershipSetup<Scalar> overfit_setup() {
  MembershipSetup<Scalar> setup;
  setup.sizes = {160, 160, 160, 160};
  setup.hidden_sizes = {128};
  setup.training.epochs = 200;
  setup.training.batch_size = 32;
  setup.training.optimizer = AdamOptions<Scalar>{.learning_rate = Scalar(0.01)};
  return setup;
}

}  // namespace

TEST_CASE("ROC, AUC, TPR at FPR and thresholds of a hand-computed case with ties") {
  // Members score 3, 2, 1; non-members 2, 0. Distinct thresholds 3, 2, 1, 0 give the vertices
  // (0, 1/3), (1/2, 2/3) (the tie at 2 moves one member and one non-member together), (1/2, 1),
  // (1, 1).
  const std::vector<double> scores{3, 2, 1, 2, 0};
  const MembershipLabels is_member{true, true, true, false, false};
  const RocCurve roc = roc_curve(scores, is_member);
  REQUIRE(roc.points.size() == 5);
  CHECK(roc.positives == 3);
  CHECK(roc.negatives == 2);
  const double expected[5][2] = {{0, 0}, {0, 1.0 / 3}, {0.5, 2.0 / 3}, {0.5, 1}, {1, 1}};
  for (std::size_t k = 0; k < 5; ++k) {
    CHECK(roc.points[k].false_positive_rate == doctest::Approx(expected[k][0]));
    CHECK(roc.points[k].true_positive_rate == doctest::Approx(expected[k][1]));
  }
  CHECK(std::isinf(roc.points[0].threshold));
  CHECK(roc.points[2].threshold == 2);

  // Trapezoids: (1/3 + 2/3) / 2 * 1/2 + 1 * 1/2; pairs: 4 wins and one tie out of 6.
  CHECK(area_under_curve(roc) == doctest::Approx(0.75));
  CHECK(pairwise_auc(scores, is_member) == doctest::Approx(0.75));

  CHECK(tpr_at_fpr(roc, 0.0) == doctest::Approx(1.0 / 3));
  CHECK(tpr_at_fpr(roc, 0.49) == doctest::Approx(1.0 / 3));
  CHECK(tpr_at_fpr(roc, 0.5) == doctest::Approx(1.0));
  CHECK_THROWS_AS(tpr_at_fpr(roc, 1.5), InvalidArgument);

  // Balanced accuracy is 0.75 at vertex (1/2, 1); the threshold lies between scores 1 and 0.
  CHECK(best_threshold(scores, is_member) == doctest::Approx(0.5));
  const ConfusionCounts counts = confusion_at_threshold(scores, is_member, 0.5);
  CHECK(counts.true_positives == 3);
  CHECK(counts.false_positives == 1);
  CHECK(counts.true_negatives == 1);
  CHECK(counts.false_negatives == 0);
  CHECK(accuracy_at_threshold(scores, is_member, 0.5) == doctest::Approx(0.8));
  CHECK(balanced_accuracy_at_threshold(scores, is_member, 0.5) == doctest::Approx(0.75));
  // Threshold 2: members 3 and 2 and non-member 2 are predicted members (score >= threshold).
  CHECK(accuracy_at_threshold(scores, is_member, 2) == doctest::Approx(0.6));
  CHECK(balanced_accuracy_at_threshold(scores, is_member, 2) == doctest::Approx(7.0 / 12));
}

TEST_CASE("metrics of all-tied and perfectly separated scores, and bad input") {
  const MembershipLabels is_member{true, false, true, false};
  const std::vector<double> tied(4, 0.25);
  const RocCurve flat = roc_curve(tied, is_member);
  CHECK(flat.points.size() == 2);
  CHECK(area_under_curve(flat) == doctest::Approx(0.5));
  CHECK(tpr_at_fpr(flat, 0.01) == 0);
  CHECK(std::isinf(best_threshold(tied, is_member)));  // rejecting all ties accepting all

  const std::vector<double> separated{0.9, 0.1, 0.8, 0.2};
  const RocCurve perfect = roc_curve(separated, is_member);
  CHECK(area_under_curve(perfect) == doctest::Approx(1.0));
  CHECK(tpr_at_fpr(perfect, 0.0) == doctest::Approx(1.0));
  CHECK(balanced_accuracy_at_threshold(separated, is_member,
                                       best_threshold(separated, is_member)) == 1.0);
  CHECK(best_threshold(separated, is_member) == doctest::Approx(0.5));

  CHECK_THROWS_AS(roc_curve({1, 2}, {true}), InvalidArgument);
  CHECK_THROWS_AS(roc_curve({1, 2}, {true, true}), InvalidArgument);
  CHECK_THROWS_AS(roc_curve({1, std::numeric_limits<double>::quiet_NaN()}, {true, false}),
                  InvalidArgument);
}

TEST_CASE("AUC over the exact ROC equals the pairwise Mann-Whitney statistic with many ties") {
  Rng rng(5);
  std::uniform_int_distribution<int> level(0, 4);
  std::bernoulli_distribution member(0.4);
  std::vector<double> scores;
  MembershipLabels is_member;
  for (int i = 0; i < 300; ++i) {
    is_member.push_back(member(rng));
    scores.push_back(level(rng) + (is_member.back() ? 1 : 0));
  }
  const RocCurve roc = roc_curve(scores, is_member);
  CHECK(roc.points.size() == 7);  // (0, 0) and six distinct scores
  CHECK(area_under_curve(roc) == doctest::Approx(pairwise_auc(scores, is_member)).epsilon(1e-12));
  // Every vertex's TPR is realised by its threshold.
  for (const RocPoint& p : roc.points) {
    const ConfusionCounts c = confusion_at_threshold(scores, is_member, p.threshold);
    CHECK(double(c.true_positives) / double(roc.positives) ==
          doctest::Approx(p.true_positive_rate));
  }
}

TEST_CASE_TEMPLATE("attack features from hand-set logits", Scalar, float, double) {
  Matrix<Scalar> logits(3, 2);
  logits << 0, 2, std::log(Scalar(2)), 0, std::log(Scalar(5)), 0;
  // Column 0: posteriors 1/8, 2/8, 5/8. Column 1: e^2 / (e^2 + 2), 1 / (e^2 + 2) twice.
  const Matrix<double> top = sorted_posteriors(logits, 2);
  CHECK(top(0, 0) == doctest::Approx(5.0 / 8).epsilon(1e-6));
  CHECK(top(1, 0) == doctest::Approx(2.0 / 8).epsilon(1e-6));
  const double e2 = std::exp(2.0);
  CHECK(top(0, 1) == doctest::Approx(e2 / (e2 + 2)).epsilon(1e-6));
  CHECK(top(1, 1) == doctest::Approx(1 / (e2 + 2)).epsilon(1e-6));
  CHECK_THROWS_AS(sorted_posteriors(logits, 4), InvalidArgument);

  const std::vector<double> log_top = log_top_posterior(logits);
  CHECK(log_top[0] == doctest::Approx(std::log(5.0 / 8)).epsilon(1e-6));
  CHECK(log_top[1] == doctest::Approx(std::log(e2 / (e2 + 2))).epsilon(1e-6));

  // phi = log(p / (1 - p)) of the true class: label 1 in column 0 (p = 1/4), 0 in column 1.
  const std::vector<double> phi = logit_scaled_confidence(logits, {1, 0});
  CHECK(phi[0] == doctest::Approx(std::log(0.25 / 0.75)).epsilon(1e-6));
  CHECK(phi[1] == doctest::Approx(2 - std::log(2.0)).epsilon(1e-6));
  CHECK_THROWS_AS(logit_scaled_confidence(logits, {3, 0}), InvalidArgument);
  CHECK_THROWS_AS(logit_scaled_confidence(logits, {0}), InvalidArgument);

  // Far beyond double's 1 - p resolution the features stay finite and ordered.
  Matrix<Scalar> sure(2, 2);
  sure << 60, 40, 0, 0;
  const std::vector<double> far = logit_scaled_confidence(sure, {0, 0});
  CHECK(far[0] == doctest::Approx(60));
  CHECK(far[1] == doctest::Approx(40));
  const std::vector<double> far_top = log_top_posterior(sure);
  CHECK(far_top[0] > far_top[1]);
  CHECK(far_top[1] < 0);
}

TEST_CASE("boosted trees fit a threshold rule, and XGBoost errors reach the caller") {
  Rng rng(7);
  const Matrix<double> points = random_uniform<double>(2, 400, 0, 1, rng);
  std::vector<bool> labels;
  for (Index j = 0; j < points.cols(); ++j)
    labels.push_back(points(0, j) > 0.5);
  BoostedTreesOptions options;
  options.tree_count = 50;
  options.max_depth = 2;
  options.thread_count = 1;
  const BoostedTrees model = BoostedTrees::fit(points, labels, options);
  CHECK(model.feature_count() == 2);

  Matrix<double> queries(2, 2);
  queries << 0.1, 0.9, 0.5, 0.5;
  const std::vector<double> p = model.predict_probability(queries);
  REQUIRE(p.size() == 2);
  CHECK(p[0] < 0.1);
  CHECK(p[1] > 0.9);
  CHECK(model.predict_probability(Matrix<double>(2, 0)).empty());
  CHECK_THROWS_AS(model.predict_probability(Matrix<double>::Zero(3, 1)), InvalidArgument);

  CHECK_THROWS_AS(BoostedTrees::fit(points, std::vector<bool>{true}, options), InvalidArgument);
  options.extra_parameters = {{"tree_method", "no_such_method"}};
  CHECK_THROWS_AS(BoostedTrees::fit(points, labels, options), SolverError);
  options.extra_parameters = {{"max_depth", "-3"}};
  try {
    BoostedTrees::fit(points, labels, options);
    FAIL("expected SolverError");
  } catch (const SolverError& error) {
    CHECK(std::string(error.what()).find("XGBoost") != std::string::npos);
  }
}

TEST_CASE("shadow data and the target evaluation set keep their halves apart") {
  const auto data = random_label_data<float>(100, 4, 3, 1);
  const auto split = split_for_membership(data, {30, 20, 25, 25}, 2);
  const auto shadow =
      ShadowData<float>::from_split(split, Mlp<float>::he_initialized({4, 8, 3}, 3));
  CHECK(shadow.members().features == split.shadow_train.features);
  CHECK(shadow.non_members().features == split.shadow_test.features);

  const auto evaluation = TargetEvaluationSet<float>::from_split(split);
  CHECK(evaluation.candidates().size() == 40);
  CHECK(std::count(evaluation.is_member().begin(), evaluation.is_member().end(), true) == 20);
  CHECK(evaluation.candidates().features.leftCols(20) == split.target_train.features.leftCols(20));
  CHECK(evaluation.candidates().features.rightCols(20) == split.target_test.features);
  const auto subset = TargetEvaluationSet<float>::from_split(split, 7);
  CHECK(subset.candidates().size() == 14);
  CHECK(subset.is_member() == std::vector<bool>{1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0});
  CHECK(subset.candidates().features.leftCols(7) == split.target_train.features.leftCols(7));
  CHECK(subset.candidates().features.rightCols(7) == split.target_test.features.leftCols(7));
  CHECK(TargetEvaluationSet<float>::from_split(split, 500).candidates().size() == 40);
  CHECK_THROWS_WITH_AS(TargetEvaluationSet<float>::from_split(split, -1),
                       doctest::Contains("per_side is -1"), InvalidArgument);

  CHECK_THROWS_AS(ShadowData<float>::from_split(split, Mlp<float>({5, 3})), InvalidArgument);
  auto no_shadow = split;
  no_shadow.shadow_test = Dataset<float>{};
  CHECK_THROWS_AS(ShadowData<float>::from_split(no_shadow, Mlp<float>({4, 3})), InvalidArgument);
  auto no_target = split;
  no_target.target_test = Dataset<float>{};
  CHECK_THROWS_AS(TargetEvaluationSet<float>::from_split(no_target), InvalidArgument);
}

TEST_CASE("a model trained on all points: the gap attack calls every point a member") {
  const auto data = random_label_data<float>(120, 10, 3, 11);
  auto model = Mlp<float>::he_initialized({10, 64, 3}, 12);
  TrainingOptions<float> training;
  training.epochs = 200;
  training.batch_size = 32;
  training.optimizer = AdamOptions<float>{.learning_rate = 0.01f};
  train(model, data.features, data.labels, training);
  REQUIRE(accuracy(model, data.features, data.labels) == 1.0);

  GapAttack<float> gap;
  ModelQueries<float> queries(model);
  const std::vector<double> scores = gap.score(queries, data);
  CHECK(queries.query_count() == data.size());
  for (const double s : scores)
    CHECK(s >= gap.threshold());
}

// Every attack on a seeded network that memorised random labels beats chance (balanced accuracy
// 1/2, AUC 1/2) by at least 0.15; the target's train accuracy is 1 and its test accuracy near 1/4.
TEST_CASE_TEMPLATE("every attack beats chance on a deliberately overfit model", Scalar, float,
                   double) {
  const auto data = random_label_data<Scalar>(640, 20, 4, 21);
  const auto models = train_membership_models(data, overfit_setup<Scalar>(), 22);
  REQUIRE(models.target_train_accuracy == 1.0);
  REQUIRE(models.shadow_train_accuracy == 1.0);
  CHECK(models.target_test_accuracy < 0.5);

  const auto shadow = ShadowData<Scalar>::from_split(models.split, models.shadow);
  const auto evaluation = TargetEvaluationSet<Scalar>::from_split(models.split);

  std::vector<std::unique_ptr<MembershipAttack<Scalar>>> attacks;
  attacks.push_back(std::make_unique<GapAttack<Scalar>>());
  attacks.push_back(std::make_unique<ConfidenceThresholdAttack<Scalar>>());
  attacks.push_back(
      std::make_unique<ConfidenceThresholdAttack<Scalar>>(ConfidenceScore::true_class));
  attacks.push_back(std::make_unique<MlLeaksAttack<Scalar>>());
  MlLeaksOptions<Scalar> trees;
  trees.attack_model.kind = AttackModelKind::boosted_trees;
  trees.attack_model.trees.tree_count = 100;
  trees.attack_model.trees.thread_count = 1;
  attacks.push_back(std::make_unique<MlLeaksAttack<Scalar>>(trees));
  for (MlLeaksOptions<Scalar> with_label : {MlLeaksOptions<Scalar>{}, trees}) {
    with_label.with_true_class = true;
    attacks.push_back(std::make_unique<MlLeaksAttack<Scalar>>(with_label));
  }
  for (const bool online : {true, false}) {
    LiraOptions<Scalar> lira;
    lira.online = online;
    lira.shadow_model_count = 4;
    lira.training = overfit_setup<Scalar>().training;
    attacks.push_back(std::make_unique<LiraAttack<Scalar>>(lira));
  }

  for (auto& attack : attacks) {
    CAPTURE(attack->name());
    attack->fit(shadow);
    const auto results = evaluate_attack(*attack, models.target, evaluation);
    REQUIRE(results.size() == 2);
    const AttackResult& result = results[0];
    CHECK(result.threshold_source != "target-oracle");
    CHECK(results[1].threshold_source == "target-oracle");
    CHECK(result.balanced_accuracy >= 0.65);
    CHECK(result.auc >= 0.65);
    CHECK(result.accuracy == doctest::Approx(result.balanced_accuracy));  // balanced set
    CHECK(results[1].balanced_accuracy >= result.balanced_accuracy);
    CHECK(result.queries_per_point == 1.0);
    CHECK(result.seconds_per_point >= 0);
    CHECK(result.tpr_at_1pct_fpr >= result.tpr_at_0_1pct_fpr);
  }
}

TEST_CASE("attacks refuse bad options and scoring before fit()") {
  const auto data = random_label_data<float>(20, 4, 3, 31);
  const auto model = Mlp<float>::he_initialized({4, 8, 3}, 32);
  ModelQueries<float> queries(model);
  ConfidenceThresholdAttack<float> threshold;
  CHECK_THROWS_AS(threshold.score(queries, data), InvalidArgument);
  MlLeaksAttack<float> ml_leaks;
  CHECK_THROWS_AS(ml_leaks.score(queries, data), InvalidArgument);
  LiraAttack<float> lira;
  CHECK_THROWS_AS(lira.score(queries, data), InvalidArgument);
  CHECK(queries.query_count() == 0);

  LiraOptions<float> odd;
  odd.shadow_model_count = 5;
  CHECK_THROWS_AS(LiraAttack<float>{odd}, InvalidArgument);
  MlLeaksOptions<float> no_features;
  no_features.top_k = 0;
  CHECK_THROWS_AS(MlLeaksAttack<float>{no_features}, InvalidArgument);
}

TEST_CASE_TEMPLATE("label-aware attacks score the true class", Scalar, float, double) {
  const auto data = random_label_data<Scalar>(400, 10, 3, 41);
  MembershipSetup<Scalar> setup = overfit_setup<Scalar>();
  setup.sizes = {100, 100, 100, 100};
  setup.training.epochs = 100;
  const auto models = train_membership_models(data, setup, 42);
  const auto shadow = ShadowData<Scalar>::from_split(models.split, models.shadow);
  const auto evaluation = TargetEvaluationSet<Scalar>::from_split(models.split);
  Dataset<Scalar> relabelled = evaluation.candidates();
  for (Index& label : relabelled.labels)
    label = (label + 1) % relabelled.class_count;

  // The loss threshold scores exactly the logit-scaled confidence of the given label.
  ConfidenceThresholdAttack<Scalar> loss(ConfidenceScore::true_class);
  CHECK(loss.name() == "loss-threshold");
  loss.fit(shadow);
  CHECK(std::isfinite(loss.threshold()));
  ModelQueries<Scalar> queries(models.target);
  const std::vector<double> expected =
      logit_scaled_confidence(models.target.forward_batch(relabelled.features), relabelled.labels);
  const std::vector<double> scores = loss.score(queries, relabelled);
  REQUIRE(scores.size() == expected.size());
  for (std::size_t i = 0; i < scores.size(); ++i)
    CHECK(scores[i] == expected[i]);
  CHECK(queries.query_count() == relabelled.size());

  // The top-posterior threshold ignores labels; the label-aware ML-Leaks does not.
  ConfidenceThresholdAttack<Scalar> top;
  top.fit(shadow);
  ModelQueries<Scalar> more(models.target);
  CHECK(top.score(more, relabelled) == top.score(more, evaluation.candidates()));
  MlLeaksOptions<Scalar> options;
  options.with_true_class = true;
  options.attack_model.kind = AttackModelKind::boosted_trees;
  options.attack_model.trees.tree_count = 20;
  options.attack_model.trees.thread_count = 1;
  MlLeaksAttack<Scalar> label_trees(options);
  CHECK(label_trees.name() == "ml-leaks-label-boosted-trees");
  label_trees.fit(shadow);
  CHECK(label_trees.score(more, relabelled) != label_trees.score(more, evaluation.candidates()));
  options.attack_model.kind = AttackModelKind::mlp;
  CHECK(MlLeaksAttack<Scalar>(options).name() == "ml-leaks-label-mlp");
}
