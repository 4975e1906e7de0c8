#!/usr/bin/python3
"""Compare the fitted p-values of the composite Anderson-Darling and
Cramér-von Mises normality tests (D'Agostino and Stephens 1986, as
nortest 1.0-4 and stats.AndersonDarlingNormal / CramerVonMisesNormal use
them) with the limiting law of each statistic, far into the upper tail.
Only the doc comments of those functions use its output; no test reads it.

With the mean and variance estimated, the empirical process of
u = Phi((x - mean)/sd) has the limiting covariance
K(s, t) = min(s, t) - st - phi(a) phi(b) - a phi(a) b phi(b)/2, a = Phi^-1(s),
b = Phi^-1(t), and the statistics tend to sum_j lambda_j X_j with X_j
chi-square(1) and lambda_j the eigenvalues of K with weight 1/(t(1-t))
(A^2) or 1 (W^2). The eigenvalues come from a Nyström discretization in
x = Phi^-1(u) (trapezoidal rule, step 0.01 on [-10, 10]); with the simple
kernel min(s, t) - st it reproduces 1/(j(j+1)) to 1e-5 relative. The tail
is the branch-cut integral of stats/limit_tail.go for a finite list of
weights, in mpmath.

Run: /usr/bin/python3 composite_limit_tails.py (numpy, scipy 1.10.1,
mpmath 1.2.1; about a minute).
"""
import mpmath as mp
import numpy as np
from scipy import stats

HALF_WIDTH, STEP = 10.0, 0.01


def eigenvalues(kernel, weight, x):
    root = np.sqrt(weight * STEP)
    values = np.linalg.eigvalsh(root[:, None] * kernel * root[None, :])[::-1]
    return values[values > 1e-14]


def survival(z, lam):
    """P(sum lam_j X_j > z) from the cuts (s_k, s_(k+1)), k odd, s_j = 1/(2 lam_j)."""
    s = 1 / (2 * np.sort(lam)[::-1])
    mp.mp.dps = 30
    total = mp.mpf(0)
    for k in range(1, len(s), 2):
        a, b = mp.mpf(s[k - 1]), mp.mpf(s[k])
        if k > 1 and a * z > 120:
            break

        def integrand(t):
            sig = a + (b - a) * mp.sin(t) ** 2
            log_m = mp.mpf(0)
            for j, sj in enumerate(s):
                if j not in (k - 1, k):
                    log_m -= mp.log(abs(1 - sig / sj)) / 2
            # The factors of the two ends, (sig/a - 1)^(-1/2) (1 - sig/b)^(-1/2),
            # times ds = 2 (b - a) sin t cos t dt.
            ends = 2 * (b - a) / mp.sqrt((b - a) / a * (b - a) / b)
            return mp.exp(-(sig - a) * z + log_m) * ends / sig

        total += (-1) ** ((k - 1) // 2) * mp.exp(-a * z) * mp.quad(integrand, [0, mp.pi / 4, mp.pi / 2]) / mp.pi
    return total


def main():
    x = np.arange(-HALF_WIDTH, HALF_WIDTH + STEP / 2, STEP)
    u, phi, upper = stats.norm.cdf(x), stats.norm.pdf(x), stats.norm.sf(x)
    s, t = np.meshgrid(u, u, indexing="ij")
    simple = np.minimum(s, t) - s * t
    pa, pb = np.meshgrid(phi, phi, indexing="ij")
    xa, xb = np.meshgrid(x, x, indexing="ij")
    composite = simple - pa * pb - 0.5 * xa * pa * xb * pb

    check = eigenvalues(simple, phi / (u * upper), x)[:5]
    print("simple A^2 eigenvalues", check, "exact", [1 / (j * (j + 1)) for j in range(1, 6)])

    fits = [
        ("A^2", eigenvalues(composite, phi / (u * upper), x), [1, 1.5, 2, 3, 5, 8, 10, 12, 20],
         lambda a: np.exp(1.2937 - 5.709 * a + 0.0186 * a * a) if a < 10 else 3.7e-24),
        ("W^2", eigenvalues(composite, phi, x), [0.15, 0.2, 0.3, 0.5, 0.8, 1.0, 1.2, 1.5, 2],
         lambda w: np.exp(1.111 - 34.242 * w + 12.832 * w * w) if w < 1.1 else 7.37e-10),
    ]
    for name, lam, grid, fit in fits:
        print(name, "largest weights", lam[:4], "mean", lam.sum())
        for z in grid:
            limit = float(survival(z, lam))
            print(f"{name} = {z:g}: limiting p {limit:.4g}, fitted p {fit(z):.4g}, ratio {fit(z) / limit:.3g}")


if __name__ == "__main__":
    main()
