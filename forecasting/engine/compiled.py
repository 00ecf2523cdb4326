"""Compiled inner loops (numba) of the smoothing family and the intermittent methods.

The NumPy versions ran one array operation per period over ``(series, grid)`` buffers; with
~15 operations per period on a few thousand elements each, the interpreter's per-operation cost
was most of the Test Bed's time. These kernels run the same recursions series by series, grid
point by grid point, with the state in registers, and hand back the state at every requested
origin. ``cache=True`` keeps the compiled code on disk next to this file (or in the user's
cache directory when that is read-only): the first call in a fresh checkout compiles for a few
seconds, later processes load it in milliseconds (see docs/adr/0012-forecasting-engine-2.md).

Arrays are float64, origins int64 ascending; nothing here allocates per period.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import F64, I64, SEASON_MULTIPLICATIVE_CODE, SEASON_NONE_CODE


@njit(cache=True, nogil=True, error_model="numpy")
def smooth_states(
    values: F64,
    alpha: F64,
    beta: F64,
    gamma: F64,
    phi: F64,
    season_code: int,
    m: int,
    burn_in: int,
    has_trend: bool,
    level0: F64,
    trend0: F64,
    profile: F64,
    origins: I64,
    min_level: float,
    min_factor: float,
    max_factor: float,
    discount: float,
) -> tuple[I64, F64, F64, F64, F64, F64]:
    """ETS error-correction recursions for every series × grid point.

    ``values`` ``(series, periods)``; grid arrays ``(grid,)``; ``level0``/``trend0``
    ``(series,)``; ``profile`` ``(series, m)`` initial season. For each origin ``o`` (the state
    after periods ``0 … o−1``) and series: the grid point with the lowest finite one-step SSE
    (first on ties; 0 when none is finite), its SSE, level, trend and season rotated so that
    column j is the factor of period ``o + j``; and the chosen point's recent mean squared
    error, each period's weight falling by ``discount`` per period (the spread of the next
    periods follows the current noise, not the average over years of growth).
    """
    n = values.shape[0]
    grid = alpha.shape[0]
    k = origins.shape[0]
    last = origins[k - 1]
    best = np.zeros((k, n), dtype=np.int64)
    best_sse = np.zeros((k, n))
    best_level = np.zeros((k, n))
    best_trend = np.zeros((k, n))
    best_season = np.zeros((k, n, m))
    best_recent = np.zeros((k, n))
    # The grid is the inner loop: its state lives in short contiguous rows that the compiler
    # can run side by side (SIMD), period after period.
    level = np.empty(grid)
    trend = np.empty(grid)
    sse = np.empty(grid)
    recent = np.empty(grid)
    factors = np.empty((m, grid))
    seasonal = season_code != SEASON_NONE_CODE
    multiplicative = season_code == SEASON_MULTIPLICATIVE_CODE
    for i in range(n):
        level[:] = level0[i]
        trend[:] = trend0[i]
        sse[:] = 0.0
        recent[:] = 0.0
        weight = 0.0
        for j in range(m):
            factors[j, :] = profile[i, j]
        next_origin = 0
        position = 0  # t mod m
        for t in range(last + 1):
            while next_origin < k and origins[next_origin] == t:
                chosen = _select(
                    sse, level, trend, factors, position, m, next_origin, i,
                    best, best_sse, best_level, best_trend, best_season,
                )  # fmt: skip
                best_recent[next_origin, i] = recent[chosen] / weight if weight > 0 else np.nan
                next_origin += 1
            if t == last:
                break
            actual = values[i, t]
            scored = t >= burn_in
            if scored:
                weight = discount * weight + 1.0
            factor = factors[position]
            for g in range(grid):
                base = level[g] + phi[g] * trend[g] if has_trend else level[g]
                if multiplicative:
                    base = max(base, min_level)
                    error = actual - base * factor[g]
                    scaled = error / factor[g]
                    level[g] = base + alpha[g] * scaled
                    if has_trend:
                        trend[g] = phi[g] * trend[g] + beta[g] * scaled
                    updated = factor[g] + gamma[g] * error / base
                    factor[g] = min(max(updated, min_factor), max_factor)
                else:
                    if seasonal:
                        error = actual - base - factor[g]
                        factor[g] = factor[g] + gamma[g] * error
                    else:
                        error = actual - base
                    level[g] = base + alpha[g] * error
                    if has_trend:
                        trend[g] = phi[g] * trend[g] + beta[g] * error
                if scored:
                    sse[g] += error * error
                    recent[g] = discount * recent[g] + error * error
            position += 1
            if position == m:
                position = 0
    return best, best_sse, best_level, best_trend, best_season, best_recent


@njit(cache=True, nogil=True, error_model="numpy")
def _select(
    sse: F64,
    level: F64,
    trend: F64,
    factors: F64,
    position: int,
    m: int,
    o: int,
    i: int,
    best: I64,
    best_sse: F64,
    best_level: F64,
    best_trend: F64,
    season: F64,
) -> int:
    """Record series ``i``'s best grid point at origin number ``o`` (lowest finite SSE, first
    on ties, 0 when none is finite); ``position`` is the origin's place in the season."""
    chosen = 0
    lowest = np.inf
    for g in range(sse.shape[0]):
        value = sse[g]
        if np.isfinite(value) and value < lowest:
            lowest = value
            chosen = g
    best[o, i] = chosen
    best_sse[o, i] = lowest
    best_level[o, i] = level[chosen]
    best_trend[o, i] = trend[chosen]
    for j in range(m):
        season[o, i, j] = factors[(position + j) % m, chosen]
    return chosen


@njit(cache=True, nogil=True, error_model="numpy")
def croston_states(values: F64, alpha: F64, correction: F64, origins: I64) -> tuple[F64, F64]:
    """Croston / SBA: per origin, series and α the forecast rate ``correction·z/p`` and the
    one-step SSE of that rate over the periods before the origin, ``(origins, series, grid)``."""
    n, grid, k = values.shape[0], alpha.shape[0], origins.shape[0]
    last = origins[k - 1]
    rates = np.zeros((k, n, grid))
    errors = np.zeros((k, n, grid))
    for i in range(n):
        for g in range(grid):
            a, factor = alpha[g], correction[g]
            size, interval, since, sse = 0.0, 1.0, 0.0, 0.0
            started = False
            next_origin = 0
            for t in range(last + 1):
                while next_origin < k and origins[next_origin] == t:
                    rates[next_origin, i, g] = factor * size / interval
                    errors[next_origin, i, g] = sse
                    next_origin += 1
                if t == last:
                    break
                actual = values[i, t]
                error = actual - factor * size / interval
                sse += error * error
                since += 1.0
                if actual > 0:
                    if started:
                        size += a * (actual - size)
                        interval += a * (since - interval)
                    else:
                        size, interval, started = actual, since, True
                    since = 0.0
    return rates, errors


@njit(cache=True, nogil=True, error_model="numpy")
def tsb_states(values: F64, alpha: F64, beta: F64, origins: I64) -> tuple[F64, F64]:
    """TSB: per origin, series and (α, β) pair the rate π·z and its one-step SSE,
    ``(origins, series, grid)``."""
    n, grid, k = values.shape[0], alpha.shape[0], origins.shape[0]
    last = origins[k - 1]
    rates = np.zeros((k, n, grid))
    errors = np.zeros((k, n, grid))
    for i in range(n):
        for g in range(grid):
            a, b = alpha[g], beta[g]
            size, probability, since, sse = 0.0, 0.0, 0.0, 0.0
            started = False
            next_origin = 0
            for t in range(last + 1):
                while next_origin < k and origins[next_origin] == t:
                    rates[next_origin, i, g] = probability * size
                    errors[next_origin, i, g] = sse
                    next_origin += 1
                if t == last:
                    break
                actual = values[i, t]
                error = actual - probability * size
                sse += error * error
                since += 1.0
                if actual > 0:
                    if started:
                        size += a * (actual - size)
                        probability += b * (1.0 - probability)
                    else:
                        # First sale: the probability starts at the share of periods so far.
                        size, probability, started = actual, 1.0 / since, True
                    since = 0.0
                elif started:
                    probability += b * (0.0 - probability)
    return rates, errors


@njit(cache=True, nogil=True, error_model="numpy")
def count_ppf(q: F64, mean: F64, variance: F64, limit: int) -> F64:
    """Quantile of the count X smoothed by half a unit either side (X + U − ½, U uniform on
    [0, 1)) per element, X negative binomial with this mean and variance (Poisson when not
    over-dispersed), cut at zero: with k the smallest whole number with P(X ≤ k) ≥ q, the
    answer is ``k − ½ + (q − P(X < k)) / P(X = k)``, in [k − ½, k + ½]: it always rounds to k,
    and it is at least k (so at or above an actual of k) only when q lies in the upper half of
    the jump at k; integer actuals fall at or below it with probability q on average rather
    than at least q. Walks the pmf up from zero; ``limit`` stops a rounding shortfall far in
    the tail (see :func:`forecast.count_ppf`)."""
    result = np.zeros(q.shape[0])
    for e in range(q.shape[0]):
        m, v, target = mean[e], variance[e], q[e]
        if not m > 0:
            continue
        over = v > m * (1.0 + 1e-6)
        if over:
            size = m * m / (v - m)
            stay = m / v
            pmf = np.exp(size * np.log(stay))
        else:
            size = 0.0
            stay = 1.0
            pmf = np.exp(-m)
        below = 0.0
        count = 0
        while below + pmf < target - 1e-12 and count < limit:
            below += pmf
            count += 1
            if over:
                pmf *= (count - 1 + size) / count * (1.0 - stay)
            else:
                pmf *= m / count
        value = count - 0.5 + (target - below) / pmf if pmf > 1e-300 else float(count)
        result[e] = max(min(value, count + 0.5), 0.0)
    return result


@njit(cache=True, nogil=True, error_model="numpy")
def autocorrelations(values: F64, m: int) -> F64:
    """``(series, m)`` sample autocorrelations at lags 1 … m (0 for a constant series)."""
    n, periods = values.shape
    result = np.zeros((n, m))
    centred = np.empty(periods)
    for i in range(n):
        mean = 0.0
        for t in range(periods):
            mean += values[i, t]
        mean /= periods
        energy = 0.0
        for t in range(periods):
            centred[t] = values[i, t] - mean
            energy += centred[t] * centred[t]
        if energy <= 0:
            continue
        for lag in range(1, m + 1):
            total = 0.0
            for t in range(lag, periods):
                total += centred[t] * centred[t - lag]
            result[i, lag - 1] = total / energy
    return result


@njit(cache=True, nogil=True, error_model="numpy")
def theta_states(
    values: F64, origins: I64, m: int, alpha: F64, discount: float, z: float
) -> tuple[F64, F64, F64, F64, F64]:
    """The Theta method's fit per series and origin (see :mod:`theta`): seasonal test at lag
    m, classical multiplicative indices when seasonal and positive, SES over the grid ``alpha``
    on the adjusted series and its least-squares slope.

    Returns ``index`` ``(origins, series, m)`` (ones when unseasoned) and, ``(origins,
    series)``: level, one-step error variance (recent-weighted), chosen α, slope.
    """
    n = values.shape[0]
    k = origins.shape[0]
    grid = alpha.shape[0]
    width = max(m, 1)
    index = np.ones((k, n, width))
    level_out = np.zeros((k, n))
    sigma2_out = np.zeros((k, n))
    alpha_out = np.zeros((k, n))
    slope_out = np.zeros((k, n))
    adjusted = np.empty(values.shape[1])
    acf = np.zeros(width)
    levels = np.empty(grid)
    sse = np.empty(grid)
    recent = np.empty(grid)
    sums = np.zeros(width)
    counts = np.zeros(width)
    for i in range(n):
        for o_index in range(k):
            o = origins[o_index]
            factors = index[o_index, i]
            if m > 1 and o >= 2 * m:
                lowest = values[i, 0]
                highest = values[i, 0]
                mean = 0.0
                for t in range(o):
                    v = values[i, t]
                    mean += v
                    lowest = min(lowest, v)
                    highest = max(highest, v)
                mean /= o
                if lowest > 0 and highest > lowest:
                    energy = 0.0
                    for t in range(o):
                        energy += (values[i, t] - mean) ** 2
                    for lag in range(1, m + 1):
                        total = 0.0
                        for t in range(lag, o):
                            total += (values[i, t] - mean) * (values[i, t - lag] - mean)
                        acf[lag - 1] = total / energy
                    spread = 1.0
                    for lag in range(m - 1):
                        spread += 2.0 * acf[lag] * acf[lag]
                    if abs(acf[m - 1]) > z * np.sqrt(spread / o):
                        _decompose(values[i], o, m, factors, sums, counts)
            for t in range(o):
                adjusted[t] = values[i, t] / factors[t % width]
            # SES over the grid, the first period as the initial level.
            for g in range(grid):
                levels[g] = adjusted[0]
                sse[g] = 0.0
                recent[g] = 0.0
            weight = 0.0
            for t in range(o):
                scored = t >= 1
                if scored:
                    weight = discount * weight + 1.0
                for g in range(grid):
                    error = adjusted[t] - levels[g]
                    levels[g] = levels[g] + alpha[g] * error
                    if scored:
                        sse[g] += error * error
                        recent[g] = discount * recent[g] + error * error
            chosen = 0
            best = np.inf
            for g in range(grid):
                if np.isfinite(sse[g]) and sse[g] < best:
                    best = sse[g]
                    chosen = g
            level_out[o_index, i] = levels[chosen]
            alpha_out[o_index, i] = alpha[chosen]
            if o > 1:
                sigma2 = recent[chosen] / weight
                sigma2_out[o_index, i] = sigma2 if np.isfinite(sigma2) else sse[chosen] / (o - 1)
            # Least-squares slope of the adjusted series on time.
            centre = (o - 1) / 2.0
            mean = 0.0
            for t in range(o):
                mean += adjusted[t]
            mean /= o
            numerator = 0.0
            denominator = 0.0
            for t in range(o):
                numerator += (t - centre) * (adjusted[t] - mean)
                denominator += (t - centre) * (t - centre)
            slope_out[o_index, i] = numerator / denominator if denominator > 0 else 0.0
    return index, level_out, sigma2_out, alpha_out, slope_out


@njit(cache=True, nogil=True, error_model="numpy")
def _decompose(series: F64, o: int, m: int, factors: F64, sums: F64, counts: F64) -> None:
    """Classical multiplicative seasonal indices of ``series[:o]`` into ``factors``: mean
    ratio to the centred moving average (2×m for even m) per position, floored at 1e-3 and
    normalised to mean 1."""
    sums[:] = 0.0
    counts[:] = 0.0
    offset = (m - 1) // 2 if m % 2 else m // 2
    windows = o - m + 1  # means of series[s : s + m], s = 0 … o − m
    centred_count = windows if m % 2 else windows - 1
    running = 0.0
    for t in range(m):
        running += series[t]
    previous = running / m
    for s in range(centred_count):
        if m % 2:
            centred = previous
        else:
            following = (running - series[s] + series[s + m]) / m
            centred = (previous + following) / 2.0
        position = (s + offset) % m
        if centred > 0:
            sums[position] += series[s + offset] / centred
            counts[position] += 1.0
        if s + m < o:
            running += series[s + m] - series[s]
            previous = running / m
    total = 0.0
    for j in range(m):
        factor = sums[j] / counts[j] if counts[j] > 0 else 1.0
        factors[j] = max(factor, 1e-3)
        total += factors[j]
    for j in range(m):
        factors[j] = factors[j] * m / total


@njit(cache=True, nogil=True, error_model="numpy")
def ses_states(values: F64, alpha: F64, origins: I64, discount: float) -> tuple[I64, F64, F64, F64]:
    """Simple exponential smoothing only (the hot path of ADIDA, iMAPA and SES itself): per
    origin and series the chosen α's index, SSE, level and recent-weighted mean squared error,
    with :func:`smooth_states`'s rules (initial level = first period, errors scored from the
    second period, lowest finite SSE, first on ties). Each grid point's state stays in
    registers over the whole series."""
    n = values.shape[0]
    grid = alpha.shape[0]
    k = origins.shape[0]
    last = origins[k - 1]
    best = np.zeros((k, n), dtype=np.int64)
    best_sse = np.full((k, n), np.inf)
    best_level = np.zeros((k, n))
    best_recent = np.full((k, n), np.nan)
    for i in range(n):
        for g in range(grid):
            a = alpha[g]
            level = values[i, 0]
            sse = 0.0
            recent = 0.0
            weight = 0.0
            next_origin = 0
            for t in range(last + 1):
                while next_origin < k and origins[next_origin] == t:
                    if np.isfinite(sse) and sse < best_sse[next_origin, i]:
                        best[next_origin, i] = g
                        best_sse[next_origin, i] = sse
                        best_level[next_origin, i] = level
                        best_recent[next_origin, i] = recent / weight if weight > 0 else np.nan
                    elif g == 0:
                        best_level[next_origin, i] = level
                        best_recent[next_origin, i] = recent / weight if weight > 0 else np.nan
                    next_origin += 1
                if t == last:
                    break
                error = values[i, t] - level
                level += a * error
                if t >= 1:
                    sse += error * error
                    weight = discount * weight + 1.0
                    recent = discount * recent + error * error
    return best, best_sse, best_level, best_recent


@njit(cache=True, nogil=True, error_model="numpy")
def lead_ses_states(
    values: F64, alpha: F64, origins: I64, horizon: int, burn: int
) -> tuple[F64, F64, F64, F64]:
    """SES scored by its lead-time error: per origin, series and α the level, the sum over
    past periods t of (mean of the ``horizon`` periods after t − level at t)² (only windows
    that end before the origin, from ``burn`` periods after the first sale), the one-step
    SSE and its count, each ``(origins, series, grid)``. The level starts at the first sale,
    at the mean of up to ``horizon`` periods from it (never past the origin)."""
    n, periods = values.shape
    grid = alpha.shape[0]
    k = origins.shape[0]
    levels = np.zeros((k, n, grid))
    lead = np.zeros((k, n, grid))
    sse = np.zeros((k, n, grid))
    counts = np.zeros((k, n, grid))
    totals = np.zeros(periods + 1)
    for i in range(n):
        first = periods
        for t in range(periods):
            if values[i, t] > 0:
                first = t
                break
        for t in range(periods):
            totals[t + 1] = totals[t] + values[i, t]
        for j in range(k):
            origin = origins[j]
            if first >= origin:
                continue
            span = min(horizon, origin - first)
            start = (totals[first + span] - totals[first]) / span
            for g in range(grid):
                a = alpha[g]
                level = start
                score = 0.0
                squares = 0.0
                count = 0.0
                for t in range(first, origin):
                    error = values[i, t] - level
                    if t > first:
                        squares += error * error
                        count += 1.0
                    level += a * error
                    if t - first >= burn and t + horizon < origin:
                        ahead = (totals[t + 1 + horizon] - totals[t + 1]) / horizon
                        score += (ahead - level) * (ahead - level)
                levels[j, i, g] = level
                lead[j, i, g] = score
                sse[j, i, g] = squares
                counts[j, i, g] = count
    return levels, lead, sse, counts


@njit(cache=True, nogil=True, error_model="numpy")
def trailing_medians(values: F64, window: int) -> F64:
    """``(series, periods − window)``: column ``j`` is the median of ``values[:, j : j + window]``
    (the ``window`` periods before period ``j + window``), by insertion into a sorted buffer."""
    n, periods = values.shape
    out = np.empty((n, max(periods - window, 0)))
    buffer = np.empty(window)
    half = window // 2
    for row in range(n):
        for j in range(periods - window):
            for k in range(window):
                x = values[row, j + k]
                i = k
                while i > 0 and buffer[i - 1] > x:
                    buffer[i] = buffer[i - 1]
                    i -= 1
                buffer[i] = x
            if window % 2:
                out[row, j] = buffer[half]
            else:
                out[row, j] = 0.5 * (buffer[half - 1] + buffer[half])
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def ets_candidates(
    values: F64,
    alpha: F64,
    beta: F64,
    gamma: F64,
    phi: F64,
    season_code: int,
    m: int,
    starts: I64,
    burn_in: I64,
    has_trend: bool,
    level0: F64,
    trend0: F64,
    profile: F64,
    origins: I64,
    min_level: float,
    min_factor: float,
    max_factor: float,
    discount: float,
) -> tuple[F64, F64, F64, F64, F64]:
    """:func:`smooth_states`'s recursions with parameters of each series' own: ``alpha`` …
    ``phi`` ``(series, candidates)``, candidate ``c`` of series ``i`` run on row ``i`` (the
    batched optimiser of :mod:`smoothing` scores its trial points this way). Series ``i``
    starts at period ``starts[i]`` from ``level0``/``trend0``/``profile`` (``profile[i, j]``
    the factor of periods ``t`` with ``t mod m = j``) and scores its one-step errors from
    period ``burn_in[i]``. Per origin, series and candidate: the SSE, level, trend, season
    rotated so that column j is the factor of period ``origin + j``, and the recent-weighted
    mean squared error (``discount`` per period; NaN before any scored period)."""
    n = values.shape[0]
    cands = alpha.shape[1]
    k = origins.shape[0]
    last = origins[k - 1]
    out_sse = np.zeros((k, n, cands))
    out_level = np.zeros((k, n, cands))
    out_trend = np.zeros((k, n, cands))
    out_season = np.zeros((k, n, cands, m))
    out_recent = np.full((k, n, cands), np.nan)
    level = np.empty(cands)
    trend = np.empty(cands)
    sse = np.empty(cands)
    recent = np.empty(cands)
    factors = np.empty((m, cands))
    seasonal = season_code != SEASON_NONE_CODE
    multiplicative = season_code == SEASON_MULTIPLICATIVE_CODE
    for i in range(n):
        level[:] = level0[i]
        trend[:] = trend0[i]
        sse[:] = 0.0
        recent[:] = 0.0
        weight = 0.0
        for j in range(m):
            factors[j, :] = profile[i, j]
        next_origin = 0
        for t in range(last + 1):
            position = t % m
            while next_origin < k and origins[next_origin] == t:
                for c in range(cands):
                    out_sse[next_origin, i, c] = sse[c]
                    out_level[next_origin, i, c] = level[c]
                    out_trend[next_origin, i, c] = trend[c]
                    if weight > 0:
                        out_recent[next_origin, i, c] = recent[c] / weight
                    for j in range(m):
                        out_season[next_origin, i, c, j] = factors[(position + j) % m, c]
                next_origin += 1
            if t == last:
                break
            if t < starts[i]:
                continue
            actual = values[i, t]
            scored = t >= burn_in[i]
            if scored:
                weight = discount * weight + 1.0
            factor = factors[position]
            for c in range(cands):
                a = alpha[i, c]
                b = beta[i, c]
                g = gamma[i, c]
                p = phi[i, c]
                base = level[c] + p * trend[c] if has_trend else level[c]
                if multiplicative:
                    base = max(base, min_level)
                    error = actual - base * factor[c]
                    scaled = error / factor[c]
                    level[c] = base + a * scaled
                    if has_trend:
                        trend[c] = p * trend[c] + b * scaled
                    updated = factor[c] + g * error / base
                    factor[c] = min(max(updated, min_factor), max_factor)
                else:
                    if seasonal:
                        error = actual - base - factor[c]
                        factor[c] = factor[c] + g * error
                    else:
                        error = actual - base
                    level[c] = base + a * error
                    if has_trend:
                        trend[c] = p * trend[c] + b * error
                if scored:
                    sse[c] += error * error
                    recent[c] = discount * recent[c] + error * error
    return out_sse, out_level, out_trend, out_season, out_recent
