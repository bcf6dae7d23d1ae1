// Microbenchmarks of module attack: exact ROC curve with AUC, attack features from logits, the
// target's scoring pass of an attack (the forward pass plus features) on a Location-sized
// network, and the per-point cost of the query-heavy attacks (HopSkipJump, the activation-polytope
// rays) on Location-shaped (446-128-30) and Purchase-shaped (600-1024-512-256-128-100) networks.

#include <benchmark/benchmark.h>

#include <vector>

#include "bench_networks.hpp"
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

// BinaryPointSetup's network and `n` points as a data set, labelled with the network's own
// predictions, so that every point is correctly classified.
struct LabelledSetup {
  Mlp<float> network;
  Dataset<float> points;
  LabelledSetup(Index which, Index n) : LabelledSetup(bench::BinaryPointSetup(which, n)) {}
  explicit LabelledSetup(bench::BinaryPointSetup&& setup) : network(std::move(setup.network)) {
    const Index n = setup.points.cols();
    points.features = std::move(setup.points);
    points.class_count = network.output_dimension();
    const Matrix<float> logits = network.forward_batch(points.features);
    for (Index j = 0; j < n; ++j) {
      Index label = 0;
      logits.col(j).maxCoeff(&label);
      points.labels.push_back(label);
    }
  }
  // Shadow data on the same network: members the first half of the points, non-members the rest.
  ShadowData<float> shadow() const {
    MembershipSplit<float> split;
    std::vector<Index> first, second;
    for (Index j = 0; j < points.size(); ++j)
      (j < points.size() / 2 ? first : second).push_back(j);
    split.shadow_train = points.subset(first);
    split.shadow_test = points.subset(second);
    return ShadowData<float>::from_split(split, network);
  }
};

// HopSkipJump (default options: 20 iterations) on 8 correctly labelled points per iteration;
// the threshold is fitted on 2 + 2 of them outside the timing.
void BM_HopSkipJump(benchmark::State& state) {
  const LabelledSetup setup(state.range(0), 8);
  HopSkipJumpOptions options;
  options.fit_points = 2;
  HopSkipJumpAttack<float> attack(options);
  attack.fit(setup.shadow());
  Index queries = 0;
  for (auto _ : state) {
    ModelQueries<float> target(setup.network);
    std::vector<double> scores = attack.score(target, setup.points);
    queries += target.query_count();
    benchmark::DoNotOptimize(scores.data());
  }
  state.SetItemsProcessed(state.iterations() * setup.points.size());
  state.counters["queries_per_point"] =
      benchmark::Counter(double(queries) / double(state.iterations() * setup.points.size()));
}
BENCHMARK(BM_HopSkipJump)->DenseRange(0, 1)->Unit(benchmark::kMillisecond);

// The activation-polytope attack's features (exact rays, default 4 rays of 8 crossings, all
// three metrics) of 8 points per iteration; rays drawn by fit() outside the timing.
void BM_ActivationPolytopeFeatures(benchmark::State& state) {
  const LabelledSetup setup(state.range(0), 8);
  ActivationPolytopeOptions<float> options;
  options.attack_model.kind = AttackModelKind::boosted_trees;
  options.attack_model.trees.tree_count = 2;
  options.attack_model.trees.thread_count = 1;
  ActivationPolytopeAttack<float> attack(options);
  attack.fit(setup.shadow());
  for (auto _ : state) {
    Matrix<double> features = attack.polytope_features(setup.network, setup.points.features);
    benchmark::DoNotOptimize(features.data());
  }
  state.SetItemsProcessed(state.iterations() * setup.points.size());
}
BENCHMARK(BM_ActivationPolytopeFeatures)->DenseRange(0, 1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
