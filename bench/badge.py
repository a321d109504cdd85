"""How long a badge takes to render and encode, and how many bytes it sends, per paper width.

Run: ``.venv/bin/python bench/badge.py [--count 200]``. Targets: under 30 ms per
badge (render + encode) and at most 25 KB per job. The first badge pays for
loading the printer database and fonts; it is timed separately ("cold").
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from printers.badge import BadgeInfo, render_badge
from printers.escpos_job import build_job
from printers.profiles import get_profile

FIRST = ["Sérgio", "Γιώργος", "Дмитрий", "Khai", "小明", "Anna", "Oluwaseun", "Björn", "Zoë", "François",
         "Małgorzata", "Jiří", "Siobhán", "Παναγιώτης", "Александра", "Ştefan", "Øystein", "Li",
         "José María", "Maximiliana-Alexandrina"]
LAST = ["Gonçalves", "Παπαδόπουλος", "Иванов", "Nguyễn Thị Minh", "王", "Smith", "Adeyemi-Okonkwo",
        "Þórsdóttir", "van der Berg", "Wolfeschlegelsteinhausenbergerdorff", "Brzęczyszczykiewicz",
        "O'Brien", "陈", "Ng"]
COMPANIES = [None, None, "Gamesys", "Tecknuovo", "Python Software Foundation",
             "Very Long Company Name International Holdings plc", "株式会社テスト"]
MARKS = [None, None, None, "WALK-IN", "SPEAKER"]
PROFILES = ["TM-T20II", "TM-T88V", "TH230", "POS-5890", "Sunmi-V2"]


def attendees(count: int, seed: int = 26) -> list[BadgeInfo]:
    """``count`` varied attendees, the same every run."""
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        name = f"{last}{first}" if last in ("王", "陈") else f"{first} {last}"
        code = "".join(rnd.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))
        out.append(BadgeInfo(name, first, rnd.choice(COMPANIES), "London Python Meetup", "Thu 26 Nov 2026",
                             f"LPM-{code[:4]}-{code[4:]}", "Thanks to Gamesys & Tecknuovo", rnd.choice(MARKS)))
    return out


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def bench_profile(profile: str, people: list[BadgeInfo]) -> dict[str, float]:
    """Timings in ms and sizes in bytes for one printer profile."""
    spec = get_profile(profile)
    started = time.perf_counter()
    build_job(people[0], profile)
    cold = (time.perf_counter() - started) * 1000
    render, total, sizes = [], [], []
    for info in people:
        t0 = time.perf_counter()
        job = build_job(info, profile)  # first, so it gets no help from the QR cache
        t1 = time.perf_counter()
        render_badge(info, spec.width_dots, include_qr=not spec.native_qr)
        t2 = time.perf_counter()
        total.append((t1 - t0) * 1000)
        render.append((t2 - t1) * 1000)
        sizes.append(len(job))
    return {"width": spec.width_dots, "native": spec.native_qr, "cold": cold,
            "render_med": statistics.median(render), "render_p99": percentile(render, 0.99),
            "job_med": statistics.median(total), "job_p99": percentile(total, 0.99),
            "bytes_med": statistics.median(sizes), "bytes_max": max(sizes)}


def main() -> None:
    """Print one table row per profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    people = attendees(args.count)
    print(f"{args.count} badges per profile (render+encode = the whole build_job)")
    print(f"{'profile':<10} {'dots':>4} {'nativeQR':>8} {'cold ms':>8} {'render med/p99 ms':>18} "
          f"{'render+encode med/p99 ms':>25} {'bytes med/max':>14}")
    for profile in PROFILES:
        r = bench_profile(profile, people)
        print(f"{profile:<10} {r['width']:>4} {'yes' if r['native'] else 'no':>8} {r['cold']:>8.1f} "
              f"{r['render_med']:>9.1f} /{r['render_p99']:>6.1f} {r['job_med']:>14.1f} /{r['job_p99']:>8.1f} "
              f"{r['bytes_med']:>7.0f}/{r['bytes_max']:>6}")


if __name__ == "__main__":
    main()
