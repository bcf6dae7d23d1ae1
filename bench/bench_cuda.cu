// GPU microbenchmarks of module cuda: batched adapted weights (A_P, b_P of every point) against
// the same layer products done by cuBLAS (one GEMM per layer over the whole batch, no masks) and
// against the CPU path, and all raster maps of a 4096 x 4096 raster. GPU rows are timed with
// CUDA events around the launcher alone (manual time): the network, the points and every buffer
// are on the device and allocated before the timed loop, and one untimed call warms up. FLOP
// counters count the chain's matrix products, 2 flops per multiply-add, the same for polyleak and
// cuBLAS. Without a CUDA device the program says so and exits with status 0.

#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "bench_networks.hpp"
#include "polyleak/cuda.cuh"
#include "polyleak/geometry/batched_polytope_functions.hpp"
#include "polyleak/viz/raster_maps.hpp"

using namespace polyleak;

namespace {

/// The networks: 0 thin 2-D (forward, small-network path), 1 and 2 wide with 16 inputs and
/// outputs (forward, tiled), 3 Purchase-shaped (backward, tiled).
const std::vector<std::vector<Index>> networks = {{2, 25, 25, 25, 25, 2},
                                                  {16, 256, 256, 256, 16},
                                                  {16, 1024, 1024, 1024, 16},
                                                  {600, 1024, 512, 256, 128, 100}};

/// He weights (seed 42) and N(0, 0.5) biases (seed 43), as bench_geometry.
template <RealScalar Scalar>
Mlp<Scalar> network_with_biases(const std::vector<Index>& sizes) {
  return bench::network_with_biases<Scalar>(sizes, 42, 43, Scalar(0.5));
}

template <RealScalar Scalar>
Matrix<Scalar> batch_for(const std::vector<Index>& sizes, Index n) {
  Rng rng(7);
  return random_uniform<Scalar>(sizes.front(), n, -1, 1, rng);
}

/// Flops per point of the chain's products: forward W_0 x and (d + 1) columns through every
/// later layer; backward a forward pass for the masks and m rows through every earlier layer.
double chain_flops(const std::vector<Index>& sizes, bool forward) {
  const double d = double(sizes.front()), m = double(sizes.back());
  const std::size_t layers = sizes.size() - 1;
  double flops = 0;
  for (std::size_t l = 0; l < layers; ++l) {
    const double product = 2.0 * double(sizes[l]) * double(sizes[l + 1]);
    if (forward)
      flops += l == 0 ? product : product * (d + 1);
    else
      flops += product + (l + 1 < layers ? product * m : 0.0);
  }
  return flops;
}

bool forward_mode(const std::vector<Index>& sizes) {
  return sizes.front() <= sizes.back();
}

void set_counters(benchmark::State& state, Index n, double flops_per_point) {
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["FLOP/s"] = benchmark::Counter(
      double(state.iterations()) * double(n) * flops_per_point, benchmark::Counter::kIsRate);
}

/// Seconds of GPU work between two CUDA events recorded around `work`.
class EventTimer {
 public:
  EventTimer() {
    POLYLEAK_CUDA_CHECK(cudaEventCreate(&start_));
    POLYLEAK_CUDA_CHECK(cudaEventCreate(&stop_));
  }
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;
  ~EventTimer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }

  template <class Work>
  double seconds(Work&& work) {
    POLYLEAK_CUDA_CHECK(cudaEventRecord(start_));
    work();
    POLYLEAK_CUDA_CHECK(cudaEventRecord(stop_));
    POLYLEAK_CUDA_CHECK(cudaEventSynchronize(stop_));
    float milliseconds = 0;
    POLYLEAK_CUDA_CHECK(cudaEventElapsedTime(&milliseconds, start_, stop_));
    return double(milliseconds) / 1000.0;
  }

 private:
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

// Args: network, batch size. polyleak's launcher from device points into a device batch.
template <RealScalar Scalar>
void BM_AdaptedWeightsCuda(benchmark::State& state) {
  const auto& sizes = networks[std::size_t(state.range(0))];
  const Index n = state.range(1);
  const auto network = network_with_biases<Scalar>(sizes);
  const Matrix<Scalar> points = batch_for<Scalar>(sizes, n);
  const DeviceNetwork<Scalar> device_network(network);
  DeviceBuffer<Scalar> device_points(std::size_t(points.size()));
  device_points.upload(points.data(), std::size_t(points.size()));
  CudaWorkspace<Scalar> workspace;
  DevicePolytopeFunctionBatch<Scalar> batch;
  auto run = [&] {
    polytope_functions(CudaBackend{}, device_network, device_points.data(), n, batch, workspace);
  };
  run();
  POLYLEAK_CUDA_CHECK(cudaDeviceSynchronize());
  EventTimer timer;
  for (auto _ : state) {
    state.SetIterationTime(timer.seconds(run));
    benchmark::DoNotOptimize(batch.matrices.data());
  }
  set_counters(state, n, chain_flops(sizes, forward_mode(sizes)));
}

/// C = A B with cuBLAS (column-major, no transposes), float or double.
cublasStatus_t gemm(cublasHandle_t handle, Index rows, Index cols, Index depth, const float* a,
                    Index lda, const float* b, Index ldb, float* c, Index ldc) {
  const float one = 1, zero = 0;
  return cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, int(rows), int(cols), int(depth), &one, a,
                     int(lda), b, int(ldb), &zero, c, int(ldc));
}
cublasStatus_t gemm(cublasHandle_t handle, Index rows, Index cols, Index depth, const double* a,
                    Index lda, const double* b, Index ldb, double* c, Index ldc) {
  const double one = 1, zero = 0;
  return cublasDgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, int(rows), int(cols), int(depth), &one, a,
                     int(lda), b, int(ldb), &zero, c, int(ldc));
}

// Args: network, batch size. The chain's products alone, one cuBLAS GEMM per layer over the
// whole batch, in the direction polyleak takes; no masks, biases or gather.
template <RealScalar Scalar>
void BM_AdaptedWeightsCublas(benchmark::State& state) {
  const auto& sizes = networks[std::size_t(state.range(0))];
  const Index n = state.range(1);
  const bool forward = forward_mode(sizes);
  const auto network = network_with_biases<Scalar>(sizes);
  const DeviceNetwork<Scalar> device_network(network);
  const detail::NetworkView<Scalar>& view = device_network.view();
  const Index d = sizes.front(), m = sizes.back(), layers = Index(sizes.size()) - 1;
  const Index widest = *std::max_element(sizes.begin(), sizes.end());
  const Index carried = forward ? (d + 1) * n : m * n;
  DeviceBuffer<Scalar> x(std::size_t(d * n)), pre(std::size_t(widest * n)),
      first(std::size_t(widest * carried)), second(std::size_t(widest * carried));
  const Matrix<Scalar> points = batch_for<Scalar>(sizes, n);
  x.upload(points.data(), std::size_t(points.size()));
  first.zero(first.size());
  second.zero(second.size());
  pre.zero(pre.size());
  cublasHandle_t handle = nullptr;
  if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) {
    state.SkipWithError("cublasCreate failed");
    return;
  }
  cublasStatus_t status = CUBLAS_STATUS_SUCCESS;
  auto run = [&] {
    Scalar* current = first.data();
    Scalar* next = second.data();
    if (forward) {
      status = gemm(handle, view.rows(0), n, d, view.weights(0), view.rows(0), x.data(), d, current,
                    view.rows(0));
      for (Index l = 1; l < layers && status == CUBLAS_STATUS_SUCCESS; ++l) {
        status = gemm(handle, view.rows(l), carried, view.columns(l), view.weights(l), view.rows(l),
                      current, view.columns(l), next, view.rows(l));
        std::swap(current, next);
      }
      return;
    }
    // The forward pass for the masks (one scratch buffer), then the stacked rows backward.
    for (Index l = 0; l < layers && status == CUBLAS_STATUS_SUCCESS; ++l)
      status = gemm(handle, view.rows(l), n, view.columns(l), view.weights(l), view.rows(l),
                    l == 0 ? x.data() : pre.data(), view.columns(l), pre.data(), view.rows(l));
    for (Index l = layers - 2; l >= 0 && status == CUBLAS_STATUS_SUCCESS; --l) {
      status = gemm(handle, carried, view.columns(l), view.rows(l), current, carried,
                    view.weights(l), view.rows(l), next, carried);
      std::swap(current, next);
    }
  };
  run();
  POLYLEAK_CUDA_CHECK(cudaDeviceSynchronize());
  EventTimer timer;
  for (auto _ : state) {
    state.SetIterationTime(timer.seconds(run));
    benchmark::DoNotOptimize(first.data());
  }
  cublasDestroy(handle);
  if (status != CUBLAS_STATUS_SUCCESS) state.SkipWithError("a cuBLAS GEMM failed");
  set_counters(state, n, chain_flops(sizes, forward));
}

// Args: network, batch size. The CPU path (all threads), wall time.
template <RealScalar Scalar>
void BM_AdaptedWeightsCpu(benchmark::State& state) {
  const auto& sizes = networks[std::size_t(state.range(0))];
  const Index n = state.range(1);
  const auto network = network_with_biases<Scalar>(sizes);
  const Matrix<Scalar> points = batch_for<Scalar>(sizes, n);
  for (auto _ : state) {
    auto batch = polytope_functions(CpuBackend{}, network, points);
    benchmark::DoNotOptimize(batch.matrices.data());
  }
  set_counters(state, n, chain_flops(sizes, forward_mode(sizes)));
}

constexpr Index raster_side = 4096;

template <RealScalar Scalar>
RasterGrid<Scalar> raster_grid() {
  RasterGrid<Scalar> grid;
  grid.viewport = {{-1, 1, -1, 1}, raster_side, raster_side};
  return grid;
}

// All maps of a 4096 x 4096 raster into device memory (region edges and the distinct count
// included).
template <RealScalar Scalar>
void BM_RasterAllMapsCuda(benchmark::State& state) {
  const auto network = bench::raster_network<Scalar>();
  const DeviceNetwork<Scalar> device_network(network);
  const auto grid = raster_grid<Scalar>();
  CudaWorkspace<Scalar> workspace;
  DeviceRasterMaps<Scalar> maps;
  auto run = [&] { compute_raster_maps(CudaBackend{}, device_network, grid, maps, workspace); };
  run();
  POLYLEAK_CUDA_CHECK(cudaDeviceSynchronize());
  EventTimer timer;
  for (auto _ : state) {
    state.SetIterationTime(timer.seconds(run));
    benchmark::DoNotOptimize(maps.maps.confidence.data());
  }
  state.SetItemsProcessed(state.iterations() * raster_side * raster_side);
  state.counters["regions"] = double(maps.distinct_region_count);
}

// The same, with the maps copied into host RasterMaps (pageable memory), wall time.
template <RealScalar Scalar>
void BM_RasterAllMapsCudaToHost(benchmark::State& state) {
  const auto network = bench::raster_network<Scalar>();
  const DeviceNetwork<Scalar> device_network(network);
  const auto grid = raster_grid<Scalar>();
  CudaWorkspace<Scalar> workspace;
  benchmark::DoNotOptimize(compute_raster_maps(CudaBackend{}, device_network, grid, workspace));
  for (auto _ : state) {
    auto maps = compute_raster_maps(CudaBackend{}, device_network, grid, workspace);
    benchmark::DoNotOptimize(maps.confidence.data());
  }
  state.SetItemsProcessed(state.iterations() * raster_side * raster_side);
}

void gpu_arguments(benchmark::internal::Benchmark* b) {
  b->Args({0, 1 << 20})->Args({1, 1 << 12})->Args({2, 1 << 12})->Args({3, 1 << 10});
}
void cpu_arguments(benchmark::internal::Benchmark* b) {
  b->Args({0, 1 << 16})->Args({1, 1 << 8})->Args({2, 1 << 6})->Args({3, 1 << 6});
}

}  // namespace

BENCHMARK(BM_AdaptedWeightsCuda<float>)
    ->Apply(gpu_arguments)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AdaptedWeightsCublas<float>)
    ->Apply(gpu_arguments)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AdaptedWeightsCuda<double>)
    ->Apply(gpu_arguments)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AdaptedWeightsCublas<double>)
    ->Apply(gpu_arguments)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AdaptedWeightsCpu<float>)
    ->Apply(cpu_arguments)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RasterAllMapsCuda<float>)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RasterAllMapsCuda<double>)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RasterAllMapsCudaToHost<float>)->UseRealTime()->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  const CudaDeviceStatus status = cuda_device_status();
  if (!status.available()) {
    std::cout << "bench_cuda: no usable CUDA device, nothing measured (" << status.reason << ")\n";
    return 0;
  }
  cudaDeviceProp properties{};
  POLYLEAK_CUDA_CHECK(cudaGetDeviceProperties(&properties, 0));
  benchmark::AddCustomContext("gpu", properties.name);
  benchmark::AddCustomContext("gpu_compute_capability", std::to_string(properties.major) + "." +
                                                            std::to_string(properties.minor));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
