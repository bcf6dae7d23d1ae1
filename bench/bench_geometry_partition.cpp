// Benchmarks of the exact 2-D partition and of ray shooting, with a 1024 x 1024 raster of
// activation patterns of the same 2-D network for comparison in one run.

#include <benchmark/benchmark.h>

#include <unordered_set>

#include "bench_networks.hpp"
#include "polyleak/data/clusters2d.hpp"
#include "polyleak/geometry/partition2d.hpp"
#include "polyleak/geometry/ray_shooter.hpp"
#include "polyleak/nn/training.hpp"

using namespace polyleak;

namespace {

// A 2-25-25-25-25-2 network trained on Clusters2D, as in the thesis's figure 7.
const Mlp<double>& trained_network() {
  static const Mlp<double> network = [] {
    const auto data = make_clusters2d<double>(Clusters2dOptions{}, 1);
    auto mlp = Mlp<double>::he_initialized({2, 25, 25, 25, 25, 2}, 2);
    TrainingOptions<double> options;
    options.epochs = 300;
    options.batch_size = 64;
    options.optimizer = AdamOptions<double>{.learning_rate = 3e-3};
    options.seed = 3;
    train(mlp, data.features, data.labels, options);
    return mlp;
  }();
  return network;
}

// He-initialised network (seed) with N(0, 0.5) biases (seed + 1).
Mlp<double> random_network(std::vector<Index> sizes, std::uint64_t seed) {
  return bench::network_with_biases<double>(sizes, seed, seed + 1, 0.5);
}

double forward_flops(const Mlp<double>& network) {
  double flops = 0;
  for (Index l = 0; l < network.layer_count(); ++l)
    flops += 2.0 * double(network.weights(l).size());
  return flops;
}

// Pixel centres of a side x side raster of the unit square, one point per column.
Matrix<double> grid(Index side) {
  Matrix<double> points(2, side * side);
  for (Index i = 0; i < side; ++i)
    for (Index j = 0; j < side; ++j)
      points.col(i * side + j) << (double(i) + 0.5) / double(side),
          (double(j) + 0.5) / double(side);
  return points;
}

void BM_Partition2dUnitSquare(benchmark::State& state) {
  const auto& network = trained_network();
  Index regions = 0;
  for (auto _ : state) {
    const Partition2d<double> partition(network, SliceBox<double>{0, 1, 0, 1});
    regions = partition.region_count();
    benchmark::DoNotOptimize(partition.regions().data());
  }
  state.SetItemsProcessed(state.iterations() * regions);
  state.counters["regions"] = double(regions);
}
BENCHMARK(BM_Partition2dUnitSquare)->Unit(benchmark::kMillisecond);

void BM_RasterPatterns1024(benchmark::State& state) {
  const auto& network = trained_network();
  const Index side = 1024;
  Matrix<double> points(2, side * side);
  for (Index i = 0; i < side; ++i)
    for (Index j = 0; j < side; ++j)
      points.col(i * side + j) << (double(i) + 0.5) / double(side),
          (double(j) + 0.5) / double(side);
  Index distinct = 0;
  for (auto _ : state) {
    const auto patterns = activation_patterns<double>(network, points);
    distinct =
        Index(std::unordered_set<ActivationPattern>(patterns.begin(), patterns.end()).size());
    benchmark::DoNotOptimize(distinct);
  }
  state.SetItemsProcessed(state.iterations() * points.cols());
  state.counters["distinct_patterns"] = double(distinct);
  state.counters["FLOP/s"] = benchmark::Counter(
      double(state.iterations()) * double(points.cols()) * forward_flops(network),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RasterPatterns1024)->Unit(benchmark::kMillisecond);

// The lower bound of any raster method: the forward pass of the 1024 x 1024 grid alone, in chunks
// of 4096 points, with the signs of the hidden pre-activations counted.
void BM_RasterForwardOnly1024(benchmark::State& state) {
  const auto& network = trained_network();
  const Matrix<double> points = grid(1024);
  const Index chunk = 4096;
  for (auto _ : state) {
    Index active = 0;
    for (Index start = 0; start < points.cols(); start += chunk) {
      const auto z = network.pre_activations(points.middleCols(start, chunk));
      for (Index l = 0; l < network.hidden_layer_count(); ++l)
        active += (z[std::size_t(l)].array() > 0).count();
    }
    benchmark::DoNotOptimize(active);
  }
  state.SetItemsProcessed(state.iterations() * points.cols());
  state.counters["FLOP/s"] = benchmark::Counter(
      double(state.iterations()) * double(points.cols()) * forward_flops(network),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RasterForwardOnly1024)->Unit(benchmark::kMillisecond);

// Crossings per second of exact rays of up to state.range(1) crossings; range(0) selects the
// network (0: trained 2-D, 1: 600-1024-512-256-128-100); range(2): region norms on or off.
void BM_RayShooterExact(benchmark::State& state) {
  static const Mlp<double> wide = random_network({600, 1024, 512, 256, 128, 100}, 4);
  const Mlp<double>& network = state.range(0) == 0 ? trained_network() : wide;
  const RayShooter<double> shooter(network);
  RayShooterOptions<double> options;
  options.max_crossings = state.range(1);
  options.region_norms = state.range(2) != 0;
  Rng rng(5);
  const Index rays = 16;
  const Matrix<double> starts = random_uniform<double>(network.input_dimension(), rays, 0, 1, rng);
  const Matrix<double> directions =
      random_normal<double>(network.input_dimension(), rays, 0, 1, rng);
  Index crossings = 0;
  Index ray = 0;
  for (auto _ : state) {
    const auto path = shooter.shoot(starts.col(ray), directions.col(ray), options);
    crossings += Index(path.crossings.size());
    ray = (ray + 1) % rays;
    benchmark::DoNotOptimize(path.crossings.data());
  }
  state.SetItemsProcessed(crossings);
  state.counters["crossings_per_ray"] = double(crossings) / double(state.iterations());
}
BENCHMARK(BM_RayShooterExact)
    ->Args({0, 64, 0})
    ->Args({0, 64, 1})
    ->Args({1, 64, 0})
    ->Args({1, 64, 1})
    ->Unit(benchmark::kMillisecond);

// The thesis's Alg. 5 (10 boundaries, 20 steps) on the 600-D network, for comparison.
void BM_HyperedgeRayShooting(benchmark::State& state) {
  const auto network = random_network({600, 1024, 512, 256, 128, 100}, 4);
  const RayShooter<double> shooter(network);
  HyperedgeRayShootingOptions<double> options;
  Rng rng(6);
  const Vector<double> start = random_uniform<double>(600, 1, 0, 1, rng);
  Index boundaries = 0;
  for (auto _ : state) {
    const auto shot = shooter.hyperedge_ray_shooting(start, options);
    boundaries += Index(shot.boundary_points.size());
    benchmark::DoNotOptimize(shot.boundary_points.data());
  }
  state.SetItemsProcessed(boundaries);
}
BENCHMARK(BM_HyperedgeRayShooting)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
