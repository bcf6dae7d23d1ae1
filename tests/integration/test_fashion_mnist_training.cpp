// Training on real data: the loss on Fashion-MNIST (Debian package dataset-fashion-mnist, which
// the project's scripts install) goes down.

#include <doctest/doctest.h>

#include <filesystem>
#include <numeric>

#include "polyleak/data.hpp"
#include "polyleak/nn.hpp"

using namespace polyleak;

TEST_CASE("training lowers the loss on Fashion-MNIST") {
  const std::filesystem::path folder = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(folder)) {
    MESSAGE("skipped: " << folder << " is missing (Debian package dataset-fashion-mnist)");
    return;
  }
  const auto fashion = load_fashion_mnist<float>(folder);
  std::vector<Index> first(2000);
  std::iota(first.begin(), first.end(), Index{0});
  const auto train_set = fashion.train.subset(first);
  const auto test_set = fashion.test.subset(first);

  auto network = Mlp<float>::he_initialized({784, 64, 10}, 5);
  const double train_before =
      evaluate_loss(network, train_set.features, train_set.labels, Loss::cross_entropy);
  const double test_before =
      evaluate_loss(network, test_set.features, test_set.labels, Loss::cross_entropy);
  TrainingOptions<float> options;
  options.epochs = 3;
  options.batch_size = 64;
  options.seed = 5;
  const auto history = train(network, train_set.features, train_set.labels, options);
  const double train_after =
      evaluate_loss(network, train_set.features, train_set.labels, Loss::cross_entropy);
  const double test_after =
      evaluate_loss(network, test_set.features, test_set.labels, Loss::cross_entropy);

  // Each epoch's mean loss is below the previous one, and the loss on unseen points halves at
  // least (from about log(10) for an untrained network).
  REQUIRE(history.loss.size() == 3);
  CHECK(history.loss[1] < history.loss[0]);
  CHECK(history.loss[2] < history.loss[1]);
  CHECK(train_after < 0.5 * train_before);
  CHECK(test_after < 0.5 * test_before);
  CHECK(accuracy(network, test_set.features, test_set.labels) > 0.7);
}
