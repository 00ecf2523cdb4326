"""Every Solomon instance, one after the other (one core each, never in parallel).

    python benchmarks/routing_solomon_all.py --seconds 10 [--pattern 'R1*'] [--engine pyvrp]
    python benchmarks/routing_solomon_all.py --folder ../shared/data/vrp/homberger_1000 \
        --pattern '*.vrp' --seconds 60 --neighbours 30

Prints one JSON object: per-instance rows (as ``routing_solomon.py`` prints them, without the
routes) and a summary: instances, all feasible, average and worst gap to the distance-only
best-known solutions, total and average seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from routing_solomon import DATA, run


def summarise(rows: list[dict]) -> dict:
    gaps = [row["gap_to_bks_percent"] for row in rows if row["gap_to_bks_percent"] is not None]
    return {
        "instances": len(rows),
        "all_feasible": all(row["feasible"] for row in rows),
        "infeasible": [row["instance"] for row in rows if not row["feasible"]],
        "average_gap_percent": round(statistics.fmean(gaps), 3) if gaps else None,
        "worst_gap_percent": max(gaps) if gaps else None,
        "worst_instance": max(rows, key=lambda r: r["gap_to_bks_percent"] or -1e9)["instance"]
        if gaps
        else None,
        "average_vehicles": round(statistics.fmean(r["vehicles"] for r in rows), 2)
        if rows
        else None,
        "total_seconds": round(sum(r["seconds"] for r in rows), 1),
        "average_seconds": round(statistics.fmean(r["seconds"] for r in rows), 2) if rows else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pattern", default="*.txt", help="glob inside the Solomon folder")
    parser.add_argument("--engine", choices=["pyvrp", "ortools"], default="pyvrp")
    parser.add_argument("--folder", type=Path, default=DATA / "solomon")
    parser.add_argument("--neighbours", type=int, help="PyVRP granular neighbourhood size")
    parser.add_argument("--optional", action="store_true", help="orders as prize-collecting")
    parser.add_argument("--params", type=Path, help="PyVRP SolveParams as a TOML file")
    args = parser.parse_args()

    pattern = args.pattern if args.pattern.endswith((".txt", ".vrp")) else args.pattern + ".txt"
    rows = []
    for path in sorted(args.folder.glob(pattern)):
        row = run(
            path,
            args.seconds,
            args.engine,
            optional=args.optional,
            neighbours=args.neighbours,
            params_file=args.params,
        )
        row.pop("routes")
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)  # progress for whoever polls
    print(
        json.dumps(
            {
                "engine": args.engine,
                "seconds_per_instance": args.seconds,
                "neighbours": args.neighbours,
                "params": args.params.read_text() if args.params else None,
                "orders": "optional" if args.optional else "required",
                "summary": summarise(rows),
                "rows": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
