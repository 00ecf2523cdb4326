"""The compiled kernels against their own Python source (``py_func``, run by the interpreter)
and against the NumPy reference implementations they replaced."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.engine import compiled, kernels, theta
from forecasting.engine.smoothing import SES_ALPHAS, SmoothingGrid

RNG = np.random.default_rng(11)
SMOOTH = RNG.poisson(30.0 * (1 + 0.3 * np.sin(np.arange(70) * 2 * np.pi / 7)), (3, 70)).astype(
    float
)
SPARSE = (RNG.random((2, 70)) < 0.3) * RNG.integers(1, 6, (2, 70)).astype(float)
VALUES = np.ascontiguousarray(np.vstack([SMOOTH, SPARSE]))
ORIGINS = np.array([28, 49, 70], dtype=np.int64)


def same(compiled, interpreted):
    for a, b in zip(compiled, interpreted, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, equal_nan=True)


@pytest.mark.parametrize("code", [0, 1, 2])
def test_smooth_states_compiled_equals_interpreted(code):
    grid = SmoothingGrid.product((0.1, 0.4), gammas=(0.05, 0.2), trends=((0.0, 1.0), (0.02, 0.9)))
    m = 7 if code else 1
    profile = np.ones((5, m)) if code == 2 else np.zeros((5, m))
    args = (
        VALUES, grid.alpha, grid.beta, grid.gamma, grid.phi, code, m, 14 if code else 1, True,
        VALUES[:, :7].mean(axis=1), np.zeros(5), profile, ORIGINS, 1e-6, 0.05, 20.0, 0.99,
    )  # fmt: skip
    same(kernels.smooth_states(*args), kernels.smooth_states.py_func(*args))


def test_intermittent_kernels_compiled_equal_interpreted():
    alpha = np.array([0.1, 0.3])
    same(
        kernels.croston_states(VALUES, alpha, 1 - alpha / 2, ORIGINS),
        kernels.croston_states.py_func(VALUES, alpha, 1 - alpha / 2, ORIGINS),
    )
    beta = np.array([0.05, 0.2])
    same(
        kernels.tsb_states(VALUES, alpha, beta, ORIGINS),
        kernels.tsb_states.py_func(VALUES, alpha, beta, ORIGINS),
    )


def test_count_ppf_compiled_equals_interpreted():
    q = np.array([0.05, 0.5, 0.95, 0.99, 0.5])
    mean = np.array([0.4, 3.0, 3.0, 12.0, 0.0])
    variance = np.array([1.5, 3.0, 9.0, 12.0, 0.0])
    same(
        [kernels.count_ppf(q, mean, variance, 200)],
        [kernels.count_ppf.py_func(q, mean, variance, 200)],
    )


def test_theta_states_compiled_equals_interpreted_and_the_numpy_decomposition():
    alpha = np.asarray(SES_ALPHAS)
    args = (VALUES, ORIGINS, 7, alpha, 0.99, 1.645)
    compiled = kernels.theta_states(*args)
    same(compiled, kernels.theta_states.py_func(*args))
    index = compiled[0]
    for k, origin in enumerate(ORIGINS):
        seen = VALUES[:, :origin]
        seasonal = theta.is_seasonal(seen, 7) & (seen.min(axis=1) > 0)
        expected = np.ones((5, 7))
        if seasonal.any():
            expected[seasonal] = theta.seasonal_indices(seen[seasonal], 7)
        np.testing.assert_allclose(index[k], expected, rtol=1e-10)
    assert seasonal.any()  # the weekly rows are found seasonal


def test_decomposition_of_an_even_season_matches_numpy():
    series = RNG.uniform(5, 50, 60)
    factors, sums, counts = np.empty(12), np.zeros(12), np.zeros(12)
    compiled._decompose.py_func(series, 60, 12, factors, sums, counts)
    np.testing.assert_allclose(factors, theta.seasonal_indices(series[None, :], 12)[0])


def test_autocorrelations_compiled_equals_interpreted():
    same([kernels.autocorrelations(VALUES, 7)], [kernels.autocorrelations.py_func(VALUES, 7)])
    assert np.all(kernels.autocorrelations(np.full((1, 20), 3.0), 3) == 0)


def test_ses_kernel_matches_the_general_kernel_and_its_source():
    alpha = np.array([0.05, 0.3, 0.9])
    lean = kernels.ses_states(VALUES, alpha, ORIGINS, 0.99)
    same(lean, kernels.ses_states.py_func(VALUES, alpha, ORIGINS, 0.99))
    general = kernels.smooth_states(
        VALUES, alpha, np.zeros(3), np.zeros(3), np.ones(3), 0, 1, 1, False,
        VALUES[:, 0].copy(), np.zeros(5), np.zeros((5, 1)), ORIGINS, 1e-6, 0.05, 20.0, 0.99,
    )  # fmt: skip
    best, sse, level, _trend, _season, recent = general
    same(lean, (best, sse, level, recent))


def test_trailing_medians_compiled_equal_interpreted_and_numpy():
    values = np.random.default_rng(4).poisson(5.0, (3, 40)).astype(np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(values, 14, axis=1)[:, :-1]
    expected = np.median(windows, axis=2)
    np.testing.assert_array_equal(kernels.trailing_medians(values, 14), expected)
    np.testing.assert_array_equal(kernels.trailing_medians.py_func(values, 14), expected)
    odd = np.median(np.lib.stride_tricks.sliding_window_view(values, 5, axis=1)[:, :-1], axis=2)
    np.testing.assert_array_equal(kernels.trailing_medians(values, 5), odd)
