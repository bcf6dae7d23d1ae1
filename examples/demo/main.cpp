// polyleak-demo: trains the two networks of the quick start and saves them.
//  - Clusters2D (thesis section 4.2): a 2-25-25-25-25-2 network, as in the thesis's figures;
//  - Fashion-MNIST from the Debian package dataset-fashion-mnist: a 784-256-128-10 network.
// Prints train and test accuracy of each and the paths of the saved models.

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "common/progress.hpp"
#include "polyleak/data.hpp"
#include "polyleak/nn.hpp"

namespace fs = std::filesystem;
using namespace polyleak;

namespace {

struct Result {
  double train_accuracy;
  double test_accuracy;
  fs::path model;
};

Result train_and_save(const std::string& name, Mlp<float>& network, const Dataset<float>& train_set,
                      const Dataset<float>& test_set, TrainingOptions<float> options,
                      const fs::path& out) {
  examples::ProgressLine line("training " + name);
  examples::show_training_progress(options, line);
  train(network, train_set.features, train_set.labels, options);
  Result result{accuracy(network, train_set.features, train_set.labels),
                accuracy(network, test_set.features, test_set.labels), out / (name + ".model")};
  line.finish("done, train accuracy " + std::to_string(result.train_accuracy) + ", test accuracy " +
              std::to_string(result.test_accuracy));
  save_model(network, result.model);
  return result;
}

/// A seeded split of `data` into a training part of `train_fraction` and a test part.
TrainTestData<float> split(const Dataset<float>& data, double train_fraction, std::uint64_t seed) {
  Rng rng(seed);
  const auto order = random_permutation(data.size(), rng);
  const auto cut = static_cast<std::ptrdiff_t>(train_fraction * double(data.size()));
  return {data.subset({order.begin(), order.begin() + cut}),
          data.subset({order.begin() + cut, order.end()})};
}

void report(const std::string& name, const Result& result) {
  std::printf("%-14s train accuracy %6.2f %%, test accuracy %6.2f %%, model %s\n", name.c_str(),
              100 * result.train_accuracy, 100 * result.test_accuracy,
              result.model.string().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"polyleak demo: trains a Clusters2D and a Fashion-MNIST network and saves them"};
  fs::path out = "out/demo";
  fs::path fashion_dir = "/usr/share/datasets/fashion-mnist";
  std::uint64_t seed = 1;
  int fashion_epochs = 5;
  app.add_option("--out", out, "output folder")->capture_default_str();
  app.add_option("--fashion-mnist-dir", fashion_dir, "folder of the Fashion-MNIST IDX files")
      ->capture_default_str();
  app.add_option("--fashion-epochs", fashion_epochs, "training epochs on Fashion-MNIST")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--seed", seed, "seed of data, initialisation and shuffling")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    fs::create_directories(out);

    const auto clusters = split(make_clusters2d<float>(Clusters2dOptions{}, seed), 0.8, seed);
    auto clusters_network = Mlp<float>::he_initialized({2, 25, 25, 25, 25, 2}, seed);
    TrainingOptions<float> clusters_options;
    clusters_options.epochs = 400;
    clusters_options.batch_size = 32;
    clusters_options.optimizer = AdamOptions<float>{.learning_rate = 3e-3f};
    clusters_options.seed = seed;
    const auto clusters_result = train_and_save("clusters2d", clusters_network, clusters.train,
                                                clusters.test, clusters_options, out);

    const auto fashion = load_fashion_mnist<float>(fashion_dir);
    auto fashion_network = Mlp<float>::he_initialized({784, 256, 128, 10}, seed);
    TrainingOptions<float> fashion_options;
    fashion_options.epochs = fashion_epochs;
    fashion_options.batch_size = 128;
    fashion_options.seed = seed;
    const auto fashion_result = train_and_save("fashion-mnist", fashion_network, fashion.train,
                                               fashion.test, fashion_options, out);

    report("clusters2d", clusters_result);
    report("fashion-mnist", fashion_result);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "polyleak-demo: %s\n", error.what());
    return 1;
  }
  return 0;
}
