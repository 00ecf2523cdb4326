"""Point and band selection ranked separately, and the combination candidate (ADR 23)."""

from __future__ import annotations

import numpy as np

from forecasting.engine.backtest import (
    COMBO,
    Backtest,
    combine,
    recommend,
    run_test_bed,
    select,
)
from forecasting.engine.classification import classify
from forecasting.engine.forecast import Forecast, ForecastSpec

SPEC = ForecastSpec(horizon=7, season_length=7)


def sparse_and_smooth(seed: int = 3, periods: int = 140) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.vstack(
        [
            rng.poisson(0.4, periods) * rng.integers(1, 9, periods),
            rng.poisson(20, periods),
            np.where(rng.random(periods) < 0.2, rng.integers(1, 30, periods), 0),
        ]
    ).astype(float)


def test_point_ranking_picks_the_lowest_rmsse_where_pinball_picks_another():
    # "sharp" has the lower RMSSE, "wide" the lower pinball loss (its quantiles are better).
    scores = {
        "rmsse": np.array([[0.5, 0.9]]),
        "pinball": np.array([[2.0, 1.0]]),
        "rmse": np.array([[5.0, 9.0]]),
    }
    result = Backtest(("sharp", "wide"), (10,), 7, (0.5,), scores, np.zeros((1, 2, 1)))
    classes = classify(np.full((1, 30), 5.0), new_item_periods=1)
    assert recommend(result, classes, "rmsse").method.tolist() == ["sharp"]
    assert recommend(result, classes, "pinball").method.tolist() == ["wide"]


def test_the_selection_carries_the_point_method_and_the_band_method():
    sharp = Forecast("sharp", np.full((1, 3), 4.0), np.full((1, 1, 3), 4.0), (0.5,))
    wide = Forecast("wide", np.full((1, 3), 9.0), np.full((1, 1, 3), 7.0), (0.5,))
    chosen = select(
        {"sharp": sharp, "wide": wide},
        np.array(["sharp"], dtype=object),
        np.array(["wide"], dtype=object),
    )
    np.testing.assert_array_equal(chosen.point, sharp.point)
    np.testing.assert_array_equal(chosen.quantiles, wide.quantiles)
    assert chosen.params["band"].tolist() == ["wide"]


def test_run_test_bed_ranks_the_point_by_rmsse_and_the_bands_by_pinball():
    history = sparse_and_smooth()
    # pooled_patterns=(): the sparse rows keep their own ranking (the rule of ADR 40's addendum
    # gives them their pattern's choice, tests/forecasting/test_pattern_choice.py).
    bed = run_test_bed(
        history, SPEC, shrinkage=0.0, new_item_periods=1, combo_sizes=(), pooled_patterns=()
    )
    names = np.asarray(bed.backtest.methods, dtype=object)
    point = names[np.argmin(bed.backtest.scores["rmsse"], axis=1)]
    bands = names[np.argmin(bed.backtest.scores["pinball"], axis=1)]
    assert bed.recommendation.method.tolist() == point.tolist()
    assert bed.recommendation.band_method is not None
    assert bed.recommendation.band_method.tolist() == bands.tolist()
    assert (point != bands).any()  # the case the separation is for
    for row, (name, band) in enumerate(zip(point, bands, strict=True)):
        np.testing.assert_allclose(bed.selected.point[row], bed.forecasts[name].point[row])
        np.testing.assert_allclose(bed.selected.quantiles[row], bed.forecasts[band].quantiles[row])
    # point_score=None: one ranking (pinball) picks both, as before ADR 23.
    single = run_test_bed(
        history,
        SPEC,
        shrinkage=0.0,
        new_item_periods=1,
        combo_sizes=(),
        point_score=None,
        pooled_patterns=(),
    )
    assert single.recommendation.band_method is None
    assert single.recommendation.method.tolist() == bands.tolist()


def test_combine_is_the_mean_of_each_series_best_methods():
    points = {name: np.full((2, 3), value) for name, value in (("a", 1.0), ("b", 4.0), ("c", 10.0))}
    runs = {
        name: [Forecast(name, p, np.repeat(p[:, None, :], 2, axis=1), (0.1, 0.9))]
        for name, p in points.items()
    }
    ranking = np.array([[0.1, 0.2, 0.3], [0.9, 0.5, 0.1]])  # row 0: a, b, c; row 1: c, b, a
    two = combine(runs, ranking, ["a", "b", "c"], 2)[0]
    np.testing.assert_allclose(two.point[0], 2.5)
    np.testing.assert_allclose(two.point[1], 7.0)
    assert two.params["members"].tolist() == ["a+b", "c+b"]
    three = combine(runs, ranking, ["a", "b", "c"], 3)[0]
    np.testing.assert_allclose(three.point, 5.0)


def test_the_combo_forecast_is_the_mean_of_its_members_forecasts():
    history = sparse_and_smooth()
    bed = run_test_bed(history, SPEC)
    assert COMBO in bed.backtest.methods
    combo = bed.forecasts[COMBO]
    for row, members in enumerate(combo.params["members"]):
        names = members.split("+")
        assert 2 <= len(names) <= 3
        expected = np.mean([bed.forecasts[name].point[row] for name in names], axis=0)
        np.testing.assert_allclose(combo.point[row], expected)
    assert np.all(np.diff(combo.quantiles, axis=1) >= -1e-9)
