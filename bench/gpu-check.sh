#!/usr/bin/env bash
# The GPU check of module cuda, for a machine with an NVIDIA GPU and the CUDA toolkit: configures
# preset `cuda` (build/cuda), builds the CUDA test and benchmark programs and the CPU test of the
# passes, runs the tests (every GPU case must run: a skipped case fails the check), runs
# compute-sanitizer memcheck on two GPU cases where compute-sanitizer exists, then the GPU
# benchmarks. Everything goes to a log file whose path is printed first and last; benchmark
# results also go to a JSON file next to it. Fails (exit status 1) without a GPU.
#
# Usage: bench/gpu-check.sh [extra Google Benchmark arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p build/cuda
log="$PWD/build/cuda/gpu-check-$(date -u +%Y%m%dT%H%M%SZ).log"
json="${log%.log}.json"
echo "gpu-check: log in $log"
exec > >(tee -a "$log") 2>&1

fail() {
  echo "gpu-check: FAILED: $*"
  echo "gpu-check: log in $log"
  exit 1
}
step() { echo "=== $(date -u +%H:%M:%S) $*"; }

step "machine"
gpus="$(nvidia-smi -L 2> /dev/null || true)"
if [[ "$gpus" != *GPU* ]]; then
  fail "no NVIDIA GPU found (nvidia-smi -L lists none); this check needs one"
fi
nvidia-smi -L
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
nvcc_path="$(command -v nvcc || true)"
if [ -z "$nvcc_path" ] && [ -x /usr/local/cuda/bin/nvcc ]; then
  nvcc_path=/usr/local/cuda/bin/nvcc
fi
[ -n "$nvcc_path" ] || fail "nvcc not found on the PATH or in /usr/local/cuda/bin"
"$nvcc_path" --version | tail -2
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores"

step "configure (preset cuda)"
CUDACXX="$nvcc_path" cmake --preset cuda > /dev/null
grep -q "POLYLEAK_BUILD_CUDA:BOOL=ON" build/cuda/CMakeCache.txt || fail "CUDA is off in build/cuda"

step "build cuda_kernels, cuda_host_device, bench_cuda (target polyleak_gpu_check)"
cmake --build build/cuda --target polyleak_gpu_check --parallel "$(nproc)"

step "CPU test of the passes (cuda_host_device)"
build/cuda/tests/cuda_host_device || fail "cuda_host_device"

step "GPU tests (ctest -L cuda)"
ctest_output="$(ctest --test-dir build/cuda -L cuda --output-on-failure 2>&1)" || {
  echo "$ctest_output"
  fail "GPU tests"
}
echo "$ctest_output"
if grep -q "Skipped" <<< "$ctest_output"; then
  ctest --test-dir build/cuda -L cuda -V 2>&1 | grep -m 3 "SKIPPED" || true
  fail "GPU tests were skipped although a GPU is present"
fi

step "compute-sanitizer memcheck"
sanitizer="$(command -v compute-sanitizer || true)"
[ -n "$sanitizer" ] || sanitizer="$(dirname "$nvcc_path")/compute-sanitizer"
if [ -x "$sanitizer" ]; then
  for case in "GPU batches equal the CPU reference<float>" \
    "GPU raster maps equal compute_raster_maps<float>"; do
    echo "--- memcheck: $case"
    timeout 150 "$sanitizer" --tool memcheck --error-exitcode 1 \
      build/cuda/tests/cuda_kernels "--test-case=$case" || fail "memcheck on '$case'"
  done
else
  echo "compute-sanitizer not found: memcheck not run"
fi

step "GPU benchmarks (bench_cuda)"
build/cuda/bench/bench_cuda --benchmark_min_time=0.2 --benchmark_out="$json" \
  --benchmark_out_format=json "$@" || fail "bench_cuda"

step "done in ${SECONDS} s"
echo "gpu-check: benchmark results in $json"
echo "gpu-check: log in $log"
