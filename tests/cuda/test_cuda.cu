// The CUDA launchers on the GPU against the CPU reference: patterns exactly, matrices and norms
// within the tolerances of comparison.hpp, for the edge sizes and random networks of
// comparison_cases() with fixed seeds, through the public CudaBackend entry points. Cases that
// need a device print why there is none and exit with 77, which CTest reports as skipped; the
// cases on shapes, errors and buffers run without one.

#include <doctest/doctest.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "comparison.hpp"
#include "polyleak/cuda.cuh"

using namespace polyleak;

namespace {

/// Unless a CUDA device is available: prints the runtime's reason and exits with 77 (skipped).
void require_device_or_skip() {
  const CudaDeviceStatus status = cuda_device_status();
  if (status.available()) return;
  std::cout << "SKIPPED: no usable CUDA device (" << status.reason << ")" << std::endl;
  std::exit(77);
}

/// The launchers' host entry points with one workspace, as the comparisons call them.
template <RealScalar Scalar>
struct CudaLaunch {
  CudaWorkspace<Scalar> work;

  PolytopeFunctionBatch<Scalar> functions(const Mlp<Scalar>& network, const Matrix<Scalar>& points,
                                          PropagationMode mode) {
    const DeviceNetwork<Scalar> device_network(network);
    return polytope_functions(CudaBackend{}, device_network, points, work, mode);
  }
  PolytopeNorms<Scalar> norms(const Mlp<Scalar>& network, const Matrix<Scalar>& points,
                              PropagationMode mode, ActivationPatternBatch* patterns) {
    const DeviceNetwork<Scalar> device_network(network);
    return polytope_norms(CudaBackend{}, device_network, points, work, patterns, mode);
  }
  ActivationPatternBatch patterns(const Mlp<Scalar>& network, const Matrix<Scalar>& points) {
    const DeviceNetwork<Scalar> device_network(network);
    return activation_patterns(CudaBackend{}, device_network, points, work);
  }
  Index distinct(const ActivationPatternBatch& patterns) {
    return distinct_pattern_count(CudaBackend{}, patterns);
  }
  RasterMaps<Scalar> raster(const Mlp<Scalar>& network, const RasterGrid<Scalar>& grid,
                            const RasterOptions& options) {
    const DeviceNetwork<Scalar> device_network(network);
    return compute_raster_maps(CudaBackend{}, device_network, grid, work, options);
  }
};

/// Everything through the backend tag only, as user code templated on a Backend calls it.
template <Backend B, RealScalar Scalar>
struct TaggedResults {
  PolytopeFunctionBatch<Scalar> functions;
  PolytopeNorms<Scalar> norms;
  ActivationPatternBatch patterns;
  RasterMaps<Scalar> maps;

  TaggedResults(const Mlp<Scalar>& network, const Matrix<Scalar>& points,
                const RasterGrid<Scalar>& grid)
      : functions(polytope_functions(B{}, network, points, PropagationMode::automatic)),
        norms(polytope_norms(B{}, network, points)),
        patterns(activation_patterns(B{}, network, points)),
        maps(compute_raster_maps(B{}, network, grid)) {}
};

}  // namespace

TEST_CASE_TEMPLATE("GPU batches equal the CPU reference", Scalar, float, double) {
  require_device_or_skip();
  CudaLaunch<Scalar> launch;
  test::compare_batches_with_cpu<Scalar>(launch);
}

TEST_CASE_TEMPLATE("GPU batches without the small-network path, in many chunks", Scalar, float,
                   double) {
  require_device_or_skip();
  CudaLaunch<Scalar> launch;
  launch.work.small_network_kernel = false;
  launch.work.chunk_scalar_budget = 4096;
  test::compare_batches_with_cpu<Scalar>(launch);
}

TEST_CASE_TEMPLATE("GPU raster maps equal compute_raster_maps", Scalar, float, double) {
  require_device_or_skip();
  for (const bool small : {true, false}) {
    CAPTURE(small);
    CudaLaunch<Scalar> launch;
    launch.work.small_network_kernel = small;
    launch.work.chunk_scalar_budget = 20000;
    test::compare_rasters_with_cpu<Scalar>(launch);
  }
}

TEST_CASE_TEMPLATE("the backend tag switches between CPU and GPU", Scalar, float, double) {
  require_device_or_skip();
  const auto network = test::random_network<Scalar>({2, 25, 25, 25, 25, 2}, 81);
  const Matrix<Scalar> points = test::comparison_points<Scalar>(2, 300, 82);
  RasterGrid<Scalar> grid;
  grid.viewport = {{-1, 1, -1, 1}, 40, 30};
  const TaggedResults<CpuBackend, Scalar> cpu(network, points, grid);
  const TaggedResults<CudaBackend, Scalar> gpu(network, points, grid);
  const std::vector<bool> near = test::near_hyperplane(network, points);
  test::count_left_out(near);
  test::check_functions(gpu.functions, cpu.functions, near);
  test::check_norms(gpu.norms, cpu.norms, points, cpu.functions.logits, near);
  test::check_patterns(gpu.patterns, activation_patterns(network, points), network, near);
  test::check_raster(gpu.maps, cpu.maps, network, grid);
}

TEST_CASE_TEMPLATE("device-resident results, reused buffers, repeatable bits", Scalar, float,
                   double) {
  require_device_or_skip();
  const auto network = test::random_network<Scalar>({2, 25, 25, 25, 25, 2}, 91);
  const DeviceNetwork<Scalar> device_network(network);
  CudaWorkspace<Scalar> workspace;
  const Matrix<Scalar> points = test::comparison_points<Scalar>(2, 5000, 92);
  DeviceBuffer<Scalar> device_points(std::size_t(points.size()));
  device_points.upload(points.data(), std::size_t(points.size()));

  DevicePolytopeFunctionBatch<Scalar> batch;
  polytope_functions(CudaBackend{}, device_network, device_points.data(), points.cols(), batch,
                     workspace);
  const PolytopeFunctionBatch<Scalar> first = to_host(batch);
  // A smaller batch into the same buffers, then the whole batch again: same bits.
  polytope_functions(CudaBackend{}, device_network, device_points.data(), 7, batch, workspace);
  CHECK(to_host(batch).biases == first.biases.leftCols(7));
  polytope_functions(CudaBackend{}, device_network, device_points.data(), points.cols(), batch,
                     workspace);
  const PolytopeFunctionBatch<Scalar> again = to_host(batch);
  CHECK(again.matrices == first.matrices);
  CHECK(again.biases == first.biases);
  test::check_functions(first, polytope_functions(CpuBackend{}, network, points),
                        test::near_hyperplane(network, points));

  RasterGrid<Scalar> grid;
  grid.viewport = {{-1, 1, -1, 1}, 300, 200};
  DeviceRasterMaps<Scalar> maps;
  compute_raster_maps(CudaBackend{}, device_network, grid, maps, workspace);
  const RasterMaps<Scalar> host_maps = to_host(maps);
  compute_raster_maps(CudaBackend{}, device_network, grid, maps, workspace);
  const RasterMaps<Scalar> repeated = to_host(maps);
  CHECK(repeated.weight_spectral_norm == host_maps.weight_spectral_norm);
  CHECK(repeated.region_edges == host_maps.region_edges);
  CHECK(repeated.distinct_region_count == host_maps.distinct_region_count);
  test::check_raster(host_maps, compute_raster_maps(CpuBackend{}, network, grid), network, grid);
}

TEST_CASE("launchers check shapes before they touch the device") {
  const auto network = test::random_network<float>({3, 5, 2}, 61);
  const Matrix<float> wrong = Matrix<float>::Zero(2, 4);
  CHECK_THROWS_AS(polytope_functions(CudaBackend{}, network, wrong), InvalidArgument);
  CHECK_THROWS_AS(polytope_norms(CudaBackend{}, network, wrong), InvalidArgument);
  CHECK_THROWS_AS(activation_patterns(CudaBackend{}, network, wrong), InvalidArgument);
  RasterGrid<float> grid;  // the 2-D input plane, for a 3-D network
  grid.viewport = {{-1, 1, -1, 1}, 4, 4};
  CHECK_THROWS_AS(compute_raster_maps(CudaBackend{}, network, grid), InvalidArgument);
  grid.viewport = {{1, -1, -1, 1}, 4, 4};  // empty box
  CHECK_THROWS_AS(compute_raster_maps(CudaBackend{}, test::random_network<float>({2, 3}, 1), grid),
                  InvalidArgument);
  DeviceBuffer<float> empty;
  const float value = 1;
  CHECK_THROWS_AS(empty.upload(&value, 1), InvalidArgument);
}

TEST_CASE("device state: the launchers need a device, CudaError names the failing call") {
  const CudaDeviceStatus status = cuda_device_status();
  CHECK(status.available() == status.reason.empty());
  const auto network = test::random_network<float>({2, 5, 2}, 71);
  const Matrix<float> points = test::comparison_points<float>(2, 3, 72);
  if (status.available()) {
    CHECK_NOTHROW(polytope_norms(CudaBackend{}, network, points));
  } else {
    CHECK_THROWS_AS(polytope_norms(CudaBackend{}, network, points), CudaError);
  }
  // A copy from a null device pointer fails with a device and without one.
  try {
    float value = 0;
    POLYLEAK_CUDA_CHECK(cudaMemcpy(&value, nullptr, sizeof(float), cudaMemcpyDeviceToHost));
    FAIL("cudaMemcpy from a null pointer did not fail");
  } catch (const CudaError& error) {
    CHECK(error.code() != cudaSuccess);
    CHECK(error.call().find("cudaMemcpy") == 0);
    CHECK(error.file().find("test_cuda.cu") != std::string::npos);
    CHECK(std::string(error.what()).find(error.call()) != std::string::npos);
  }
}
