#!/usr/bin/env python3
"""Compares polyleak's throughput with PyTorch's on the CPU of this machine.

Usage: python3 bench/compare_pytorch.py [BENCH_NN] [--bench-geometry PATH] [--only nn|geometry]
                                       [--threads N] [--clock wall|cpu] [--rounds N] [--markdown]

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
one to COMPARISONS for another module and it joins the table. `--only nn` or `--only geometry`
runs one of them. The geometry comparison times polyleak's batched polytope functions (A_P, b_P
of every point, bench_geometry beside BENCH_NN unless --bench-geometry says otherwise) against
PyTorch's torch.func.vmap of jacrev and of jacfwd and a masked chain written in PyTorch, after
checking that the three PyTorch results agree.
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


def run_google_benchmark(program, name_filter, threads, clock, batch_of=lambda name: BATCH):
    """Median items/s of each benchmark of `program` whose name matches `name_filter`, by the
    wall clock or by the CPU time of the main thread; an iteration of benchmark `name` processes
    batch_of(name) items."""
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
            name = entry["run_name"].removesuffix("/real_time")
            result[name] = batch_of(name) / seconds
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


# bench_geometry's rows for float A_P, b_P in automatic mode (forward for the 2-D network,
# backward for the wide one), with their batch sizes.
GEOMETRY_BATCHES = {"2-25-25-25-25-2": ("BM_PolytopeFunctionsBatched<float>/0/16384/0", 16384),
                    "600-1024-512-256-128-100": ("BM_PolytopeFunctionsBatched<float>/1/64/0", 64)}


def he_network(torch, sizes):
    """The network of bench_geometry's kind: He-normal weights, N(0, 0.5) biases, float."""
    model = pytorch_network(torch, sizes)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, torch.nn.Linear):
                layer.weight.normal_(0.0, (2.0 / layer.in_features) ** 0.5)
                layer.bias.normal_(0.0, 0.5)
    return model


def vmap_jacobian(torch, model, transform):
    """A_P, b_P of every point (rows of `points`) as vmap of jacrev or jacfwd: (n, m, d), (n, m)."""
    def logits_twice(point):
        logits = model(point)
        return logits, logits

    batched = torch.func.vmap(transform(logits_twice, has_aux=True))

    def polytope_functions(points):
        matrices, logits = batched(points)
        return matrices, logits - torch.einsum("nmd,nd->nm", matrices, points)

    return polytope_functions


def masked_chain(torch, model, forward):
    """A_P, b_P of every point as the masked chain W_L D_{L-1} ... D_0 W_0 in PyTorch, one batched
    matrix product per layer. Forward carries [A_l^T; z_l] ((d + 1) x n_l per point) from the
    input side; backward carries the m rows of W_L D_{L-1} ... W_l from the output side after a
    forward pass for the masks D_l (pre-activation > 0)."""
    linears = [layer for layer in model if isinstance(layer, torch.nn.Linear)]
    weights = [layer.weight.detach() for layer in linears]
    biases = [layer.bias.detach() for layer in linears]

    def chain_forward(points):
        n, d = points.shape
        carried = torch.cat([weights[0].t().expand(n, d, -1),
                             (points @ weights[0].t() + biases[0])[:, None, :]], dim=1)
        for weight, bias in zip(weights[1:], biases[1:]):
            carried = carried * (carried[:, d, :] > 0)[:, None, :]
            carried = (carried.reshape(n * (d + 1), -1) @ weight.t()).reshape(n, d + 1, -1)
            carried[:, d, :] += bias
        matrices = carried[:, :d, :].transpose(1, 2)
        logits = carried[:, d, :]
        return matrices, logits - torch.einsum("nmd,nd->nm", matrices, points)

    def chain_backward(points):
        n = points.shape[0]
        masks = []
        activation = points
        for weight, bias in zip(weights[:-1], biases[:-1]):
            pre_activation = activation @ weight.t() + bias
            masks.append(pre_activation > 0)
            activation = torch.relu(pre_activation)
        logits = activation @ weights[-1].t() + biases[-1]
        m = logits.shape[1]
        carried = weights[-1].expand(n, m, -1) * masks[-1][:, None, :]
        for layer in range(len(weights) - 2, -1, -1):
            carried = (carried.reshape(n * m, -1) @ weights[layer]).reshape(n, m, -1)
            if layer > 0:
                carried = carried * masks[layer - 1][:, None, :]
        return carried, logits - torch.einsum("nmd,nd->nm", carried, points)

    def polytope_functions(points):
        with torch.no_grad():
            return (chain_forward if forward else chain_backward)(points)

    return polytope_functions


def compare_geometry(bench_geometry, threads, clock):
    """A_P, b_P of every point of a batch (float; 16,384 points on the 2-D network, 64 on the wide
    one): polyleak's polytope_functions in automatic mode against PyTorch's vmap(jacrev),
    vmap(jacfwd) and masked chain (forward mode on the 2-D network, backward on the wide one, as
    polyleak chooses; on the 2-D network also backward). Exits if the PyTorch results disagree
    (allclose, relative 1e-4 of the largest entry of A_P)."""
    import torch

    batches = dict(GEOMETRY_BATCHES.values())
    ours = run_google_benchmark(bench_geometry, "^BM_PolytopeFunctionsBatched<float>/.*/0$",
                                threads, clock, batch_of=lambda name: batches.get(name, 0))
    rows = []
    for sizes in NETWORKS:
        torch.manual_seed(1)
        name = sizes_name(sizes)
        benchmark, batch = GEOMETRY_BATCHES[name]
        model = he_network(torch, sizes)
        points = torch.rand(batch, sizes[0]) * 2 - 1
        forward = sizes[0] <= sizes[-1]
        methods = {"vmap(jacrev)": vmap_jacobian(torch, model, torch.func.jacrev),
                   "vmap(jacfwd)": vmap_jacobian(torch, model, torch.func.jacfwd),
                   f"masked chain ({'forward' if forward else 'backward'})":
                       masked_chain(torch, model, forward)}
        if forward:  # backward costs about as much here (m = d), so it may be PyTorch's best
            methods["masked chain (backward)"] = masked_chain(torch, model, False)
        results = {method: function(points) for method, function in methods.items()}
        reference = results["vmap(jacrev)"]
        scale = reference[0].abs().max().item()
        with torch.no_grad():
            logits = model(points)
        for method, (matrices, biases) in results.items():
            if not (torch.allclose(matrices, reference[0], rtol=1e-4, atol=1e-4 * scale)
                    and torch.allclose(biases, reference[1], rtol=1e-4, atol=1e-4 * scale)
                    and torch.allclose(torch.einsum("nmd,nd->nm", matrices, points) + biases,
                                       logits, rtol=1e-4, atol=1e-4 * scale)):
                sys.exit(f"compare_pytorch.py: {method}'s A_P, b_P on {name} differ from "
                         "vmap(jacrev)'s or do not reproduce the logits")
        best = 0.0
        for method, function in methods.items():
            rate = median_rate(lambda: function(points), batch, clock)
            best = max(best, rate)
            rows.append((f"polytope_functions/{name} vs {method}", ours.get(benchmark), rate))
        rows.append((f"polytope_functions/{name} vs PyTorch best", ours.get(benchmark), best))
    return rows


COMPARISONS = [("bench_nn", compare_nn), ("bench_geometry", compare_geometry)]


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
    parser.add_argument("--bench-geometry", help="bench_geometry (default: beside BENCH_NN)")
    parser.add_argument("--only", choices=["nn", "geometry"], help="run one comparison only")
    parser.add_argument("--threads", type=int, default=2, help="threads of both sides")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="cpu: CPU time, only with --threads 1")
    parser.add_argument("--rounds", type=int, default=1, help="best of this many rounds")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    arguments = parser.parse_args()
    programs = {"bench_nn": arguments.bench_nn,
                "bench_geometry": arguments.bench_geometry or os.path.join(
                    os.path.dirname(arguments.bench_nn), "bench_geometry")}
    comparisons = [(program, comparison) for program, comparison in COMPARISONS
                   if arguments.only is None or program == f"bench_{arguments.only}"]
    for program, _ in comparisons:
        if not os.access(programs[program], os.X_OK):
            sys.exit(f"compare_pytorch.py: {programs[program]} is not an executable {program}; "
                     "build it first (cmake --build --preset cpu-release)")

    if arguments.clock == "cpu" and arguments.threads != 1:
        sys.exit("compare_pytorch.py: --clock cpu needs --threads 1")
    ensure_virtual_environment()
    import torch

    torch.set_num_threads(arguments.threads)
    best = {}
    for _ in range(max(1, arguments.rounds)):
        for program, comparison in comparisons:
            for name, ours, theirs in comparison(programs[program], arguments.threads,
                                                     arguments.clock):
                old = best.get(name, (0.0, 0.0))
                best[name] = (max(old[0], ours or 0.0), max(old[1], theirs))

    load = os.getloadavg()[0]
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores, load average {load:.1f}; threads: "
          f"{arguments.threads}; clock: {arguments.clock}; torch {torch.__version__}; batch "
          f"{BATCH} (nn), 16,384 or 64 points (geometry); best of {arguments.rounds} round(s), "
          f"each the median of {REPETITIONS} repetitions")
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
