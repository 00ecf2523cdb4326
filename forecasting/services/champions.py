"""Champion / challenger (ADR 38): the live evidence of each challenger against its champion,
the automatic decision (promote or reject after ``challenger_weeks`` of live accuracy) and a
planner's promotion. Evidence is computed in SQL over ``LiveScore`` (the two methods paired on
the same runs, hence the same days), decided on whole NumPy arrays, written in bulk."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.cache import bump_namespace
from core.exceptions import Conflict, ValidationFailed
from forecasting.engine.methods import METHODS
from forecasting.models import (
    BacktestScore,
    ForecastRun,
    ForecastValue,
    LiveScore,
    MethodOverride,
    ModelRegistryEntry,
    ModelVersion,
    SeriesClassification,
)
from forecasting.planning import forecast_run_succeeded
from forecasting.services.registry import SCORE_COLUMNS

if TYPE_CHECKING:
    from accounts.models import User

EVIDENCE_COLUMNS = (
    "product_id",
    "location_id",
    "champion",
    "challenger",
    "runs",
    "days",
    "actual",
    "champion_abs_error",
    "champion_error",
    "challenger_abs_error",
    "challenger_error",
    "naive_abs_error",
    "first_date",
    "last_date",
)


@dataclass(frozen=True)
class ChallengerEvidence:
    """Per series with a challenger on trial (arrays of one length): the live sums of both
    methods over the runs since the challenger was created, on the same days."""

    product_id: np.ndarray
    location_id: np.ndarray
    champion: np.ndarray
    challenger: np.ndarray
    runs: np.ndarray
    days: np.ndarray
    actual: np.ndarray
    champion_abs_error: np.ndarray
    champion_error: np.ndarray
    challenger_abs_error: np.ndarray
    challenger_error: np.ndarray
    naive_abs_error: np.ndarray
    first_date: list[Any]
    last_date: list[Any]

    @property
    def champion_wape(self) -> np.ndarray:
        return _share(self.champion_abs_error, self.actual)

    @property
    def challenger_wape(self) -> np.ndarray:
        return _share(self.challenger_abs_error, self.actual)

    def record(self, i: int) -> dict[str, Any]:
        """The evidence of series ``i`` as kept on the versions (JSON)."""

        def side(method: str, abs_error: float, error: float) -> dict[str, Any]:
            actual = float(self.actual[i])
            return {
                "method": method,
                "wape": _round(abs_error / actual) if actual > 0 else None,
                "bias": _round(error / actual) if actual > 0 else None,
                "mae": _round(abs_error / self.days[i]) if self.days[i] else None,
                "fva": _round(1 - abs_error / self.naive_abs_error[i])
                if self.naive_abs_error[i] > 0
                else None,
            }

        return {
            "runs": int(self.runs[i]),
            "days": int(self.days[i]),
            "weeks": round(float(self.days[i]) / 7, 1),
            "from": str(self.first_date[i]) if self.first_date[i] else None,
            "to": str(self.last_date[i]) if self.last_date[i] else None,
            "actual": _round(float(self.actual[i])),
            "champion": side(
                str(self.champion[i]),
                float(self.champion_abs_error[i]),
                float(self.champion_error[i]),
            ),
            "challenger": side(
                str(self.challenger[i]),
                float(self.challenger_abs_error[i]),
                float(self.challenger_error[i]),
            ),
        }


def _round(value: float) -> float:
    return round(float(value), 6)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), np.nan)


def challenger_evidence(
    *, product_id: int | None = None, location_id: int | None = None
) -> ChallengerEvidence:
    """The live evidence of every challenger on trial (or of one product, or one series):
    one grouped query
    pairing the champion's and the challenger's scores of the same runs, from the run that
    created the challenger on. A series whose challenger has no scored day yet has zeros."""
    where, params = "", {}
    if product_id is not None:
        where = "AND r.product_id = %(product)s"
        params = {"product": product_id, "location": location_id}
    if location_id is not None:
        where += " AND r.location_id = %(location)s"
    registry = ModelRegistryEntry._meta.db_table
    versions = ModelVersion._meta.db_table
    live = LiveScore._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT r.product_id, r.location_id, r.method, r.challenger,
                   COUNT(a.run_id), COALESCE(SUM(a.days), 0), COALESCE(SUM(a.actual), 0),
                   COALESCE(SUM(a.abs_error), 0), COALESCE(SUM(a.error), 0),
                   COALESCE(SUM(b.abs_error), 0), COALESCE(SUM(b.error), 0),
                   COALESCE(SUM(a.naive_abs_error), 0), MIN(a.first_date), MAX(a.last_date)
            FROM {registry} r
            JOIN {versions} cv ON cv.product_id = r.product_id
                 AND cv.location_id = r.location_id AND cv.status = 'challenger'
                 AND cv.method = r.challenger
            LEFT JOIN ({live} a JOIN {live} b ON b.run_id = a.run_id
                       AND b.product_id = a.product_id AND b.location_id = a.location_id)
                 ON a.product_id = r.product_id AND a.location_id = r.location_id
                 AND a.method = r.method AND b.method = r.challenger
                 AND a.run_id >= COALESCE(cv.run_id, 0)
            WHERE r.challenger <> '' {where}
            GROUP BY r.product_id, r.location_id, r.method, r.challenger
            ORDER BY r.product_id, r.location_id
            """,  # noqa: S608
            params,
        )
        rows = cursor.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(EVIDENCE_COLUMNS)
    numeric = {
        name: np.asarray(column, dtype=np.float64)
        for name, column in zip(EVIDENCE_COLUMNS[4:12], columns[4:12], strict=True)
    }
    return ChallengerEvidence(
        product_id=np.asarray(columns[0], dtype=np.int64),
        location_id=np.asarray(columns[1], dtype=np.int64),
        champion=np.asarray(columns[2], dtype=object),
        challenger=np.asarray(columns[3], dtype=object),
        runs=numeric["runs"].astype(np.int64),
        days=numeric["days"].astype(np.int64),
        actual=numeric["actual"],
        champion_abs_error=numeric["champion_abs_error"],
        champion_error=numeric["champion_error"],
        challenger_abs_error=numeric["challenger_abs_error"],
        challenger_error=numeric["challenger_error"],
        naive_abs_error=numeric["naive_abs_error"],
        first_date=list(columns[12]),
        last_date=list(columns[13]),
    )


@dataclass(frozen=True)
class ChallengerDecision:
    trials: int
    promoted: int
    rejected: int

    def as_dict(self) -> dict[str, int]:
        return {"trials": self.trials, "promoted": self.promoted, "rejected": self.rejected}


def challengers_decide() -> ChallengerDecision:
    """The automatic decision: a challenger with at least ``challenger_weeks`` of scored days
    is promoted where its live WAPE beats the champion's by the relative
    ``challenger_margin`` (when ``challenger_auto_promote`` is on), and retired as rejected
    otherwise, so the next backtest pick can take the trial. Both keep the evidence."""
    from forecasting.services.runs import forecast_settings_get

    settings = forecast_settings_get()
    evidence = challenger_evidence()
    mature = evidence.days >= 7 * settings.challenger_weeks
    champion_wape = evidence.champion_wape
    challenger_wape = evidence.challenger_wape
    # No demand on the trial's days: the smaller absolute error wins.
    beats = np.where(
        np.isnan(champion_wape),
        evidence.challenger_abs_error < evidence.champion_abs_error,
        challenger_wape < champion_wape * (1.0 - settings.challenger_margin),
    )
    promote = np.flatnonzero(mature & beats & settings.challenger_auto_promote)
    reject = np.flatnonzero(mature & ~beats)
    with transaction.atomic():
        if len(promote):
            _promote(evidence, promote, ModelVersion.Promotion.AUTOMATIC, None)
        if len(reject):
            _reject(evidence, reject)
    return ChallengerDecision(int(evidence.product_id.size), len(promote), len(reject))


def challenger_promote(*, entry: ModelRegistryEntry, user: User | None) -> ModelRegistryEntry:
    """A planner promotes the challenger of one registry entry now, whatever the live
    evidence says so far (it is kept as it stands). 409 when no challenger is on trial."""
    with transaction.atomic():
        entry = ModelRegistryEntry.objects.select_for_update().get(pk=entry.pk)
        evidence = challenger_evidence(product_id=entry.product_id, location_id=entry.location_id)
        if evidence.product_id.size == 0:
            raise Conflict(
                "This series has no challenger on trial.", details={"challenger": ["None."]}
            )
        _promote(evidence, np.arange(1), ModelVersion.Promotion.PLANNER, user)
    entry.refresh_from_db()
    return entry


def challenger_nominate(
    *, entry: ModelRegistryEntry, method: str, user: User | None, replace: bool = False
) -> ModelRegistryEntry:
    """A planner nominates ``method`` as the challenger of one series: a new challenger
    version (``evidence.nominated_by``), which the next run forecasts in shadow and scores
    live like the backtest's pick, promoted or rejected by the same rules. 400 for a method
    the engine does not know or the champion itself; 409 for a pinned series (a pin has no
    challenger) and, unless ``replace``, when another challenger is on trial (it retires as
    ``withdrawn``). Nominating the challenger already on trial changes nothing."""
    if method not in METHODS:
        raise ValidationFailed(
            f"Unknown forecasting method {method!r}.",
            details={"method": [f"Known: {sorted(METHODS)}."]},
        )
    with transaction.atomic():
        entry = ModelRegistryEntry.objects.select_for_update().get(pk=entry.pk)
        pinned = MethodOverride.objects.filter(product_id=entry.product_id).filter(
            Q(location_id=entry.location_id) | Q(location__isnull=True)
        )
        if pinned.exists():
            raise Conflict(
                "This series is pinned to a method: a pin has no challenger.",
                details={"method": ["Remove the pin first."]},
            )
        if method == entry.method:
            raise ValidationFailed(
                f"{method} is already the champion of this series.",
                details={"method": ["Nominate a method other than the champion."]},
            )
        current = entry.challenger
        if current == method:
            return entry
        if current and not replace:
            raise Conflict(
                f"{current} is already on trial as this series' challenger; send "
                f'"replace": true to replace it.',
                details={"challenger": [current]},
            )
        who = str(getattr(user, "email", "") or "")
        now = timezone.now()
        if current:
            ModelVersion.objects.filter(
                product_id=entry.product_id,
                location_id=entry.location_id,
                status=ModelVersion.Status.CHALLENGER,
            ).update(
                status=ModelVersion.Status.RETIRED,
                retired_at=now,
                retired_reason="withdrawn",
                evidence={"withdrawn_by": who, "replaced_by": method},
            )
        # The trial's evidence counts from the series' current run on; that run holds no
        # shadow rows of the nominee, so the pairing starts with the next run.
        ModelVersion.objects.create(
            product_id=entry.product_id,
            location_id=entry.location_id,
            method=method,
            status=ModelVersion.Status.CHALLENGER,
            parameters={},
            run_id=entry.run_id,
            last_run_id=entry.run_id,
            created_at=now,
            evidence={"nominated_by": who, "nominated_by_id": getattr(user, "pk", None)},
        )
        entry.challenger = method  # a tracked model: the save is the audit entry (ADR 33)
        entry.save(update_fields=["challenger"])
    bump_namespace("forecasts")
    return entry


def _pairs(evidence: ChallengerEvidence, rows: np.ndarray) -> dict[str, Any]:
    return {
        "p": evidence.product_id[rows].tolist(),
        "l": evidence.location_id[rows].tolist(),
        "new": evidence.challenger[rows].astype(str).tolist(),
        "old": evidence.champion[rows].astype(str).tolist(),
        "evidence": [json.dumps(evidence.record(int(i))) for i in rows],
    }


PAIRS = (
    "unnest(%(p)s::bigint[], %(l)s::bigint[], %(new)s::text[], %(old)s::text[], "
    "%(evidence)s::text[]) AS t(p, l, new, old, evidence)"
)


def _promote(
    evidence: ChallengerEvidence, rows: np.ndarray, promotion: str, user: User | None
) -> None:
    """Swap champion and challenger of the ``rows`` series: versions (with the evidence),
    registry, and what the latest run serves (its stored challenger values become the
    selected ones, so inventory and exports read the new champion from now on)."""
    from forecasting.selectors import latest_successful_run

    versions = ModelVersion._meta.db_table
    registry = ModelRegistryEntry._meta.db_table
    params = {**_pairs(evidence, rows), "promotion": promotion, "user": getattr(user, "pk", None)}
    same = "v.product_id = t.p AND v.location_id = t.l"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {versions} v SET status = 'retired', retired_at = now(),
                   retired_reason = 'beaten', evidence = t.evidence::jsonb
            FROM {PAIRS} WHERE {same} AND v.status = 'champion'
            """,  # noqa: S608
            params,
        )
        cursor.execute(
            f"""
            UPDATE {versions} v SET status = 'champion', promoted_at = now(),
                   promotion = %(promotion)s, promoted_by_id = %(user)s,
                   evidence = t.evidence::jsonb
            FROM {PAIRS} WHERE {same} AND v.status = 'challenger' AND v.method = t.new
            """,  # noqa: S608
            params,
        )
        sets = ", ".join(f"{name} = v.{name}" for name in SCORE_COLUMNS)
        cursor.execute(
            f"""
            UPDATE {registry} r SET method = t.new, challenger = '', reason = 'champion',
                   parameters = v.parameters, {sets}
            FROM {PAIRS}, {versions} v
            WHERE r.product_id = t.p AND r.location_id = t.l AND {same}
              AND v.status = 'champion'
            """,  # noqa: S608
            params,
        )
        run = latest_successful_run()
        if run is not None:
            _serve_in_run(cursor, run.pk, params)
    bump_namespace("forecasts")
    if run is not None:  # the policy's demand changed: inventory refreshes after commit
        forecast_run_succeeded.send(sender=ForecastRun, run_id=run.pk)


def _serve_in_run(cursor: Any, run_id: int, params: dict[str, Any]) -> None:
    """In the latest run, serve the new champion where its values are stored: flip the
    selected flags of the two methods and move the series' class row to the new method
    (with its backtest scores in that run, where it was backtested)."""
    values = ForecastValue._meta.db_table
    classes = SeriesClassification._meta.db_table
    scores = BacktestScore._meta.db_table
    stored = f"""EXISTS (SELECT 1 FROM {values} w WHERE w.run_id = %(run)s
                 AND w.product_id = t.p AND w.location_id = t.l AND w.method = t.new)"""  # noqa: S608
    params = {**params, "run": run_id}
    cursor.execute(
        f"""
        UPDATE {values} v SET selected = (v.method = t.new)
        FROM {PAIRS}
        WHERE v.run_id = %(run)s AND v.product_id = t.p AND v.location_id = t.l
          AND v.method IN (t.new, t.old) AND {stored}
        """,  # noqa: S608
        params,
    )
    sets = ", ".join(f"{name} = b.{name}" for name in SCORE_COLUMNS)
    cursor.execute(
        f"""
        UPDATE {classes} c SET method = t.new, runner_up = t.old, reason = 'champion',
               parameters = c.challenger_parameters, challenger = '',
               challenger_parameters = '{{}}', {sets}
        FROM {PAIRS}
        LEFT JOIN {scores} b ON b.run_id = %(run)s AND b.product_id = t.p
             AND b.location_id = t.l AND b.method = t.new
        WHERE c.run_id = %(run)s AND c.product_id = t.p AND c.location_id = t.l
          AND c.challenger = t.new AND {stored}
        """,  # noqa: S608
        params,
    )


def _reject(evidence: ChallengerEvidence, rows: np.ndarray) -> None:
    """Retire the challengers of the ``rows`` series (they did not beat the champion over
    the trial), keeping the evidence; the registry's challenger slot is freed."""
    versions = ModelVersion._meta.db_table
    registry = ModelRegistryEntry._meta.db_table
    params = _pairs(evidence, rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {versions} v SET status = 'retired', retired_at = now(),
                   retired_reason = 'rejected', evidence = t.evidence::jsonb
            FROM {PAIRS}
            WHERE v.product_id = t.p AND v.location_id = t.l AND v.status = 'challenger'
            """,  # noqa: S608
            params,
        )
        cursor.execute(
            f"""
            UPDATE {registry} r SET challenger = ''
            FROM {PAIRS} WHERE r.product_id = t.p AND r.location_id = t.l
            """,  # noqa: S608
            params,
        )
    bump_namespace("forecasts")
