#!/usr/bin/env python3
"""Compares polyleak's throughput with PyTorch's on the CPU of this machine.

Usage: python3 bench/compare_pytorch.py [BENCH_NN] [--threads N] [--clock wall|cpu] [--rounds N]
                                       [--markdown]

BENCH_NN is the bench_nn program (default build/release/bench/bench_nn). On first use the script
creates a virtual environment under build/pytorch-venv and installs torch from PyPI into it (a few
GB: the PyPI wheel for Linux needs its CUDA libraries to import even on a CPU-only machine), then
runs itself inside it. Both sides use the same number of threads (default 2: OMP_NUM_THREADS for
polyleak's Eigen, torch.set_num_threads for PyTorch). Each round runs polyleak's benchmark
(median of 5 repetitions) and then the same work in PyTorch (median of 5 repetitions); the best
median of the rounds is reported, which damps the noise of a shared machine. On a busy machine,
`--threads 1 --clock cpu` times both sides by the CPU time of their one thread, which other
processes barely disturb (the wall clock, the default, is the only honest clock for more than one
thread).

Each comparison is a function that returns rows (name, polyleak items/s, PyTorch items/s); add
one to COMPARISONS for another module (e.g. geometry) and it joins the table.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "build", "pytorch-venv")
VENV_PYTHON = os.path.join(VENV, "bin", "python")
BATCH = 128
REPETITIONS = 5
UNITS = {"ns": 1e9, "us": 1e6, "ms": 1e3, "s": 1.0}
NETWORKS = [[2, 25, 25, 25, 25, 2], [600, 1024, 512, 256, 128, 100]]


def ensure_virtual_environment():
    """Re-runs this script inside build/pytorch-venv, creating it and installing torch if needed."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(VENV_PYTHON):
        print(f"creating {VENV} and installing torch (once; a few GB)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([VENV_PYTHON, "-m", "pip", "install", "--quiet", "torch"], check=True)
    os.execv(VENV_PYTHON, [VENV_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])


def run_google_benchmark(program, name_filter, threads, clock):
    """Median items/s of each benchmark of `program` whose name matches `name_filter`, by the
    wall clock or by the CPU time of the main thread."""
    command = [program, f"--benchmark_filter={name_filter}", "--benchmark_format=json",
               f"--benchmark_repetitions={REPETITIONS}", "--benchmark_report_aggregates_only=true",
               "--benchmark_min_time=0.3"]
    environment = dict(os.environ, OMP_NUM_THREADS=str(threads))
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=environment)
    result = {}
    for entry in json.loads(output.stdout)["benchmarks"]:
        if entry.get("aggregate_name") == "median":
            time_per_batch = entry["cpu_time" if clock == "cpu" else "real_time"]
            seconds = time_per_batch / UNITS[entry["time_unit"]]
            result[entry["run_name"].removesuffix("/real_time")] = BATCH / seconds
    return result


def median_rate(function, items, clock, min_time=0.3):
    """Median over REPETITIONS of items/s, each repetition running `function` for min_time s of
    the wall clock or of the process's CPU time."""
    timer = time.process_time if clock == "cpu" else time.perf_counter
    for _ in range(3):
        function()
    rates = []
    for _ in range(REPETITIONS):
        count = 0
        start = timer()
        while True:
            function()
            count += 1
            elapsed = timer() - start
            if elapsed >= min_time:
                break
        rates.append(count * items / elapsed)
    return statistics.median(rates)


def sizes_name(sizes):
    return "-".join(str(size) for size in sizes)


def pytorch_network(torch, sizes):
    layers = []
    for index in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[index], sizes[index + 1]))
        if index + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def compare_nn(bench_nn, threads, clock):
    """Forward pass and one training step (cross-entropy, SGD with momentum or Adam), batch 128."""
    import torch

    ours = run_google_benchmark(bench_nn, "^nn_", threads, clock)
    rows = []
    for sizes in NETWORKS:
        torch.manual_seed(1)
        name = sizes_name(sizes)
        model = pytorch_network(torch, sizes)
        inputs = torch.rand(BATCH, sizes[0])
        labels = torch.arange(BATCH) % sizes[-1]

        def forward():
            with torch.no_grad():
                model(inputs)

        rows.append((f"nn_forward/{name}", ours.get(f"nn_forward/{name}"),
                     median_rate(forward, BATCH, clock)))
        for key, optimizer in [("sgd", torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)),
                               ("adam", torch.optim.Adam(model.parameters(), lr=1e-3))]:
            def step(optimizer=optimizer):
                optimizer.zero_grad(set_to_none=True)
                loss = torch.nn.functional.cross_entropy(model(inputs), labels)
                loss.backward()
                optimizer.step()

            rows.append((f"nn_step_{key}/{name}", ours.get(f"nn_step_{key}/{name}"),
                         median_rate(step, BATCH, clock)))
    return rows


COMPARISONS = [("bench_nn", compare_nn)]


def cpu_model():
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in output.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench_nn", nargs="?",
                        default=os.path.join(ROOT, "build", "release", "bench", "bench_nn"))
    parser.add_argument("--threads", type=int, default=2, help="threads of both sides")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="cpu: CPU time, only with --threads 1")
    parser.add_argument("--rounds", type=int, default=1, help="best of this many rounds")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    arguments = parser.parse_args()
    if not os.access(arguments.bench_nn, os.X_OK):
        sys.exit(f"compare_pytorch.py: {arguments.bench_nn} is not an executable bench_nn; "
                 "build it first (cmake --build --preset cpu-release)")

    if arguments.clock == "cpu" and arguments.threads != 1:
        sys.exit("compare_pytorch.py: --clock cpu needs --threads 1")
    ensure_virtual_environment()
    import torch

    torch.set_num_threads(arguments.threads)
    programs = {"bench_nn": arguments.bench_nn}
    best = {}
    for _ in range(max(1, arguments.rounds)):
        for program, comparison in COMPARISONS:
            for name, ours, theirs in comparison(programs[program], arguments.threads,
                                                     arguments.clock):
                old = best.get(name, (0.0, 0.0))
                best[name] = (max(old[0], ours or 0.0), max(old[1], theirs))

    load = os.getloadavg()[0]
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores, load average {load:.1f}; threads: "
          f"{arguments.threads}; clock: {arguments.clock}; torch {torch.__version__}; batch "
          f"{BATCH}; best of {arguments.rounds} round(s), each the median of {REPETITIONS} "
          "repetitions")
    header = ("benchmark", "polyleak items/s", "PyTorch items/s", "polyleak/PyTorch")
    lines = [(name, f"{ours:,.0f}", f"{theirs:,.0f}", f"{ours / theirs:.2f}" if ours else "n/a")
             for name, (ours, theirs) in best.items()]
    if arguments.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(row[i]) for row in [header] + lines) for i in range(len(header))]
        for row in [header] + lines:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))


if __name__ == "__main__":
    main()
