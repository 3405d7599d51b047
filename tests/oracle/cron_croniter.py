"""Cron oracle: sluice's next ticks against python3-croniter's.

Generates random cron lines (every field form: *, N, A-B, */S, A-B/S, N/S,
lists, month and weekday names, Sunday as 0 or 7) and start instants from
1970 to 2099, asks tests/oracle/cron_next and croniter for the next three
ticks in UTC, and fails on any difference.

Intended differences, handled here rather than counted:
 - Day of month and day of week: when both are restricted a day matches
   either (cron's OR rule).  sluice follows Vixie cron in treating a field
   written starting with "*" ("*/2") as unrestricted for that rule (AND);
   croniter looks only at the expanded values, so it is asked with
   day_or=False in exactly those cases.
 - croniter reads a restricted field that happens to list every value
   ("1-31", "SUN-7", "1/1") as "*", and so ANDs the other day field with
   it; in cron (and sluice) such a field is restricted, and OR with it
   matches every day.  Asked as "*" "*" in those cases.
 - croniter refuses days of the month that none of the chosen months has
   ("31" in June) even when the weekday field, ORed, fires; sluice fires on
   those weekdays.  Asked with the day of the month "*" in those cases.
 - croniter 1.3.5 has bugs of its own (it skips March 1 after February when
   both day fields are ANDed): where sluice and croniter disagree, a plain
   day-by-day walk over the expanded fields (brute_force) decides, and
   croniter's slips are counted, not failed.
 - A line that can never fire ("0 0 30 2 *") is refused by sluice at parse
   time; croniter accepts it and fails when asked for a tick.  Such lines
   must fail in both.
Usage: cron_croniter.py CRON_NEXT [CASES] [SEED]
"""
import random
import subprocess
import sys
from datetime import datetime, timezone

from croniter import CroniterBadDateError, croniter

MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
DAYS = "SUN MON TUE WED THU FRI SAT".split()
FIELDS = [(0, 59, None), (0, 23, None), (1, 31, None), (1, 12, MONTHS), (0, 7, DAYS)]


def value(rng, lo, hi, names):
    v = rng.randint(lo, hi)
    if names is MONTHS and rng.random() < 0.3:
        return MONTHS[v - 1]
    if names is DAYS and rng.random() < 0.3 and v < 7:
        return DAYS[v]
    return str(v)


def item(rng, lo, hi, names):
    kind = rng.random()
    if kind < 0.15:
        return "*"
    if kind < 0.3:
        return "*/%d" % rng.randint(1, max(1, (hi - lo) // 2))
    if kind < 0.55:
        return value(rng, lo, hi, names)
    a = rng.randint(lo, hi)
    b = rng.randint(a, hi)
    r = "%s-%s" % (value(rng, a, a, names), value(rng, b, b, names))
    if kind < 0.75:
        return r
    if kind < 0.9:
        return "%s/%d" % (r, rng.randint(1, max(1, min(b - a + 1, hi - lo))))
    # sluice refuses a step as wide as the field ("0/8" for weekdays): it could
    # only ever pick the first value, which is more likely a mistake.
    return "%d/%d" % (a, rng.randint(1, max(1, hi - lo)))


def field(rng, lo, hi, names):
    n = 1 if rng.random() < 0.7 else rng.randint(2, 3)
    items = [item(rng, lo, hi, names) for _ in range(n)]
    if n > 1:
        items = [i for i in items if not i.startswith("*")] or ["1" if lo else "0"]
    return ",".join(items)


def line(rng):
    parts = [field(rng, lo, hi, names) for lo, hi, names in FIELDS]
    # Most real lines pin the minute and often the hour; keep many like that
    # so that ticks are days apart and the day rules are what is compared.
    if rng.random() < 0.6:
        parts[0] = str(rng.randint(0, 59))
    if rng.random() < 0.4:
        parts[1] = str(rng.randint(0, 23))
    return " ".join(parts)


def croniter_ticks(expr, start):
    f = expr.split()
    day_or = not (f[2].startswith("*") or f[4].startswith("*"))
    if day_or:
        expanded = croniter(expr).expanded
        if expanded[2] == ["*"] or expanded[4] == ["*"]:
            f[2] = f[4] = "*"      # one day field lists every day: all days match
    begin = datetime.fromtimestamp(start, timezone.utc)
    try:
        it = croniter(" ".join(f), begin, day_or=day_or)
        return [int(it.get_next(datetime).timestamp()) for _ in range(3)]
    except CroniterBadDateError:
        if not day_or:
            raise
    # No chosen month has the chosen days of the month: the weekdays alone fire.
    f[2] = "*"
    it = croniter(" ".join(f), begin, day_or=False)
    return [int(it.get_next(datetime).timestamp()) for _ in range(3)]


def brute_force(expr, start, n=3):
    """The next n ticks by walking the days one by one: slow, plain, and
    written from the cron rules alone (the values come from croniter's
    expansion of each field; the OR rule from how the fields are written).
    Asked only where sluice and croniter disagree, to say which is right."""
    f = expr.split()
    exp = croniter(expr).expanded
    full = [range(60), range(24), range(1, 32), range(1, 13), range(7)]
    sets = [set(full[i]) if exp[i] == ["*"] else {int(v) % 7 if i == 4 else int(v)
                                                   for v in exp[i]} for i in range(5)]
    day_or = not (f[2].startswith("*") or f[4].startswith("*"))
    day = datetime.fromtimestamp(start, timezone.utc).date()
    out = []
    for _ in range(366 * 400):
        dom, dow = day.day in sets[2], (day.weekday() + 1) % 7 in sets[4]
        if day.month in sets[3] and ((dom or dow) if day_or else (dom and dow)):
            base = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())
            for h in sorted(sets[1]):
                for m in sorted(sets[0]):
                    t = base + h * 3600 + m * 60
                    if t > start and len(out) < n:
                        out.append(t)
            if len(out) == n:
                return out
        day = day.fromordinal(day.toordinal() + 1)
    return out


def main():
    prog = sys.argv[1]
    cases = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 11
    rng = random.Random(seed)
    lines = []
    for _ in range(cases):
        start = rng.randint(0, 4102444799)          # 1970 .. 2099
        if rng.random() < 0.3:
            start -= start % 60                      # exactly on a minute
        lines.append((start, line(rng)))
    out = subprocess.run([prog], input="".join("%d\t-\t%s\n" % c for c in lines),
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == len(lines), "cron_next answered %d of %d" % (len(out), len(lines))
    bad = refused = croniter_wrong = 0
    for (start, expr), got in zip(lines, out):
        try:
            want = croniter_ticks(expr, start)
        except Exception as exc:  # croniter's errors for lines that never fire
            want = "croniter: %s" % type(exc).__name__
        if got.startswith("ERR"):
            refused += 1
            if isinstance(want, list):
                bad += 1
                print("MISMATCH %r from %d: sluice %s, croniter %s" % (expr, start, got, want))
            continue
        ticks = [int(t) for t in got.split()[1:]]
        if ticks != want and ticks == brute_force(expr, start):
            croniter_wrong += 1
            print("croniter wrong: %r from %d: %s, croniter %s" % (expr, start, ticks, want))
        elif ticks != want:
            bad += 1
            print("MISMATCH %r from %d (%s): sluice %s, croniter %s" % (
                expr, start, datetime.fromtimestamp(start, timezone.utc).isoformat(),
                ticks, want))
    print("%d cron lines (seed %d), %d refused by both, %d where croniter is wrong "
          "(checked day by day), %d mismatches" % (cases, seed, refused, croniter_wrong, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
