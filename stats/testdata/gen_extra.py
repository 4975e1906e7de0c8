#!/usr/bin/python3
"""Generate extra_dists.json and epps_pulley.json, the fixtures of
dist_extra_test.go and epps_pulley_test.go.

extra_dists.json: PDF, CDF, survival, their logs, quantile and inverse
survival of the logistic, Laplace and exponential distributions, and the
transform F^-1(Phi(z)) (FromGaussian), evaluated in mpmath at 800 digits from
the textbook formulas. At moderate arguments the script asserts that
scipy.stats agrees to 1e-12 relative, so the fixture is also a scipy check.

epps_pulley.json: the Epps-Pulley statistic, composite (standardized with
the divisor-n standard deviation) and specified (against N(0, 1)), computed
two ways that share no code with the Go package: the numpy closed form with
pairwise terms, and scipy.integrate.quad of the defining weighted L2
integral n * int |psi_n(t) - exp(-t^2/2)|^2 phi(t) dt. The script asserts
that the two agree to 1e-9 relative and stores the closed form. It also
stores the leading eigenvalues of the covariance kernels of the limit laws,
by a Nystrom discretization on 80 Gauss-Hermite nodes (the Go code uses the
trapezoidal rule and Jacobi rotations, so the two share only the kernel).

Run from stats/testdata: /usr/bin/python3 gen_extra.py
"""
import json
import math
import platform

import mpmath as mp
import numpy as np
import scipy
from scipy import integrate, stats

# 800 digits, so that 1 - e^-1487 and 1 - exp(-1e-300) keep their
# leading digits without rewriting the formulas in log1p or expm1 form.
mp.mp.dps = 800


def logistic_ref(mu, s):
    def cdf(x):
        return 1 / (1 + mp.exp(-(x - mu) / s))

    def sf(x):
        return 1 / (1 + mp.exp((x - mu) / s))

    def pdf(x):
        z = (x - mu) / s
        return mp.exp(-z) / (s * (1 + mp.exp(-z)) ** 2)

    def ppf(p):
        return mu + s * (mp.log(p) - mp.log(1 - p))

    def isf(q):
        return mu - s * (mp.log(q) - mp.log(1 - q))

    return pdf, cdf, sf, ppf, isf


def laplace_ref(mu, b):
    def cdf(x):
        z = (x - mu) / b
        return mp.exp(z) / 2 if z < 0 else 1 - mp.exp(-z) / 2

    def sf(x):
        z = (x - mu) / b
        return mp.exp(-z) / 2 if z > 0 else 1 - mp.exp(z) / 2

    def pdf(x):
        return mp.exp(-abs((x - mu) / b)) / (2 * b)

    def ppf(p):
        return mu + b * mp.log(2 * p) if p <= 0.5 else mu - b * mp.log(2 * (1 - p))

    def isf(q):
        return mu - b * mp.log(2 * q) if q <= 0.5 else mu + b * mp.log(2 * (1 - q))

    return pdf, cdf, sf, ppf, isf


def exponential_ref(rate):
    def cdf(x):
        return mp.mpf(0) if x <= 0 else 1 - mp.exp(-rate * x)

    def sf(x):
        return mp.mpf(1) if x <= 0 else mp.exp(-rate * x)

    def pdf(x):
        return mp.mpf(0) if x < 0 else rate * mp.exp(-rate * x)

    def ppf(p):
        return -mp.log(1 - p) / rate

    def isf(q):
        return -mp.log(q) / rate

    return pdf, cdf, sf, ppf, isf


def num(v):
    """Return v as a float64 for JSON, with infinities as strings."""
    f = float(v)
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    return f


def log_or_inf(v):
    return mp.log(v) if v > 0 else mp.mpf("-inf")


def dist_case(name, params, ref, scipy_dist, xs, ps, zs):
    pdf, cdf, sf, ppf, isf = ref
    points = []
    for x in xs:
        xm = mp.mpf(x)
        row = {
            "x": x,
            "pdf": num(pdf(xm)),
            "cdf": num(cdf(xm)),
            "survival": num(sf(xm)),
            "logcdf": num(log_or_inf(cdf(xm))),
            "logsurvival": num(log_or_inf(sf(xm))),
        }
        points.append(row)
        if abs(x) <= 20 and cdf(xm) > 0:
            for key, got in (("cdf", scipy_dist.cdf(x)), ("survival", scipy_dist.sf(x)), ("pdf", scipy_dist.pdf(x))):
                want = row[key]
                assert abs(got - want) <= 1e-12 * abs(want), (name, key, x, got, want)
    quantiles = []
    for p in ps:
        pm = mp.mpf(p)
        row = {"p": p, "quantile": num(ppf(pm)), "inverse_survival": num(isf(pm))}
        quantiles.append(row)
        if 1e-10 <= p <= 1 - 1e-10:
            assert abs(scipy_dist.ppf(p) - row["quantile"]) <= 1e-12 * max(1, abs(row["quantile"])), (name, p)
            assert abs(scipy_dist.isf(p) - row["inverse_survival"]) <= 1e-12 * max(1, abs(row["inverse_survival"])), (name, p)
    transforms = []
    for z in zs:
        zm = mp.mpf(z)
        # Phi(z) and Phi(-z) at 800 digits; the inverse is taken from the
        # tail that is small, as an exact computation would.
        if z <= 0:
            v = ppf(mp.ncdf(zm))
        else:
            v = isf(mp.ncdf(-zm))
        transforms.append({"z": z, "value": num(v)})
    return {"name": name, "params": params, "points": points, "quantiles": quantiles, "from_gaussian": transforms}


def dist_fixture():
    zs = [-40.0, -37.0, -20.0, -8.0, -3.0, -1.0, -0.25, 0.0, 0.25, 1.0, 3.0, 8.0, 9.0, 20.0, 37.0, 40.0]
    ps = [1e-300, 1e-100, 1e-20, 1e-8, 0.001, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999, 1 - 1e-8, 1 - 2 ** -40]
    sym_x = [-745.0, -700.0, -100.0, -30.0, -5.0, -1.0, -1e-8, 0.0, 1e-8, 0.5, 3.0, 30.0, 100.0, 700.0, 745.0]
    exp_x = [-1.0, 0.0, 1e-300, 1e-12, 1e-3, 0.5, 1.0, 3.0, 30.0, 100.0, 700.0, 745.0]
    cases = [
        dist_case("logistic", {"mu": 0.0, "s": 1.0}, logistic_ref(0, 1), stats.logistic(), sym_x, ps, zs),
        dist_case("logistic", {"mu": 1.5, "s": 0.5}, logistic_ref(mp.mpf(1.5), mp.mpf(0.5)), stats.logistic(1.5, 0.5), sym_x, ps, zs),
        dist_case("laplace", {"mu": 0.0, "b": 1.0}, laplace_ref(0, 1), stats.laplace(), sym_x, ps, zs),
        dist_case("laplace", {"mu": -2.0, "b": 3.0}, laplace_ref(-2, 3), stats.laplace(-2, 3), sym_x, ps, zs),
        dist_case("exponential", {"rate": 1.0}, exponential_ref(1), stats.expon(), exp_x, ps, zs),
        dist_case("exponential", {"rate": 2.5}, exponential_ref(mp.mpf(2.5)), stats.expon(scale=1 / 2.5), exp_x, ps, zs),
    ]
    return cases


def ep_closed_form(y):
    """Compute n * int |psi_n(t) - exp(-t^2/2)|^2 phi(t) dt in closed form."""
    n = len(y)
    d = y[:, None] - y[None, :]
    return np.exp(-d * d / 2).sum() / n - math.sqrt(2) * np.exp(-y * y / 4).sum() + n / math.sqrt(3)


def ep_integral(y):
    """Compute the same statistic from its definition by adaptive quadrature."""
    n = len(y)

    def integrand(t):
        re = np.cos(t * y).mean() - math.exp(-t * t / 2)
        im = np.sin(t * y).mean()
        return n * (re * re + im * im) * math.exp(-t * t / 2) / math.sqrt(2 * math.pi)

    v, _ = integrate.quad(integrand, 0, 40, limit=400, epsabs=0, epsrel=1e-12)
    return 2 * v  # the integrand is even in t


def ep_fixture():
    rng = np.random.default_rng(20261204)
    samples = [
        ("normal_n20", rng.standard_normal(20)),
        ("normal_n200", rng.standard_normal(200)),
        ("shifted_normal_n50", 0.7 + 1.3 * rng.standard_normal(50)),
        ("uniform_n100", rng.uniform(size=100)),
        ("exponential_n60", rng.exponential(size=60)),
        ("t3_n150", rng.standard_t(3, size=150)),
        ("ties_n12", np.array([0.0, 0.0, 1.0, 1.0, 1.0, 2.0, -1.0, -1.0, 0.5, 0.5, 3.0, -2.0])),
    ]
    cases = []
    for name, x in samples:
        y = (x - x.mean()) / x.std()  # divisor n
        composite = ep_closed_form(y)
        specified = ep_closed_form(x)
        for a, b in ((composite, ep_integral(y)), (specified, ep_integral(x))):
            assert abs(a - b) <= 1e-9 * abs(a), (name, a, b)
        cases.append({"id": name, "x": [float(v) for v in x], "composite": composite, "specified": specified})
    return cases


def ep_limit_eigenvalues():
    t, w = np.polynomial.hermite_e.hermegauss(80)
    w = w / math.sqrt(2 * math.pi)
    s_, t_ = np.meshgrid(t, t, indexing="ij")
    kernels = {
        "composite": np.exp(-(s_ - t_) ** 2 / 2) - np.exp(-(s_ ** 2 + t_ ** 2) / 2) * (1 + s_ * t_ + s_ * s_ * t_ * t_ / 2),
        "specified": np.exp(-(s_ - t_) ** 2 / 2) - np.exp(-(s_ ** 2 + t_ ** 2) / 2),
    }
    out = {}
    for name, k in kernels.items():
        a = np.sqrt(w)[:, None] * k * np.sqrt(w)[None, :]
        lam = np.sort(np.linalg.eigvalsh(a))[::-1]
        out[name] = [float(v) for v in lam[:12]]
    return out


def meta(description):
    return {
        "description": description,
        "generator": "stats/testdata/gen_extra.py",
        "libraries": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "mpmath": mp.__version__,
        },
    }


def main():
    with open("extra_dists.json", "w") as f:
        json.dump({"meta": meta("logistic, Laplace and exponential distributions and F^-1(Phi(z)), mpmath at 800 digits, scipy cross-checked"),
                   "cases": dist_fixture()}, f, indent=1)
        f.write("\n")
    with open("epps_pulley.json", "w") as f:
        json.dump({"meta": meta("Epps-Pulley statistic, composite and specified, numpy closed form checked against quadrature of the definition"),
                   "limit_eigenvalues": ep_limit_eigenvalues(),
                   "cases": ep_fixture()}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
