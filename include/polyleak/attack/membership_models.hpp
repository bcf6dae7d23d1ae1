#pragma once
// MembershipSetup and train_membership_models(): the target and the shadow model of one
// experiment, of the same architecture, trained on disjoint parts of one data set (Salem et al.,
// adversary 1).

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "polyleak/core/log.hpp"
#include "polyleak/data/membership_split.hpp"
#include "polyleak/nn/mlp.hpp"
#include "polyleak/nn/training.hpp"

namespace polyleak {

/// How the target and shadow models of an experiment are built and trained.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct MembershipSetup {
  /// Sizes of the four disjoint parts (target members, target non-members, shadow members,
  /// shadow non-members).
  MembershipSplitSizes sizes;
  /// Hidden layer sizes; input and output sizes come from the data.
  std::vector<Index> hidden_sizes;
  Activation activation = Activation::relu;
  /// Training of target and shadow alike (the shadow gets seed + 1).
  TrainingOptions<Scalar> training;
};

/// The models of one experiment with their split and the target's accuracies.
template <RealScalar Scalar>
struct MembershipModels {
  MembershipSplit<Scalar> split;
  Mlp<Scalar> target;
  Mlp<Scalar> shadow;
  double target_train_accuracy = 0;
  double target_test_accuracy = 0;
  double shadow_train_accuracy = 0;
  double shadow_test_accuracy = 0;
};

/// Splits `data` with split_for_membership(data, setup.sizes, seed), then trains a He-initialised
/// target on split.target_train and a shadow of the same architecture on split.shadow_train,
/// logging a progress line every tenth of the epochs (setup.training.on_epoch is still called).
/// Throws what split_for_membership() and train() throw. Cost: two trainings. Deterministic for a
/// fixed seed.
template <RealScalar Scalar>
MembershipModels<Scalar> train_membership_models(const Dataset<Scalar>& data,
                                                 const MembershipSetup<Scalar>& setup,
                                                 std::uint64_t seed) {
  data.validate();
  std::vector<Index> sizes{data.dimension()};
  sizes.insert(sizes.end(), setup.hidden_sizes.begin(), setup.hidden_sizes.end());
  sizes.push_back(data.class_count);

  auto split = split_for_membership(data, setup.sizes, seed);
  const auto train_one = [&](const Dataset<Scalar>& part, std::uint64_t model_seed,
                             const char* role) {
    auto model = Mlp<Scalar>::he_initialized(sizes, model_seed, setup.activation);
    TrainingOptions<Scalar> training = setup.training;
    training.seed = model_seed;
    log(LogLevel::progress, std::string("training the ") + role + " model on " +
                                std::to_string(part.size()) + " points");
    // A progress line every tenth of the epochs, besides the caller's own callback.
    training.on_epoch = [role, user = setup.training.on_epoch](const Mlp<Scalar>& network,
                                                               const EpochReport& report) {
      const Index every = std::max<Index>(1, report.epochs / 10);
      if ((report.epoch + 1) % every == 0 || report.epoch + 1 == report.epochs)
        log(LogLevel::progress, std::string(role) + " epoch " + std::to_string(report.epoch + 1) +
                                    "/" + std::to_string(report.epochs) + ": loss " +
                                    std::to_string(report.loss) + ", accuracy " +
                                    std::to_string(report.accuracy));
      if (user) user(network, report);
    };
    train(model, part.features, part.labels, training);
    return model;
  };
  Mlp<Scalar> target = train_one(split.target_train, seed, "target");
  Mlp<Scalar> shadow = train_one(split.shadow_train, seed + 1, "shadow");
  MembershipModels<Scalar> models{std::move(split), std::move(target), std::move(shadow)};
  const auto& s = models.split;
  models.target_train_accuracy =
      accuracy(models.target, s.target_train.features, s.target_train.labels);
  models.target_test_accuracy =
      accuracy(models.target, s.target_test.features, s.target_test.labels);
  models.shadow_train_accuracy =
      accuracy(models.shadow, s.shadow_train.features, s.shadow_train.labels);
  models.shadow_test_accuracy =
      accuracy(models.shadow, s.shadow_test.features, s.shadow_test.labels);
  return models;
}

}  // namespace polyleak
