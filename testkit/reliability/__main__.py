"""`python -m testkit.reliability [--quick] [--only NAME]`: the trials as one table."""

from __future__ import annotations

import argparse
import sys

from testkit.reliability.trials import load_all, timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make reliability", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the reduced runs of `make test`")
    parser.add_argument("--only", action="append", default=[],
                        help="run only this trial (its number or name)")
    args = parser.parse_args(argv)
    trials = load_all()
    chosen = [t for name, t in trials.items()
              if not args.only or name in args.only or str(t.number) in args.only]
    if not chosen:
        print(f"no such trial; choose from: {', '.join(trials)}", file=sys.stderr)
        return 2
    rows = []
    for t in chosen:
        runs = t.quick_runs if args.quick else t.full_runs
        print(f"… {t.number}. {t.name} ({runs} runs)", file=sys.stderr, flush=True)
        outcome, seconds = timed(t.run, runs)
        rows.append((f"{t.number}. {t.name}", outcome, seconds))
        for problem in outcome.problems:
            print(f"   ! {problem}", file=sys.stderr)
    width = max(len(r[0]) for r in rows)
    print(f"\n{'trial':<{width}}  {'runs':>5}  {'failures':>8}  {'time':>7}  figure")
    for name, outcome, seconds in rows:
        print(f"{name:<{width}}  {outcome.runs:>5}  {outcome.failures:>8}  {seconds:>6.1f}s  "
              f"{outcome.figure}")
    failed = sum(o.failures for _, o, _ in rows)
    print(f"\n{'all trials passed' if not failed else f'{failed} failure(s)'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
