// Forward pass and one training step (backpropagation and an optimiser step) of float networks,
// batch 128. Names: nn_forward/<sizes>, nn_step_sgd/<sizes>, nn_step_adam/<sizes>;
// bench/compare_pytorch.py reads them.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "polyleak/nn.hpp"

namespace {

using polyleak::Index;
using Network = polyleak::Mlp<float>;

constexpr Index batch_size = 128;

const std::vector<std::vector<Index>> networks = {{2, 25, 25, 25, 25, 2},
                                                  {600, 1024, 512, 256, 128, 100}};

std::string sizes_name(const std::vector<Index>& sizes) {
  std::string name;
  for (const Index size : sizes) {
    if (!name.empty()) name += '-';
    name += std::to_string(size);
  }
  return name;
}

/// Multiply-adds of one forward pass per point, times two.
double forward_flops_per_point(const std::vector<Index>& sizes) {
  double flops = 0;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l)
    flops += 2.0 * double(sizes[l] * sizes[l + 1]);
  return flops;
}

/// Forward, weight gradients and input gradients of every layer except the first.
double step_flops_per_point(const std::vector<Index>& sizes) {
  const double first_layer = 2.0 * double(sizes[0] * sizes[1]);
  return 3 * forward_flops_per_point(sizes) - first_layer;
}

struct Batch {
  Network network;
  polyleak::Matrix<float> inputs;
  std::vector<Index> labels;

  explicit Batch(const std::vector<Index>& sizes)
      : network(Network::he_initialized(sizes, 1)), inputs(sizes.front(), batch_size) {
    polyleak::Rng rng(2);
    inputs = polyleak::random_uniform<float>(sizes.front(), batch_size, 0, 1, rng);
    for (Index j = 0; j < batch_size; ++j)
      labels.push_back(j % sizes.back());
  }
};

void set_counters(benchmark::State& state, double flops_per_point) {
  const double points = double(state.iterations()) * double(batch_size);
  state.SetItemsProcessed(std::int64_t(points));
  state.counters["FLOP/s"] = benchmark::Counter(
      points * flops_per_point, benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

void forward(benchmark::State& state, const std::vector<Index>& sizes) {
  const Batch batch(sizes);
  for (auto _ : state) {
    polyleak::Matrix<float> logits = batch.network.forward_batch(batch.inputs);
    benchmark::DoNotOptimize(logits.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, forward_flops_per_point(sizes));
}

template <class Options>
void training_step(benchmark::State& state, const std::vector<Index>& sizes, Options options) {
  Batch batch(sizes);
  polyleak::Backpropagation<float> backpropagation(batch.network, batch_size);
  auto optimizer = polyleak::make_optimizer(options, batch.network);
  for (auto _ : state) {
    const double loss = backpropagation.compute(batch.network, batch.inputs, batch.labels,
                                                polyleak::Loss::cross_entropy);
    optimizer(batch.network, backpropagation.gradients());
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  set_counters(state, step_flops_per_point(sizes));
}

const bool registered = [] {
  for (const auto& sizes : networks) {
    const std::string name = sizes_name(sizes);
    benchmark::RegisterBenchmark(("nn_forward/" + name).c_str(), forward, sizes)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("nn_step_sgd/" + name).c_str(),
                                 training_step<polyleak::SgdOptions<float>>, sizes,
                                 polyleak::SgdOptions<float>{})
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("nn_step_adam/" + name).c_str(),
                                 training_step<polyleak::AdamOptions<float>>, sizes,
                                 polyleak::AdamOptions<float>{})
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
