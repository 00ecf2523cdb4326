"""Pure forecasting core (no Django): arrays of demand ``(series × periods)`` in, forecasts with
quantiles, backtest scores, classifications and recommendations out.

Entry points: :func:`methods.forecast` (one method), :func:`backtest.run_test_bed` (classify,
backtest every fast method, recommend, forecast, ensemble), :mod:`metrics`,
:func:`classification.classify`, and :func:`auto.auto_ets` for the slow statsmodels tier.
See docs/adr/0008-forecasting-engine.md.
"""
