"""Pure forecasting core (no Django): arrays of demand ``(series × periods)`` in, forecasts with
quantiles, backtest scores, classifications and recommendations out.

Entry points: :func:`methods.forecast` (one method), :func:`backtest.run_test_bed` (classify,
backtest every fast method — plus ``"gbm"`` when asked — with the yearly profile, recommend,
calibrate, forecast, ensemble), :mod:`metrics`, :func:`classification.classify`,
:mod:`hierarchy` (bottom-up / OLS / MinT-shrink reconciliation), :mod:`roi` (safety-stock
savings) and :func:`auto.auto_ets` for the slow statsmodels tier. Compiled loops live in
:mod:`kernels`. See docs/adr/0008-forecasting-engine.md and 0012-forecasting-engine-2.md.
"""
