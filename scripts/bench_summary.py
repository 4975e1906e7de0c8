#!/usr/bin/env python3
"""Summarizes the output folder of bench_side_by_side.sh as Markdown tables.

For each case the best figure over the rounds counts, for nidim and for the
anchor alike, and the ratio nidim / anchor is printed beside them.
Usage: bench_summary.py OUT_DIR
"""
import glob
import json
import os
import sys


def load_rows(folder, pattern):
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "round*", pattern))):
        with open(path) as f:
            data = json.load(f)
        rows.extend(data if isinstance(data, list) else [data])
    return rows


def best_gemm(rows):
    best = {}
    for r in rows:
        key = (r["op"], r["m"], r["k"], r["n"], r["threads"])
        best[key] = max(best.get(key, 0.0), r["gflops"])
    return best


def gemm_table(folder, ours, theirs, title):
    mine = best_gemm(load_rows(folder, ours))
    ref = best_gemm(load_rows(folder, theirs))
    print(f"\n{title}\n")
    print("| op | m | k | n | threads | nidim GFLOP/s | anchor GFLOP/s | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for key in sorted(mine, key=lambda k: (k[4], k[1], k[2], k[3], k[0])):
        if key in ref:
            op, m, k, n, t = key
            print(f"| {op} | {m} | {k} | {n} | {t} | {mine[key]:.1f} | {ref[key]:.1f} | {mine[key] / ref[key]:.2f} |")


def step_table(folder):
    mine, ref = {}, {}
    for r in load_rows(folder, "nidim-step.json"):
        mine[r["model"]] = max(mine.get(r["model"], 0.0), r["samples_per_s"])
    for r in load_rows(folder, "torch-step.json"):
        ref[r["model"]] = max(ref.get(r["model"], 0.0), r["samples_per_s"])
    print("\nTraining step, batch 256, two threads\n")
    print("| model | nidim samples/s | PyTorch samples/s | ratio |")
    print("|---|---|---|---|")
    for model in sorted(mine):
        if model in ref:
            print(f"| {model} | {mine[model]:.0f} | {ref[model]:.0f} | {mine[model] / ref[model]:.2f} |")


def main():
    folder = sys.argv[1]
    gemm_table(folder, "nidim-avx512-t1.json", "openblas-avx512-t1.json", "AVX-512, one thread, against OpenBLAS's AVX-512 kernel")
    gemm_table(folder, "nidim-avx2-t1.json", "openblas-haswell-t1.json", "AVX2, one thread, against OpenBLAS's Haswell kernel")
    gemm_table(folder, "nidim-avx512-t2.json", "openblas-avx512-t2.json", "AVX-512, two threads, against OpenBLAS's AVX-512 kernel")
    step_table(folder)


if __name__ == "__main__":
    main()
