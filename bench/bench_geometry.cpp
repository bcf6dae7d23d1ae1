// Microbenchmarks of module geometry (core part): activation patterns, polytope functions (one
// point at a time and batched, both propagation modes), polytope norms, and per-region facets and
// Chebyshev balls, on a 2-25-25-25-25-2 and a 600-1024-512-256-128-100 network. BM_Forward times a
// plain forward pass of the same batch, so the cost of A_P, b_P relative to it can be read off
// one run. FLOP counters count the matrix products (2 flops per multiply-add).

#include <benchmark/benchmark.h>

#include <vector>

#include "bench_networks.hpp"
#include "polyleak/geometry.hpp"

using namespace polyleak;

namespace {

const std::vector<Index> small_network = {2, 25, 25, 25, 25, 2};
const std::vector<Index> large_network = {600, 1024, 512, 256, 128, 100};

// He weights (seed 42) and N(0, 0.5) biases (seed 43).
template <RealScalar Scalar>
Mlp<Scalar> network_with_biases(const std::vector<Index>& sizes) {
  return bench::network_with_biases<Scalar>(sizes, 42, 43, Scalar(0.5));
}

const std::vector<Index>& sizes_of(int which) {
  return which == 0 ? small_network : large_network;
}

// Flops of one forward pass of one point.
double forward_flops(const std::vector<Index>& sizes) {
  double flops = 0;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l)
    flops += 2.0 * double(sizes[l] * sizes[l + 1]);
  return flops;
}

template <RealScalar Scalar>
Matrix<Scalar> batch_for(const std::vector<Index>& sizes, Index n) {
  Rng rng(7);
  return random_uniform<Scalar>(sizes.front(), n, -1, 1, rng);
}

void set_counters(benchmark::State& state, Index n, double flops_per_point) {
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["FLOP/s"] = benchmark::Counter(
      double(state.iterations()) * double(n) * flops_per_point, benchmark::Counter::kIsRate);
}

// Args: network (0 small, 1 large), batch size.
template <RealScalar Scalar>
void BM_Forward(benchmark::State& state) {
  const auto& sizes = sizes_of(int(state.range(0)));
  const auto network = network_with_biases<Scalar>(sizes);
  const Matrix<Scalar> points = batch_for<Scalar>(sizes, state.range(1));
  for (auto _ : state) {
    Matrix<Scalar> logits = network.forward_batch(points);
    benchmark::DoNotOptimize(logits.data());
  }
  set_counters(state, state.range(1), forward_flops(sizes));
}

template <RealScalar Scalar>
void BM_ActivationPatterns(benchmark::State& state) {
  const auto& sizes = sizes_of(int(state.range(0)));
  const auto network = network_with_biases<Scalar>(sizes);
  const Matrix<Scalar> points = batch_for<Scalar>(sizes, state.range(1));
  for (auto _ : state) {
    auto patterns = activation_patterns(network, points);
    benchmark::DoNotOptimize(patterns.data());
  }
  set_counters(state, state.range(1), forward_flops(sizes));
}

// PolytopeFunction (Alg. 2, 3) point by point: adapted weights of every layer.
template <RealScalar Scalar>
void BM_PolytopeFunctionSingle(benchmark::State& state) {
  const auto& sizes = sizes_of(int(state.range(0)));
  const auto network = network_with_biases<Scalar>(sizes);
  const Matrix<Scalar> points = batch_for<Scalar>(sizes, state.range(1));
  for (auto _ : state)
    for (Index j = 0; j < points.cols(); ++j) {
      const PolytopeFunction<Scalar> function(network, Vector<Scalar>(points.col(j)));
      benchmark::DoNotOptimize(function.matrix().data());
    }
  set_counters(state, state.range(1), double(sizes.front()) * forward_flops(sizes));
}

// Args: network, batch size, mode (0 automatic, 1 forward, 2 backward). FLOP/s counts the
// products of the chosen mode: (d + 1) forward passes, or one forward pass plus m backward.
template <RealScalar Scalar>
void BM_PolytopeFunctionsBatched(benchmark::State& state) {
  const auto& sizes = sizes_of(int(state.range(0)));
  const auto network = network_with_biases<Scalar>(sizes);
  const Matrix<Scalar> points = batch_for<Scalar>(sizes, state.range(1));
  const auto mode = PropagationMode(state.range(2));
  for (auto _ : state) {
    auto batch = polytope_functions(network, points, mode);
    benchmark::DoNotOptimize(batch.matrices.data());
  }
  const bool forward = resolved_propagation_mode(network, mode) == PropagationMode::forward;
  const double passes = forward ? double(sizes.front() + 1) : double(sizes.back() + 1);
  set_counters(state, state.range(1), passes * forward_flops(sizes));
}

template <RealScalar Scalar>
void BM_PolytopeNorms(benchmark::State& state) {
  const auto& sizes = sizes_of(int(state.range(0)));
  const auto network = network_with_biases<Scalar>(sizes);
  const Matrix<Scalar> points = batch_for<Scalar>(sizes, state.range(1));
  for (auto _ : state) {
    auto norms = polytope_norms(network, points);
    benchmark::DoNotOptimize(norms.frobenius_norm.data());
  }
  const double passes = double(std::min(sizes.front(), sizes.back()) + 1);
  set_counters(state, state.range(1), passes * forward_flops(sizes));
}

// Norms and activation patterns from one masked pass, with a workspace kept between iterations
// (as a raster loop keeps it between blocks).
template <RealScalar Scalar>
void BM_PolytopeNormsAndPatterns(benchmark::State& state) {
  const auto& sizes = sizes_of(int(state.range(0)));
  const auto network = network_with_biases<Scalar>(sizes);
  const Matrix<Scalar> points = batch_for<Scalar>(sizes, state.range(1));
  PolytopeWorkspace<Scalar> workspace;
  PolytopeNorms<Scalar> norms;
  ActivationPatternBatch patterns;
  for (auto _ : state) {
    polytope_norms(network, points, norms, workspace, &patterns);
    benchmark::DoNotOptimize(patterns.words.data());
  }
  const double passes = double(std::min(sizes.front(), sizes.back()) + 1);
  set_counters(state, state.range(1), passes * forward_flops(sizes));
}

// Per region: H-representation within [-1, 1]^d, then facets (one LP per constraint) or the
// Chebyshev ball (one LP). Args: network, query (0 facets, 1 Chebyshev ball). Regions of 16
// fixed points are cycled through.
void BM_RegionQuery(benchmark::State& state) {
  const auto& sizes = sizes_of(int(state.range(0)));
  const auto network = network_with_biases<double>(sizes);
  const Matrix<double> points = batch_for<double>(sizes, 16);
  const auto box = Box<double>::cube(sizes.front(), -1, 1);
  std::vector<Polytope<double>> regions;
  for (Index j = 0; j < points.cols(); ++j)
    regions.emplace_back(network, Vector<double>(points.col(j)), box);
  std::size_t next = 0;
  Index facet_count = 0;
  for (auto _ : state) {
    const auto& region = regions[next++ % regions.size()];
    if (state.range(1) == 0) {
      auto facets = region.facets();
      facet_count += Index(facets.size());
      benchmark::DoNotOptimize(facets.data());
    } else {
      auto ball = region.chebyshev_ball();
      benchmark::DoNotOptimize(ball.radius);
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.range(1) == 0)
    state.counters["facets/region"] = double(facet_count) / double(state.iterations());
}

}  // namespace

BENCHMARK(BM_Forward<float>)->Args({0, 1 << 14})->Args({1, 64})->Args({1, 1024});
BENCHMARK(BM_Forward<double>)->Args({0, 1 << 14})->Args({1, 64})->Args({1, 1024});
BENCHMARK(BM_ActivationPatterns<float>)->Args({0, 1 << 14})->Args({1, 1024});
BENCHMARK(BM_ActivationPatterns<double>)->Args({0, 1 << 14})->Args({1, 1024});
BENCHMARK(BM_PolytopeFunctionSingle<double>)->Args({0, 1024})->Args({1, 4});
BENCHMARK(BM_PolytopeFunctionsBatched<float>)
    ->Args({0, 1 << 14, 0})
    ->Args({0, 1 << 14, 2})
    ->Args({1, 64, 0});
BENCHMARK(BM_PolytopeFunctionsBatched<double>)
    ->Args({0, 1 << 14, 0})
    ->Args({0, 1 << 14, 2})
    ->Args({1, 64, 0})
    ->Args({1, 64, 1});
BENCHMARK(BM_PolytopeNorms<float>)->Args({0, 1 << 14})->Args({1, 64});
BENCHMARK(BM_PolytopeNorms<double>)->Args({0, 1 << 14})->Args({1, 64});
BENCHMARK(BM_PolytopeNormsAndPatterns<float>)->Args({0, 1 << 14});
BENCHMARK(BM_PolytopeNormsAndPatterns<double>)->Args({0, 1 << 14});
BENCHMARK(BM_RegionQuery)->Args({0, 0})->Args({0, 1})->Args({1, 1})->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
