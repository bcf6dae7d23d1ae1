// Microbenchmarks of the distance to the decision boundary: the gradient search (Alg. 9) per
// loss and the exact L2 distance (best-first region walk, fixed region budget) on Location-shaped
// (446-128-30) and Purchase-shaped (600-1024-512-256-128-100) He-initialised networks with random
// 0/1 points (fixed seeds). Counters: points/s, and regions visited per point for the exact one.

#include <benchmark/benchmark.h>

#include <vector>

#include "bench_networks.hpp"
#include "polyleak/geometry/boundary_distance.hpp"
#include "polyleak/geometry/boundary_search.hpp"

using namespace polyleak;

namespace {

// 64 random binary points on a Location- or Purchase-shaped network.
struct Setup : bench::BinaryPointSetup {
  explicit Setup(Index which) : BinaryPointSetup(which, 64) {}
};

void BM_GradientBoundarySearch(benchmark::State& state) {
  const Setup setup(state.range(0));
  BoundarySearchOptions<float> options;
  options.loss = BoundaryLoss(state.range(1));
  Index point = 0, passes = 0;
  for (auto _ : state) {
    const auto result =
        boundary_search(setup.network, setup.points.col(point++ % setup.points.cols()), options);
    passes += result.forward_passes;
    benchmark::DoNotOptimize(result.distance);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["passes_per_point"] =
      benchmark::Counter(double(passes) / double(state.iterations()));
  state.SetLabel(to_string(options.loss));
}
BENCHMARK(BM_GradientBoundarySearch)
    ->ArgsProduct({{0, 1}, {0, 1, 2, 3}})
    ->Unit(benchmark::kMillisecond);

void BM_ExactBoundaryDistance(benchmark::State& state) {
  const Setup setup(state.range(0));
  BoundaryDistanceOptions<float> options;
  options.region_budget = state.range(1);
  Index point = 0, visited = 0, certified = 0;
  for (auto _ : state) {
    const auto result =
        boundary_distance(setup.network, setup.points.col(point++ % setup.points.cols()), options);
    visited += result.regions_visited;
    certified += result.certified;
    benchmark::DoNotOptimize(result.distance);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["regions_per_point"] =
      benchmark::Counter(double(visited) / double(state.iterations()));
  state.counters["certified_fraction"] =
      benchmark::Counter(double(certified) / double(state.iterations()));
}
BENCHMARK(BM_ExactBoundaryDistance)
    ->Args({0, 1})
    ->Args({0, 10})
    ->Args({0, 100})
    ->Args({1, 1})
    ->Args({1, 10})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
