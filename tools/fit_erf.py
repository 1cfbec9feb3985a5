"""Fits the rational erf used by the decoder's GELU kernel (Sources/SamEngine/kernels/vector_kernels.cpp).

erf(z) ~ z P(z^2) / Q(z^2) on [0, 4] (erf is odd, and 1 in float beyond 4), P of degree 6 and
Q of degree 4 with Q(0) = 1, by iteratively reweighted least squares on the relative error
(Loeb's method). Prints the coefficients as C literals and the errors in double and float.

Needs numpy only:  python3 tools/fit_erf.py
"""
from math import erf

import numpy as np

P_TERMS, Q_TERMS = 7, 5


def fit():
    z = np.unique(np.concatenate([2 + 2 * np.cos(np.linspace(0, np.pi, 4000)), np.linspace(0, 4, 4000)]))
    z = z[z > 0]
    y = np.array([erf(v) for v in z])
    t = z * z
    weight = np.ones_like(z)
    for _ in range(30):
        # erf Q(t) - z P(t) = 0, Q(0) = 1: unknowns P's coefficients and Q's from t^1 on.
        a = np.concatenate([z[:, None] * t[:, None] ** np.arange(P_TERMS),
                            -(y[:, None] * t[:, None] ** np.arange(1, Q_TERMS))], 1)
        scale = weight / y
        solution, *_ = np.linalg.lstsq(a * scale[:, None], y * scale, rcond=None)
        p = solution[:P_TERMS]
        q = np.concatenate([[1.0], solution[P_TERMS:]])
        weight = 1 / np.abs(np.polyval(q[::-1], t))
    approx = z * np.polyval(p[::-1], t) / np.polyval(q[::-1], t)
    return p, q, np.max(np.abs(approx - y) / y)


def float_error(p, q):
    z = np.linspace(-5, 5, 200001).astype(np.float32)
    c = np.clip(z, -4, 4)
    t = c * c
    num = np.float32(p[-1])
    for k in p[-2::-1]:
        num = (num * t + np.float32(k)).astype(np.float32)
    den = np.float32(q[-1])
    for k in q[-2::-1]:
        den = (den * t + np.float32(k)).astype(np.float32)
    got = (c * num / den).astype(np.float32)
    return np.max(np.abs(got - np.array([erf(float(v)) for v in z])))


if __name__ == "__main__":
    p, q, relative = fit()
    print("kErfP = {" + ", ".join("%.9ef" % v for v in p) + "}")
    print("kErfQ = {" + ", ".join("%.9ef" % v for v in q) + "}")
    print("largest relative error in double: %.2e" % relative)
    print("largest absolute error in float:  %.2e" % float_error(p, q))
