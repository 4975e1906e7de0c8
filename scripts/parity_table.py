#!/usr/bin/env python3
"""Writes the Markdown tables of an MNIST parity run (scripts/mnist_parity.sh).

Usage: parity_table.py OUTDIR > results.md

Reads OUTDIR/{nidim,torch}_d{D}_{TAG}_seed{N}.json with their .meta files,
the CNN timing runs and determinism.txt, and prints one row per run, a
summary per setting with the acceptance checks, and the speed pairs.

Both sides are read the same way:
  MI estimate    nidim: mi_estimate; reference: test_mi. Both are ln B minus
                 the mean symmetric InfoNCE loss over the 39 full test batches
                 of 256, two augmented views with channel noise, the learned
                 temperature, eval-mode normalization, view seed 1234.
  two-view MI    nidim: two_view_mi; reference: gauss_two_view_mi, both
                 -d/2 ln(1 - 1/(1 + sigma^2)^2).
  max KS         nidim: report.max_ks_distance; reference: max of ks_D. Both
                 are the largest one-sample Kolmogorov-Smirnov distance of a
                 component of the 10,000 noiseless test embeddings to N(0, 1).
  max |corr|     nidim: report.max_abs_correlation; reference:
                 max_abs_offdiag_corr. Both are the largest absolute Pearson
                 correlation between two components of the same embeddings.
  images/s       the median over epochs of the training images per second
                 (the reference's samples_per_s; for nidim the median of
                 history[].samples_per_s). nidim's own images_per_s, the
                 mean over the run, is in the per-run table.
"""
import glob
import json
import os
import re
import statistics
import sys


def read_meta(path):
    meta = {}
    if os.path.exists(path):
        for line in open(path):
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    return meta


def nidim_row(j, meta):
    hist = j.get("history") or []
    secs = [h["seconds"] for h in hist]
    rep = j.get("report") or {}
    wall = float(meta.get("wall_s", "nan"))
    return dict(
        mi=j.get("mi_estimate"), two_view=j.get("two_view_mi"), ks=rep.get("max_ks_distance"),
        corr=rep.get("max_abs_correlation"), probe=j.get("linear_probe_accuracy"), knn=j.get("knn_accuracy"),
        ips=statistics.median(h["samples_per_s"] for h in hist) if hist else None,
        ips_mean=j.get("images_per_s"), epoch_s=statistics.median(secs) if secs else None,
        # The evaluation as timed by nidim train itself; older runs without
        # it fall back to the wall time minus training, which adds start-up.
        eval_s=j.get("eval_seconds") or (wall - sum(secs) if secs and wall == wall else None),
        tau=j.get("tau"))


def torch_row(j, meta):
    return dict(
        mi=j.get("test_mi"), two_view=j.get("gauss_two_view_mi"),
        ks=max(j["ks_D"]) if j.get("ks_D") else None, corr=j.get("max_abs_offdiag_corr"),
        probe=j.get("linear_probe_acc"), knn=j.get("knn5_acc"), ips=j.get("samples_per_s"),
        ips_mean=(60000 // j["batch"] * j["batch"] * len(j["epoch_seconds"]) / sum(j["epoch_seconds"]))
        if j.get("batch") and j.get("epoch_seconds") else None,
        epoch_s=j.get("median_epoch_s"), eval_s=j.get("eval_seconds"), tau=j.get("final_tau"))


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def load_runs(out):
    runs = {}
    pat = re.compile(r"^(nidim|torch)_d(\d+)_([\w.]+?)_seed(\d+)\.json$")
    for path in sorted(glob.glob(os.path.join(out, "*.json"))):
        m = pat.match(os.path.basename(path))
        if not m:
            continue
        side, d, tag, seed = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
        meta = read_meta(path[:-5] + ".meta")
        j = json.load(open(path))
        row = (nidim_row if side == "nidim" else torch_row)(j, meta)
        if tag == "nonoise":
            row["two_view"] = None  # no channel, so no Gaussian-channel figure
        row.update(side=side, d=d, tag=tag, seed=seed, meta=meta)
        runs[(d, tag, seed, side)] = row
    return runs


SETTING = {"s1": "sigma=1", "s0.5": "sigma=0.5", "nonoise": "no channel noise",
           "s1norecal": "sigma=1, --no-recalibrate", "s0.5norecal": "sigma=0.5, --no-recalibrate"}


def main():
    out = sys.argv[1]
    runs = load_runs(out)
    keys = sorted(runs, key=lambda k: (k[1] != "s1", k[1] != "s0.5", k[0], k[2], k[3]))

    if runs:
        print_runs(out, runs, keys)
    print_speed_and_checks(out)


def print_runs(out, runs, keys):
    """Prints the table of every run, the per-setting summary with the
    acceptance checks, the speed pairs and the cross-check."""
    print("### Every run\n")
    print("| setting | seed | side | MI est. (nats) | two-view MI | max KS | max abs corr | probe acc | kNN acc "
          "| images/s (median epoch) | images/s (mean) | epoch s | eval s | final tau | load before / after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for k in keys:
        r = runs[k]
        m = r["meta"]
        load = "%s / %s" % (m.get("load_before", "?").split(" ")[0], m.get("load_after", "?").split(" ")[0])
        print(f"| d={r['d']} {SETTING.get(r['tag'], r['tag'])} | {r['seed']} | {r['side']} | {fmt(r['mi'], '.3f')} "
              f"| {fmt(r['two_view'], '.3f')} | {fmt(r['ks'], '.3f')} | {fmt(r['corr'], '.3f')} "
              f"| {fmt(r['probe'], '.4f')} | {fmt(r['knn'], '.4f')} | {fmt(r['ips'], ',.0f')} "
              f"| {fmt(r['ips_mean'], ',.0f')} | {fmt(r['epoch_s'], '.1f')} | {fmt(r['eval_s'], '.1f')} "
              f"| {fmt(r['tau'], '.3f')} | {load} |")

    print("\n### Per setting: mean over seeds (range), and the acceptance checks\n")
    print("| setting | side | seeds | MI est. | max KS | max abs corr | probe acc | kNN acc |")
    print("|---|---|---|---|---|---|---|---|")
    checks = []
    for d, tag in sorted({(k[0], k[1]) for k in runs}, key=lambda x: (x[1] != "s1", x[1] != "s0.5", x[0])):
        agg = {}
        for side in ("nidim", "torch"):
            rs = [runs[k] for k in keys if k[0] == d and k[1] == tag and k[3] == side]
            if not rs:
                continue
            cell = {}
            for q in ("mi", "ks", "corr", "probe", "knn"):
                vals = [r[q] for r in rs if r[q] is not None]
                cell[q] = (statistics.mean(vals), min(vals), max(vals)) if vals else None
            agg[side] = cell
            row = [f"d={d} {SETTING.get(tag, tag)}", side, ",".join(str(r["seed"]) for r in rs)]
            for q, spec in (("mi", ".3f"), ("ks", ".3f"), ("corr", ".3f"), ("probe", ".4f"), ("knn", ".4f")):
                c = cell[q]
                row.append("-" if c is None else f"{c[0]:{spec}} ({c[1]:{spec}}-{c[2]:{spec}})")
            print("| " + " | ".join(row) + " |")
        if "nidim" in agg and "torch" in agg and tag in ("s1", "s0.5"):
            n, t = agg["nidim"], agg["torch"]
            mi_ok = n["mi"][0] >= 0.95 * t["mi"][0]
            ks_ok = n["ks"][0] <= t["ks"][0] + 0.01
            corr_ok = n["corr"][0] <= t["corr"][0] + 0.01
            checks.append(f"- d={d} {SETTING.get(tag, tag)}: MI {n['mi'][0]:.3f} vs 0.95 x {t['mi'][0]:.3f} = "
                          f"{0.95 * t['mi'][0]:.3f}: {'pass' if mi_ok else 'FAIL'}; max KS {n['ks'][0]:.3f} vs "
                          f"{t['ks'][0]:.3f} + 0.01: {'pass' if ks_ok else 'FAIL'}; max abs corr {n['corr'][0]:.3f} vs "
                          f"{t['corr'][0]:.3f} + 0.01: {'pass' if corr_ok else 'FAIL'} (means over seeds "
                          f"{','.join(str(k[2]) for k in keys if k[0] == d and k[1] == tag and k[3] == 'nidim')})")
    print()
    print("\n".join(checks))

    print("\n### Speed: nidim and the reference run back to back (same seed, setting and thread count)\n")
    print("| setting | seed | nidim images/s | reference images/s | ratio | load before nidim / reference |")
    print("|---|---|---|---|---|---|")
    for k in keys:
        if k[3] != "nidim" or (k[0], k[1], k[2], "torch") not in runs:
            continue
        n, t = runs[k], runs[(k[0], k[1], k[2], "torch")]
        if n["ips"] and t["ips"]:
            print(f"| d={k[0]} {SETTING.get(k[1], k[1])} | {k[2]} | {n['ips']:,.0f} | {t['ips']:,.0f} "
                  f"| {n['ips'] / t['ips']:.2f}x | {n['meta'].get('load_before', '?').split(' ')[0]} / "
                  f"{t['meta'].get('load_before', '?').split(' ')[0]} |")

    cross = []
    for k in keys:
        p = os.path.join(out, "nidim_d%d_%s_seed%d.test.npy" % (k[0], k[1], k[2]))
        if k[3] == "nidim" and os.path.exists(p):
            import numpy as np
            from scipy import stats
            z = np.load(p).astype(np.float64)
            ks = max(stats.kstest(z[:, j], "norm").statistic for j in range(z.shape[1]))
            c = np.corrcoef(z, rowvar=False)
            corr = float(np.max(np.abs(c - np.diag(np.diag(c)))))
            cross.append((k, ks, corr))
    if cross:
        print("\n### Cross-check: nidim's figures recomputed from `nidim embed` output as the reference computes them\n")
        print("| setting | seed | max KS: nidim report / scipy | max abs corr: nidim report / numpy |")
        print("|---|---|---|---|")
        for k, ks, corr in cross:
            r = runs[k]
            print(f"| d={k[0]} {SETTING.get(k[1], k[1])} | {k[2]} | {fmt(r['ks'], '.4f')} / {ks:.4f} "
                  f"| {fmt(r['corr'], '.4f')} / {corr:.4f} |")



def print_speed_and_checks(out):
    """Prints the CNN and training-speed pairs and the determinism check."""
    cnn = {}
    for name in ("nidim_cnn", "nidim_cnn_noeval", "torch_cnn"):
        p = os.path.join(out, name + ".json")
        if os.path.exists(p):
            j = json.load(open(p))
            meta = read_meta(os.path.join(out, name + ".meta"))
            if name.startswith("nidim"):
                ips = statistics.median(h["samples_per_s"] for h in j["history"])
            else:
                ips = j["samples_per_s"]
            cnn[name] = (ips, meta)
    if cnn:
        print("\n### CNN, one epoch\n")
        print("| run | images/s | load before / after | wall s |")
        print("|---|---|---|---|")
        for name, (ips, meta) in cnn.items():
            print(f"| {name} | {ips:,.0f} | {meta.get('load_before', '?').split(' ')[0]} / "
                  f"{meta.get('load_after', '?').split(' ')[0]} | {float(meta.get('wall_s', 'nan')):.1f} |")
        t = cnn.get("torch_cnn")
        n = cnn.get("nidim_cnn") or cnn.get("nidim_cnn_noeval")
        if t and n:
            print(f"\nCNN ratio nidim / reference: {n[0] / t[0]:.2f}x")

    speed = []
    for arch in ("mlp", "cnn"):
        pair = []
        for side in ("nidim", "torch"):
            p = os.path.join(out, f"{side}_speed_{arch}.json")
            if not os.path.exists(p):
                break
            j = json.load(open(p))
            meta = read_meta(os.path.join(out, f"{side}_speed_{arch}.meta"))
            ips = statistics.median(h["samples_per_s"] for h in j["history"]) if side == "nidim" else j["samples_per_s"]
            pair.append((ips, meta.get("load_before", "?").split(" ")[0]))
        if len(pair) == 2:
            speed.append((arch, pair))
    if speed:
        print("\n### Training speed alone, back to back (d=4, sigma=1, no evaluation)\n")
        print("| encoder | nidim images/s | reference images/s | ratio | load before nidim / reference |")
        print("|---|---|---|---|---|")
        for arch, ((n, ln), (t, lt)) in speed:
            print(f"| {arch} | {n:,.0f} | {t:,.0f} | {n / t:.2f}x | {ln} / {lt} |")

    det = os.path.join(out, "determinism.txt")
    if os.path.exists(det):
        print("\n### Determinism (same seed and thread count, one epoch, twice)\n")
        print("```\n" + open(det).read().rstrip() + "\n```")
        # The determinism runs train one epoch without evaluation, so their
        # wall time minus the epoch is nidim's start-up and saving overhead,
        # which the "eval s" column leaves out.
        over = []
        for i in (1, 2):
            p = os.path.join(out, f"det_{i}.json")
            if os.path.exists(p):
                j = json.load(open(p))
                wall = float(read_meta(os.path.join(out, f"det_{i}.meta")).get("wall_s", "nan"))
                over.append(wall - sum(h["seconds"] for h in j["history"]))
        if over:
            print("\nnidim start-up and checkpoint overhead (wall time minus the epoch of the runs above): "
                  + ", ".join(f"{v:.1f} s" for v in over))


if __name__ == "__main__":
    main()
