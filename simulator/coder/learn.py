"""Multinomial logistic regression on sparse binary features, in numpy alone.

Full-batch L-BFGS with an L2 penalty: no randomness anywhere, so the same data and settings
give the same weights. The design matrix is kept as CSR arrays (``indptr``, ``indices``)
because an utterance has a few hundred features out of tens of thousands.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["Sparse", "fit_logreg"]


@dataclass(frozen=True)
class Sparse:
    """A sparse matrix in CSR form (row ``i`` holds ``values[indptr[i]:indptr[i + 1]]`` in
    columns ``indices[...]``), with the two products training needs."""

    indptr: np.ndarray  # (n + 1,) int64
    indices: np.ndarray  # (nnz,) int64
    values: np.ndarray  # (nnz,) float64
    width: int

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    @cached_property
    def row_ids(self) -> np.ndarray:
        """The row of each stored value."""
        return np.repeat(np.arange(self.rows), np.diff(self.indptr))

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """``X @ W`` for ``W`` of shape (width, k)."""
        rows, columns = self.row_ids, np.ascontiguousarray(weights.T)
        return np.stack(
            [
                np.bincount(rows, column[self.indices] * self.values, minlength=self.rows)
                for column in columns
            ],
            axis=1,
        )

    def tdot(self, grad: np.ndarray) -> np.ndarray:
        """``X.T @ G`` for ``G`` of shape (n, k)."""
        rows = self.row_ids
        return np.stack(
            [
                np.bincount(self.indices, self.values * grad[rows, k], minlength=self.width)
                for k in range(grad.shape[1])
            ],
            axis=1,
        )


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    # Not ``a @ b``: BLAS may split a dot product over threads, which changes the rounding
    # from machine to machine (and crawls on a busy one). A ufunc sum is always the same.
    return float(np.multiply(a, b).sum())


def fit_logreg(
    x: Sparse,
    y: np.ndarray,
    classes: int,
    *,
    l2: float,
    sample_weight: np.ndarray | None = None,
    max_iter: int = 300,
    memory: int = 10,
    tol: float = 1e-7,
) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``(width, classes)`` and bias ``(classes,)`` minimising weighted mean
    cross-entropy + ``l2 / 2 * |W|^2`` (the bias is not penalised)."""
    n, d = x.rows, x.width
    w8 = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    w8 = w8 / w8.sum()
    onehot = np.zeros((n, classes))
    onehot[np.arange(n), y] = 1.0

    def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: d * classes].reshape(d, classes)
        b = theta[d * classes :]
        z = x.dot(w) + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -float((w8 * (logp * onehot).sum(axis=1)).sum()) + 0.5 * l2 * float((w * w).sum())
        g = (np.exp(logp) - onehot) * w8[:, None]
        gw = x.tdot(g) + l2 * w
        return loss, np.concatenate([gw.ravel(), g.sum(axis=0)])

    theta = np.zeros(d * classes + classes)
    f, g = loss_grad(theta)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    for _ in range(max_iter):
        # Two-loop recursion for the L-BFGS direction.
        q = g.copy()
        alphas = []
        for s, yv in zip(reversed(s_hist), reversed(y_hist), strict=True):
            a = _dot(s, q) / _dot(yv, s)
            alphas.append(a)
            q -= a * yv
        if y_hist:
            q *= _dot(s_hist[-1], y_hist[-1]) / _dot(y_hist[-1], y_hist[-1])
        for s, yv, a in zip(s_hist, y_hist, reversed(alphas), strict=True):
            q += (a - _dot(yv, q) / _dot(yv, s)) * s
        direction = -q
        slope = _dot(g, direction)
        if slope >= 0:  # not a descent direction: restart from the gradient
            s_hist.clear()
            y_hist.clear()
            direction, slope = -g, -_dot(g, g)
        step = 1.0 if s_hist else 1.0 / max(1.0, _dot(g, g) ** 0.5)
        while True:  # backtracking (Armijo) line search
            new_theta = theta + step * direction
            new_f, new_g = loss_grad(new_theta)
            if new_f <= f + 1e-4 * step * slope or step < 1e-12:
                break
            step *= 0.5
        s, yv = new_theta - theta, new_g - g
        if _dot(s, yv) > 1e-12:
            s_hist.append(s)
            y_hist.append(yv)
            if len(s_hist) > memory:
                s_hist.pop(0)
                y_hist.pop(0)
        done = abs(f - new_f) <= tol * max(1.0, abs(f))
        theta, f, g = new_theta, new_f, new_g
        if done:
            break
    return theta[: d * classes].reshape(d, classes), theta[d * classes :]
