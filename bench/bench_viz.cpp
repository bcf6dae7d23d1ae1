// Raster maps (Alg. 8) at 1024 x 1024 on a 2-25-25-25-25-2 network, against a plain forward pass
// over the same pixels, and the cost of turning maps into images and GIF frames.

#include <benchmark/benchmark.h>

#include <filesystem>

#include "bench_networks.hpp"
#include "polyleak/viz.hpp"

using namespace polyleak;

namespace {

constexpr Index side = 1024;
// Multiply-adds of one forward pass of 2-25-25-25-25-2, counted as 2 FLOPs each.
constexpr double forward_flops = 2.0 * (2 * 25 + 3 * 25 * 25 + 25 * 2);

template <class Scalar>
RasterGrid<Scalar> grid() {
  RasterGrid<Scalar> g;
  g.viewport = {{-1, 1, -1, 1}, side, side};
  return g;
}

void set_counters(benchmark::State& state, double forward_passes_per_pixel) {
  const double pixels = double(side * side) * double(state.iterations());
  state.SetItemsProcessed(std::int64_t(pixels));
  state.counters["FLOP/s(forward-equiv)"] = benchmark::Counter(
      pixels * forward_flops * forward_passes_per_pixel, benchmark::Counter::kIsRate);
}

/// The baseline: the network's logits at every pixel, in the same parallel row blocks as the
/// raster maps.
template <class Scalar>
void BM_ForwardPass(benchmark::State& state) {
  const auto mlp = bench::raster_network<Scalar>();
  const auto g = grid<Scalar>();
  const Index rows_per_block = detail::raster_batch_pixels / side;
  for (auto _ : state) {
#pragma omp parallel for schedule(dynamic)
    for (Index first = 0; first < side; first += rows_per_block) {
      const Matrix<Scalar> logits = mlp.forward_batch(g.row_points(first, rows_per_block));
      benchmark::DoNotOptimize(logits.data());
    }
  }
  set_counters(state, 1);
}

/// Predicted class, confidence, output norm, ||A_P||_F, ||A_P||_2, ||b_P||_inf.
template <class Scalar>
void BM_NormMaps(benchmark::State& state) {
  const auto mlp = bench::raster_network<Scalar>();
  const auto g = grid<Scalar>();
  for (auto _ : state) {
    const auto maps = compute_raster_maps(mlp, g, {false});
    benchmark::DoNotOptimize(maps.confidence.data());
  }
  set_counters(state, 1);
}

/// All maps: the norm maps plus region edges and the distinct-region count.
template <class Scalar>
void BM_AllMaps(benchmark::State& state) {
  const auto mlp = bench::raster_network<Scalar>();
  const auto g = grid<Scalar>();
  Index regions = 0;
  for (auto _ : state) {
    const auto maps = compute_raster_maps(mlp, g);
    regions = maps.distinct_region_count;
    benchmark::DoNotOptimize(maps.region_edges.data());
  }
  set_counters(state, 1);
  state.counters["regions"] = double(regions);
}

/// Turning one computed map into an image (colormap, colour bar; class colours; edges).
void BM_MapImage(benchmark::State& state) {
  const auto maps = compute_raster_maps(bench::raster_network<double>(), grid<double>());
  const auto map = static_cast<RasterMap>(state.range(0));
  state.SetLabel(std::string(raster_map_title(map)));
  for (auto _ : state) {
    const Image image = raster_map_image(maps, map);
    benchmark::DoNotOptimize(image.data());
  }
  state.SetItemsProcessed(std::int64_t(side * side) * std::int64_t(state.iterations()));
}

/// Quantising and compressing one 1024 x 1024 frame into a GIF.
void BM_GifFrame(benchmark::State& state) {
  const auto maps = compute_raster_maps(bench::raster_network<double>(), grid<double>(), {false});
  MapImageOptions options;
  options.color_bar = false;
  const Image frame = raster_map_image(maps, RasterMap::weight_frobenius_norm, options);
  const auto path = std::filesystem::temp_directory_path() / "polyleak_bench_viz.gif";
  GifWriter writer(path, frame.width(), frame.height());
  for (auto _ : state)
    writer.add_frame(frame);
  state.SetItemsProcessed(std::int64_t(side * side) * std::int64_t(state.iterations()));
}

}  // namespace

BENCHMARK(BM_ForwardPass<float>)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NormMaps<float>)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AllMaps<float>)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ForwardPass<double>)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NormMaps<double>)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AllMaps<double>)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MapImage)
    ->Arg(int(RasterMap::predicted_class))
    ->Arg(int(RasterMap::weight_frobenius_norm))
    ->Arg(int(RasterMap::region_edges))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_GifFrame)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
