#!/usr/bin/env python3
"""Recounts three rows of docs/calibration.md without nidim's code.

mardia: reimplements Mardia's small-sample skewness and finite-n kurtosis
p-values in numpy and counts them on N(0, I) samples (n = 50, d = 4).
sphericity: draws det R from its exact null law, a product of independent
Beta((n - j)/2, (j - 1)/2) variables, j = 2..d, and applies Bartlett's
chi-square p-value.
mean-covariance: draws the statistic from its exact null law through the
Bartlett decomposition of the Wishart matrix, and applies the
Bartlett-scaled chi-square p-value.

saddlepoint: the proposed fix for the last two. It computes their
p-values from the exact laws, whose cumulant generating functions are sums
of log-gamma terms, by the Lugannani-Rice saddlepoint approximation, and
counts them on draws of the same exact laws.

Each prints the ratio count/(draws * t) and the count at each level t.
Usage: calibration_exact_laws.py [mardia|sphericity|mean-covariance|saddlepoint ...]
Needs numpy and scipy; the four together take about 40 s of CPU.
"""
import sys

import numpy as np
from scipy import optimize, special, stats

LEVELS = (0.05, 0.01, 1e-3, 1.9e-4, 5e-5)


def ratios(p, draws):
    return " ".join(
        "t=%g: %.2f (%d)" % (t, (p <= t).sum() / (draws * t), (p <= t).sum())
        for t in LEVELS
    )


def mardia(n=50, d=4, draws=100_000, chunk=5000):
    rng = np.random.default_rng(7)
    df = d * (d + 1) * (d + 2) / 6
    k = (d + 1) * (n + 1) * (n + 3) / (n * ((n + 1) * (d + 1) - 6))
    mean = d * (d + 2) * (n - 1) / (n + 1)
    var = (8 * d * (d + 2) * (n - 3) * (n - d - 1) * (n - d + 1)
           / ((n + 1) ** 2 * (n + 3) * (n + 5)))
    ps, pk = [], []
    for _ in range(draws // chunk):
        x = rng.standard_normal((chunk, n, d))
        xc = x - x.mean(axis=1, keepdims=True)
        s_inv = np.linalg.inv(np.einsum("rni,rnj->rij", xc, xc) / n)
        m = np.einsum("rni,rij,rmj->rnm", xc, s_inv, xc)
        b1 = (m ** 3).sum(axis=(1, 2)) / n ** 2
        b2 = (np.diagonal(m, axis1=1, axis2=2) ** 2).sum(axis=1) / n
        ps.append(stats.chi2.sf(n * k * b1 / 6, df))
        pk.append(2 * stats.norm.sf(np.abs((b2 - mean) / np.sqrt(var))))
    print("mardia-skewness n=%d d=%d" % (n, d), ratios(np.concatenate(ps), draws))
    print("mardia-kurtosis n=%d d=%d" % (n, d), ratios(np.concatenate(pk), draws))


def sphericity(cases=((20, 16), (50, 16), (20, 4)), draws=2_000_000):
    rng = np.random.default_rng(11)
    for n, d in cases:
        logdet = np.zeros(draws)
        for j in range(2, d + 1):
            logdet += np.log(rng.beta((n - j) / 2, (j - 1) / 2, size=draws))
        factor = n - 1 - (2 * d + 5) / 6
        p = stats.chi2.sf(-factor * logdet, d * (d - 1) / 2)
        print("sphericity n=%d d=%d" % (n, d), ratios(p, draws))


def mean_covariance(cases=((20, 16), (50, 16), (200, 16), (20, 4)), draws=2_000_000):
    rng = np.random.default_rng(13)
    for n, d in cases:
        t = (rng.chisquare(d, draws) + rng.chisquare(d * (d - 1) / 2, draws)
             + n * d * np.log(n) - n * d)
        for j in range(1, d + 1):
            c = rng.chisquare(n - j, draws)
            t += c - n * np.log(c)
        i = np.arange(1, d + 1)
        null_mean = -n * np.sum(special.digamma((n - i) / 2) - np.log(n / 2))
        df = d * (d + 3) / 2
        p = stats.chi2.sf(t * df / null_mean, df)
        print("mean-covariance n=%d d=%d" % (n, d), ratios(p, draws))


def lugannani_rice(cgf, x, s_max):
    """Return the saddlepoint approximation to P(Y >= x), x above the mean.

    cgf(s) returns K(s), K'(s) and K''(s) for s < s_max.
    """
    s = optimize.brentq(lambda v: cgf(v)[1] - x, -50, s_max * (1 - 1e-12))
    k, _, k2 = cgf(s)
    w = np.sign(s) * np.sqrt(2 * (s * x - k))
    u = s * np.sqrt(k2)
    return stats.norm.sf(w) + stats.norm.pdf(w) * (1 / u - 1 / w)


def saddlepoint_ratios(cgf, s_max, y):
    """Count how often the draws y reach the value where the saddlepoint
    p-value equals each level t."""
    mean = cgf(0)[1]
    out = []
    for t in LEVELS:
        x = optimize.brentq(lambda v: lugannani_rice(cgf, v, s_max) - t, mean * 1.0001, mean * 50)
        c = (y >= x).sum()
        out.append("t=%g: %.2f (%d)" % (t, c / (len(y) * t), c))
    return " ".join(out)


def saddlepoint(cases=((20, 16), (50, 16), (20, 4)), draws=2_000_000):
    rng = np.random.default_rng(17)
    for n, d in cases:
        # -ln det R is a sum of -ln Beta(a_j, b_j).
        a = np.array([(n - j) / 2 for j in range(2, d + 1)])
        b = np.array([(j - 1) / 2 for j in range(2, d + 1)])

        def cgf_sphericity(s):
            k = np.sum(special.gammaln(a - s) - special.gammaln(a)
                       + special.gammaln(a + b) - special.gammaln(a + b - s))
            k1 = np.sum(special.digamma(a + b - s) - special.digamma(a - s))
            k2 = np.sum(special.polygamma(1, a - s) - special.polygamma(1, a + b - s))
            return k, k1, k2

        y = np.zeros(draws)
        for aj, bj in zip(a, b):
            y -= np.log(rng.beta(aj, bj, size=draws))
        print("sphericity saddlepoint n=%d d=%d" % (n, d), saddlepoint_ratios(cgf_sphericity, a.min(), y))

        # T = chi2(d + d(d-1)/2) + sum_j (c_j - n ln c_j) + n d ln n - n d.
        dof = np.array([n - j for j in range(1, d + 1)], dtype=float)
        free = d + d * (d - 1) / 2
        const = n * d * np.log(n) - n * d

        def cgf_mean_covariance(s):
            h = dof / 2 - n * s
            q = np.log1p(-2 * s)
            k = (-free / 2 * q + const * s
                 + np.sum(-n * s * np.log(2) + special.gammaln(h) - special.gammaln(dof / 2) - h * q))
            k1 = (free / (1 - 2 * s) + const
                  + np.sum(-n * np.log(2) - n * special.digamma(h) + n * q + 2 * h / (1 - 2 * s)))
            k2 = (2 * free / (1 - 2 * s) ** 2
                  + np.sum(n * n * special.polygamma(1, h) - 4 * n / (1 - 2 * s) + 4 * h / (1 - 2 * s) ** 2))
            return k, k1, k2

        t = rng.chisquare(free, draws) + const
        for k in dof:
            c = rng.chisquare(k, draws)
            t += c - n * np.log(c)
        s_max = min(0.5, dof.min() / (2 * n))
        print("mean-covariance saddlepoint n=%d d=%d" % (n, d), saddlepoint_ratios(cgf_mean_covariance, s_max, t))


CHECKS = {"mardia": mardia, "sphericity": sphericity, "mean-covariance": mean_covariance, "saddlepoint": saddlepoint}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(CHECKS):
        if name not in CHECKS:
            sys.exit("unknown check %r; use one of %s" % (name, ", ".join(CHECKS)))
        CHECKS[name]()
