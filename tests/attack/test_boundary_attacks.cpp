#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "polyleak/attack/boundary_distance_attack.hpp"
#include "polyleak/attack/label_only_attack.hpp"
#include "polyleak/attack/membership_models.hpp"

using namespace polyleak;

namespace {

// Gaussian features whose label is the sign pattern of two coordinates, with a quarter of the
// labels replaced at random: the network learns the rule and memorises the exceptions, so
// members lie farther from the boundary than non-members. `binary` rounds the features to 0/1.
template <RealScalar Scalar>
Dataset<Scalar> noisy_rule_data(Index count, Index dimension, bool binary, std::uint64_t seed) {
  Rng rng(seed);
  Dataset<Scalar> data;
  data.features = random_normal<Scalar>(dimension, count, 0, 1, rng);
  std::bernoulli_distribution replace(0.25);
  std::uniform_int_distribution<Index> label(0, 3);
  for (Index j = 0; j < count; ++j) {
    const Index rule = (data.features(0, j) > 0 ? 1 : 0) + (data.features(1, j) > 0 ? 2 : 0);
    data.labels.push_back(replace(rng) ? label(rng) : rule);
  }
  if (binary) data.features = (data.features.array() > 0).template cast<Scalar>();
  data.class_count = 4;
  return data;
}

template <RealScalar Scalar>
MembershipSetup<Scalar> overfit_setup() {
  MembershipSetup<Scalar> setup;
  setup.sizes = {100, 100, 100, 100};
  setup.hidden_sizes = {64};
  setup.training.epochs = 300;
  setup.training.batch_size = 25;
  setup.training.optimizer = AdamOptions<Scalar>{.learning_rate = Scalar(0.01)};
  return setup;
}

template <RealScalar Scalar>
void check_attacks(const Dataset<Scalar>& data,
                   std::vector<std::unique_ptr<MembershipAttack<Scalar>>>& attacks, double margin) {
  const auto models = train_membership_models(data, overfit_setup<Scalar>(), 5);
  REQUIRE(models.target_train_accuracy >= 0.95);
  const auto shadow = ShadowData<Scalar>::from_split(models.split, models.shadow);
  const auto evaluation = TargetEvaluationSet<Scalar>::from_split(models.split);
  MESSAGE("train accuracy " << models.target_train_accuracy << ", test accuracy "
                            << models.target_test_accuracy);
  for (auto& attack : attacks) {
    CAPTURE(attack->name());
    attack->fit(shadow);
    const auto results = evaluate_attack(*attack, models.target, evaluation);
    const AttackResult& result = results[0];
    MESSAGE(attack->name() << ": balanced accuracy " << result.balanced_accuracy << ", AUC "
                           << result.auc << ", oracle " << results[1].balanced_accuracy
                           << ", queries/point " << result.queries_per_point);
    CHECK(result.threshold_source == "shadow");
    CHECK(result.balanced_accuracy >= 0.5 + margin);
    CHECK(result.auc >= 0.5 + margin);
    CHECK(result.queries_per_point > 1);
  }
}

}  // namespace

TEST_CASE_TEMPLATE("boundary-distance attacks beat chance on an overfit model", Scalar, float,
                   double) {
  const auto data = noisy_rule_data<Scalar>(400, 8, false, 3);
  std::vector<std::unique_ptr<MembershipAttack<Scalar>>> attacks;
  for (const BoundaryLoss loss : {BoundaryLoss::confidence, BoundaryLoss::output_norm,
                                  BoundaryLoss::jacobian_norm, BoundaryLoss::bias_norm}) {
    BoundarySearchOptions<Scalar> options;
    options.loss = loss;
    attacks.push_back(std::make_unique<GradientBoundaryAttack<Scalar>>(options));
  }
  attacks.push_back(std::make_unique<ExactBoundaryAttack<Scalar>>());
  HopSkipJumpOptions hop;
  hop.iterations = 5;
  hop.fit_points = 100;
  attacks.push_back(std::make_unique<HopSkipJumpAttack<Scalar>>(hop));
  NoiseRobustnessOptions noise;
  noise.queries = 100;
  attacks.push_back(std::make_unique<NoiseRobustnessAttack<Scalar>>(noise));
  check_attacks(data, attacks, 0.1);
}

TEST_CASE("noise robustness flips binary features") {
  const auto data = noisy_rule_data<double>(400, 16, true, 4);
  std::vector<std::unique_ptr<MembershipAttack<double>>> attacks;
  NoiseRobustnessOptions noise;
  noise.queries = 100;
  attacks.push_back(std::make_unique<NoiseRobustnessAttack<double>>(noise));
  check_attacks(data, attacks, 0.05);
}
