#!/usr/bin/env python3
"""Times the whole golden-vector suite against the reference over each transport, next to a no-op
implementation over the same transport, and prints medians and ratios (issue 3's numbers).

    cargo build --release -p ivconform && python3 benches/suite_transports.py [--runs 7]

For each transport it runs `ivconform run ... --json` RUNS times with one connection (--jobs 1, so round
trips do not overlap) and reads from the JSON report:
  wall      the runner's wall time (after loading the vectors)
  startup   starting the IUT and the hello handshake (part of wall)
  calls     the sum of per-case round trips (time spent waiting on the IUT)
The harness's own overhead per case is (wall - startup - calls) / cases: time the harness spends outside
the IUT (building requests, grading, the leak scan, bookkeeping). It is compared with the no-op IUT's mean
round trip, the cheapest answer a transport can give.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "ivconform")


def reference_lib():
    for cand in ("target/release/deps/libivconform_ffi.so", "target/release/libivconform_ffi.so"):
        path = os.path.join(ROOT, cand)
        if os.path.isfile(path):
            return path
    sys.exit("libivconform_ffi.so not found: run `cargo build --release -p ivconform` first")


def build_noop_lib(tmp):
    out = os.path.join(tmp, "libnoop_ffi.so")
    src = os.path.join(ROOT, "benches", "fixtures", "noop_ffi.c")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-I", os.path.join(ROOT, "include"), src, "-o", out], check=True)
    return out


def start_http(noop):
    args = [BIN, "serve", "--http", "127.0.0.1:0", "--threads", "2"] + (["--noop"] if noop else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    assert line.startswith("listening on "), line
    return proc, line[len("listening on "):]


def one_run(iut_args, report):
    started = time.perf_counter()
    subprocess.run([BIN, "run", *iut_args, "--jobs", "1", "--quiet", "--json", report], stdout=subprocess.DEVNULL, check=False)
    process = time.perf_counter() - started
    with open(report) as f:
        summary = json.load(f)["summary"]
    n = summary["total"]
    overhead = (summary["wall_seconds"] - summary["startup_seconds"] - summary["calls_seconds"]) / n
    return {"process": process, "wall": summary["wall_seconds"], "calls_per_case": summary["calls_seconds"] / n,
            "overhead_per_case": overhead, "pass": summary["pass"], "cases": n}


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not os.path.isfile(BIN):
        sys.exit("target/release/ivconform not found: run `cargo build --release -p ivconform` first")
    tmp = tempfile.mkdtemp(prefix="ivconform-bench-")
    report = os.path.join(tmp, "report.json")
    noop_lib = build_noop_lib(tmp)
    servers = []
    try:
        ref_http, ref_url = start_http(False)
        noop_http, noop_url = start_http(True)
        servers = [ref_http, noop_http]
        setups = [
            ("ffi", ["--lib", reference_lib()], ["--lib", noop_lib]),
            ("stdio", ["--cmd", f"{BIN} serve --stdio"], ["--cmd", f"{BIN} serve --stdio --noop"]),
            ("http", ["--url", ref_url], ["--url", noop_url]),
        ]
        print(f"median of {args.runs} runs, --jobs 1, {os.cpu_count()} CPUs")
        print(f"{'transport':<9} {'suite wall':>11} {'process':>9} {'no-op wall':>11} {'ratio':>6} "
              f"{'ref RTT':>9} {'no-op RTT':>10} {'harness/case':>13} {'overhead %':>11}")
        for name, ref_args, noop_args in setups:
            ref = [one_run(ref_args, report) for _ in range(args.runs)]
            noop = [one_run(noop_args, report) for _ in range(args.runs)]
            assert all(r["pass"] == r["cases"] for r in ref), f"the reference must pass every case over {name}"
            wall, noop_wall = median_of(ref, "wall"), median_of(noop, "wall")
            noop_rtt = median_of(noop, "calls_per_case")
            overhead = median_of(noop, "overhead_per_case")
            print(f"{name:<9} {wall*1000:>9.1f}ms {median_of(ref, 'process')*1000:>7.1f}ms {noop_wall*1000:>9.1f}ms "
                  f"{wall/noop_wall:>6.2f} {median_of(ref, 'calls_per_case')*1e6:>7.1f}us {noop_rtt*1e6:>8.1f}us "
                  f"{overhead*1e6:>11.2f}us {100*overhead/noop_rtt:>10.1f}%")
    finally:
        for s in servers:
            s.kill()
            s.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
