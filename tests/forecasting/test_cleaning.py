"""Inferred stockouts, their imputation and spike winsorising (engine ``cleaning``)."""

from __future__ import annotations

import numpy as np

from forecasting.engine import cleaning
from forecasting.engine.backtest import run_test_bed
from forecasting.engine.forecast import ForecastSpec


def steady(periods: int = 140) -> np.ndarray:
    week = np.array([8.0, 9.0, 10.0, 11.0, 12.0, 14.0, 6.0])
    return np.tile(week, periods // 7)


def test_a_zero_run_implausible_for_the_rate_is_a_stockout():
    history = np.vstack([steady(), steady(), steady(), steady()])
    history[0, 80:86] = 0.0  # six days without a sale at ~10 a day: a stockout
    history[1, 80:81] = 0.0  # one zero day: plausible enough (share of zeros ~1/140)
    history[2, 133:] = 0.0  # a week of zeros up to the end: out of stock now
    history[3, 140 - cleaning.TRAILING_DAYS - 1 :] = 0.0  # longer: may have stopped selling
    mask = cleaning.infer_stockouts(history)
    assert mask[0].tolist() == [80 <= t < 86 for t in range(140)]
    assert mask[2].tolist() == [t >= 133 for t in range(140)]
    assert not mask[1].any() and not mask[3].any()


def test_coarse_buckets_leave_a_trailing_run_alone():
    monthly = np.tile(np.array([40.0, 42.0, 38.0, 45.0]), 20)
    monthly[-3:] = 0.0  # three empty months at ~40 a month: implausible, but at the end
    assert cleaning.infer_stockouts(monthly[None, :])[0, -3:].all()  # daily windows judge it
    _filled, mask = cleaning.censor(monthly[None, :], season=12)
    assert not mask.any()
    _filled, mask = cleaning.censor(monthly[None, :], season=7)
    assert mask[0, -3:].all()


def test_intermittent_zero_runs_and_a_launch_are_not_stockouts():
    rng = np.random.default_rng(1)
    sparse = np.where(rng.random(140) < 0.15, 3.0, 0.0)  # long zero runs are its nature
    launch = np.zeros(140)
    launch[100:] = 12.0
    launch[104:110] = 0.0  # a gap in the first weeks after the first sale: not judged
    mask = cleaning.infer_stockouts(np.vstack([sparse, launch]))
    assert not mask.any()


def test_imputation_fills_stockout_days_from_the_same_weekdays():
    history = steady()[None, :]
    cut = history.copy()
    cut[0, 80:86] = 0.0
    filled = cleaning.impute(cut, cleaning.infer_stockouts(cut))
    np.testing.assert_allclose(filled, history)


def test_the_test_bed_treats_stockouts_as_missing():
    history = np.vstack([steady(), steady()])
    history[0, 100:112] = 0.0
    spec = ForecastSpec(horizon=7, season_length=7)
    bed = run_test_bed(history, spec, folds=2)
    assert bed.stockout is not None and bed.stockout[0, 100:112].all()
    assert not bed.stockout[1].any()
    # With the stretch filled the censored series forecasts like the uncensored one.
    np.testing.assert_allclose(bed.selected.point[0], bed.selected.point[1], rtol=0.05)
    blind = run_test_bed(history, spec, folds=2, infer_stockouts=False)
    assert blind.stockout is not None and not blind.stockout.any()


def test_winsorising_caps_spikes_but_not_a_launch():
    history = np.vstack([steady(), steady()])
    history[0, 90] = 400.0  # a promotion spike
    capped = cleaning.winsorise(history, np.array([True, True]))
    assert 11.0 < capped[0, 90] < 40.0
    np.testing.assert_allclose(np.delete(capped[0], 90), np.delete(history[0], 90))
    np.testing.assert_allclose(capped[1], history[1])
    ramp = np.zeros((1, 140))
    ramp[0, 100:] = np.linspace(1.0, 80.0, 40)
    np.testing.assert_allclose(cleaning.winsorise(ramp, np.array([True])), ramp)
    untouched = cleaning.winsorise(history, np.array([False, False]))
    np.testing.assert_allclose(untouched, history)
