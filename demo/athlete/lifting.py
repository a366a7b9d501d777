"""The athlete's lifting log as they type it into a sheet: programme, progression, typos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from demo.athlete.plan import Week

SHEET_HEADER = ["date", "exercise", "set", "reps", "weight_kg"]


@dataclass(frozen=True)
class Lift:
    name: str
    start_kg: float
    sets: int
    reps: int
    step_kg: float  # progression per session (0: fixed or bodyweight)


@dataclass(frozen=True)
class Programme:
    """The lifts and the sessions that take turns (each session one template of lift names)."""

    lifts: tuple[Lift, ...]
    templates: tuple[tuple[str, ...], ...]

    def lift(self, name: str) -> Lift:
        return next(lift for lift in self.lifts if lift.name == name)


CROSSFIT = Programme(
    lifts=(
        Lift("Back Squat", 80.0, 5, 5, 2.5),
        Lift("Bench Press", 62.5, 5, 5, 1.25),
        Lift("Pull-up", 0.0, 3, 8, 0.0),
        Lift("Deadlift", 100.0, 3, 5, 2.5),
        Lift("Overhead Press", 40.0, 5, 5, 1.25),
        Lift("Kettlebell Swing", 24.0, 3, 15, 0.0),
        Lift("Front Squat", 65.0, 4, 6, 2.5),
        Lift("Power Clean", 55.0, 5, 3, 1.25),
        Lift("Thruster", 40.0, 3, 10, 1.25),
    ),
    templates=(
        ("Back Squat", "Bench Press", "Pull-up"),
        ("Deadlift", "Overhead Press", "Kettlebell Swing"),
        ("Front Squat", "Power Clean", "Thruster"),
    ),
)
# (reps added to the lift's usual reps, load factor): standard, heavy, volume.
_SCHEMES = ((0, 1.0), (-2, 1.075), (3, 0.875))
# Rows a person really types by mistake; None cells are copied from a neighbouring good row.
_BAD_ROWS: tuple[list[str | None], ...] = (
    [None, "Back Squat", "1", "5", "8O"],
    ["31/02/2024", "Deadlift", "1", "5", "100"],
    [None, "Bench Press", "2", "-5", "60"],
    [None, "", "1", "5", "60"],
)


def lifting_log(
    rng: np.random.Generator, weeks: list[Week], end: date, programme: Programme = CROSSFIT
) -> list[list[str]]:
    """The sheet's rows, header first: every set of every lifting day before `end`, a blank
    line now and then, and four rows typed wrong."""
    rows: list[list[str]] = [list(SHEET_HEADER)]
    loads = {lift.name: lift.start_kg for lift in programme.lifts}
    templates = programme.templates
    session = 0
    was_on_break = False
    for week in weeks:
        for day_index in week.lift_days:
            day = week.monday + timedelta(days=day_index)
            if day >= end:
                continue
            template = templates[session % len(templates)]
            session += 1
            deload = (session // 3) % 7 == 6  # every seventh week lighter
            for exercise in template:
                lift = programme.lift(exercise)
                start, sets, reps, step = lift.start_kg, lift.sets, lift.reps, lift.step_kg
                load = loads[exercise]
                if step and not deload:
                    # Gains come fast at first and slow down near a ceiling of +60 %.
                    room = 1 - (load - start) / (0.6 * start)
                    if rng.random() < max(0.03, 0.5 * room):
                        loads[exercise] = load + step
                # Loaded lifts cycle through rep schemes (standard, heavy, volume), so
                # weight against reps has a shape; the last set now and then falls a rep short.
                extra_reps, factor = _SCHEMES[(session // len(templates)) % len(_SCHEMES)] \
                    if step else (0, 1.0)
                work = round(load * factor * (0.85 if deload else 1.0) / 2.5) * 2.5
                for set_number in range(1, sets + 1):
                    weight = "" if step == 0 and loads[exercise] == 0 else _fmt_kg(work)
                    done = reps + extra_reps - (1 if set_number == sets and step
                                                and reps + extra_reps > 2
                                                and (session + sets) % 4 == 0 else 0)
                    rows.append([day.isoformat(), exercise, str(set_number), str(done), weight])
        if rng.random() < 0.04 and len(rows) > 1:
            rows.append([])  # a blank line left between weeks
        on_break = week.run_km == 0 and not week.lift_days
        if on_break and not was_on_break:
            # a break costs a little strength, once
            loads = {k: (round(v * 0.95 / 2.5) * 2.5 if v else v) for k, v in loads.items()}
        was_on_break = on_break
    for position, bad in zip((0.2, 0.4, 0.6, 0.8), _BAD_ROWS, strict=True):
        index = max(1, int(len(rows) * position))
        anchor = next((r for r in rows[index:] if r), rows[-1])
        rows.insert(index, [cell if cell is not None else anchor[i] for i, cell in enumerate(bad)])
    return rows


def _fmt_kg(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))
