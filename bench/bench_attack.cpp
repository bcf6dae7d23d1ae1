// Microbenchmarks of module attack: exact ROC curve with AUC, attack features from logits, and
// the target's scoring pass of an attack (the forward pass plus features) on a Location-sized
// network.

#include <benchmark/benchmark.h>

#include <vector>

#include "polyleak/attack.hpp"

using namespace polyleak;

namespace {

// Scores with ties (values rounded to 1/1024) and random membership, fixed seed.
void BM_RocCurveAndAuc(benchmark::State& state) {
  const Index n = state.range(0);
  Rng rng(1);
  std::uniform_int_distribution<int> level(0, 1023);
  std::bernoulli_distribution member(0.5);
  std::vector<double> scores(static_cast<std::size_t>(n));
  MembershipLabels is_member(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < scores.size(); ++i) {
    scores[i] = level(rng) / 1024.0;
    is_member[i] = member(rng);
  }
  for (auto _ : state) {
    const RocCurve roc = roc_curve(scores, is_member);
    double auc = area_under_curve(roc);
    benchmark::DoNotOptimize(auc);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_RocCurveAndAuc)->RangeMultiplier(4)->Range(1 << 10, 1 << 18);

// Top-3 sorted posteriors and logit-scaled confidences of n points with 30 classes.
void BM_AttackFeatures(benchmark::State& state) {
  const Index n = state.range(0), classes = 30;
  Rng rng(2);
  const Matrix<float> logits = random_normal<float>(classes, n, 0, 3, rng);
  std::vector<Index> labels(static_cast<std::size_t>(n));
  for (Index j = 0; j < n; ++j)
    labels[std::size_t(j)] = j % classes;
  for (auto _ : state) {
    Matrix<double> top = sorted_posteriors(logits, 3);
    std::vector<double> phi = logit_scaled_confidence(logits, labels);
    benchmark::DoNotOptimize(top.data());
    benchmark::DoNotOptimize(phi.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_AttackFeatures)->RangeMultiplier(4)->Range(1 << 10, 1 << 16);

// What an attack costs per target point: one forward pass of a 446-128-30 network plus the
// ML-Leaks features. FLOP counts the two matrix products (2 * m * k per point and layer).
void BM_ScoringPass(benchmark::State& state) {
  const Index n = state.range(0);
  const auto network = Mlp<float>::he_initialized({446, 128, 30}, 3);
  Rng rng(4);
  const Matrix<float> points = random_uniform<float>(446, n, 0, 1, rng);
  for (auto _ : state) {
    ModelQueries<float> queries(network);
    Matrix<double> top = sorted_posteriors(queries.logits(points), 3);
    benchmark::DoNotOptimize(top.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["FLOP/s"] = benchmark::Counter(
      double(state.iterations()) * double(n) * 2.0 * (446.0 * 128.0 + 128.0 * 30.0),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScoringPass)->RangeMultiplier(4)->Range(1 << 8, 1 << 14);

}  // namespace

BENCHMARK_MAIN();
