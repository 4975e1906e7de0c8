#!/usr/bin/python3
"""Generate mean_covariance.json, the fixture of mean_covariance_test.go.

For each sample it stores the likelihood-ratio statistic of N(0, I)
against N(mu, Sigma), its mean and covariance parts, the Bartlett scale
df / E[T] and the p-value, computed without the Go package's formulas:
numpy's slogdet of the divisor-n covariance for the statistic, mpmath's
digamma at 50 digits for E[T] = -n sum_i [psi((n-i)/2) - ln(n/2)], and
mpmath's regularized upper incomplete gamma for the p-value (checked
against scipy.stats.chi2.sf where that is above 1e-300). It also stores
psi(x) - ln x at a few points, for the Go helper that computes it.

Samples: one of each (distribution, n, d) in multivariate.json, named
by its id in source_case and not stored again, plus
N(0, I), N(0, 1.1^2 I), a mean shifted by 0.1, d = 1 and n = d + 1,
drawn with numpy.random.default_rng and rounded to 6 decimals.

Run from stats/testdata: /usr/bin/python3 gen_mean_covariance.py
"""
import json
import platform

import mpmath as mp
import numpy as np
import scipy
from scipy import stats

mp.mp.dps = 50


def lrt(x):
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    xbar = x.mean(axis=0)
    centred = x - xbar
    s = centred.T @ centred / n
    sign, logdet = np.linalg.slogdet(s)
    assert sign > 0
    mean_part = n * float(xbar @ xbar)
    cov_part = n * (float(np.trace(s)) - logdet - d)
    direct = float(np.sum(x * x)) - n * logdet - n * d
    total = mean_part + cov_part
    assert abs(direct - total) <= 1e-9 * abs(total) + 1e-9, (direct, total)
    df = d * (d + 3) / 2
    e = -n * mp.fsum(mp.digamma(mp.mpf(n - i) / 2) - mp.log(mp.mpf(n) / 2) for i in range(1, d + 1))
    scale = mp.mpf(df) / e
    p = mp.gammainc(mp.mpf(df) / 2, mp.mpf(total) * scale / 2, mp.inf, regularized=True)
    sp = stats.chi2.sf(float(mp.mpf(total) * scale), df)
    if float(p) > 1e-300:
        assert abs(sp - float(p)) <= 1e-9 * float(p) + 1e-15, (sp, float(p))
    return {
        "statistic": total,
        "mean_part": mean_part,
        "covariance_part": cov_part,
        "df": df,
        "scale": float(scale),
        "pvalue": float(p),
    }


def main():
    with open("multivariate.json") as f:
        mv = json.load(f)
    cases = []
    seen = set()
    for c in mv["cases"]:
        p = c["params"]
        key = (p["distribution"], p["n"], p["d"])
        if key in seen:
            continue
        seen.add(key)
        cases.append({"id": "mc_%s_n%d_d%d" % key, "source_case": c["id"], "sample": c["x"]})

    def drawn(name, seed, n, d, scale=1.0, shift=0.0):
        rng = np.random.default_rng(seed)
        x = np.round(rng.standard_normal((n, d)) * scale + shift, 6)
        cases.append({"id": name, "params": {"n": n, "d": d, "seed": seed, "scale": scale, "shift": shift},
                      "x": x.tolist(), "sample": x.tolist()})

    drawn("mc_null_n1000_d8", 101, 1000, 8)
    drawn("mc_scale1.1_n1000_d8", 102, 1000, 8, scale=1.1)
    drawn("mc_shift0.1_n500_d4", 103, 500, 4, shift=0.1)
    drawn("mc_null_n50_d1", 104, 50, 1)
    drawn("mc_null_n6_d5", 105, 6, 5)
    drawn("mc_null_n1000_d16", 106, 1000, 16)
    for c in cases:
        c.update(lrt(c.pop("sample")))
        c["tolerance"] = {
            "statistic": {"abs": 1e-9, "rel": 1e-10},
            "mean_part": {"abs": 1e-9, "rel": 1e-10},
            "covariance_part": {"abs": 1e-9, "rel": 1e-10},
            "scale": {"abs": 0, "rel": 1e-12},
            "pvalue": {"abs": 1e-15, "rel": 1e-8},
        }
    psi = [{"x": x, "psi_minus_log": float(mp.digamma(mp.mpf(x)) - mp.log(mp.mpf(x)))}
           for x in (0.5, 1, 2.5, 9.75, 10, 10.5, 37, 1000, 1e6)]
    meta = {
        "description": "likelihood-ratio test of N(0, I) against N(mu, Sigma) with the exact Bartlett scale, and psi(x) - ln x",
        "generator": "gen_mean_covariance.py",
        "libraries": {"python": platform.python_version(), "numpy": np.__version__,
                      "scipy": scipy.__version__, "mpmath": mp.__version__},
    }
    with open("mean_covariance.json", "w") as f:
        json.dump({"meta": meta, "cases": cases, "psi_minus_log": psi}, f, separators=(",", ":"))
        f.write("\n")


main()
