"""Benchmark (not a test): microseconds per full-school-year estimate.

Run: ``.venv/bin/python bench/core_estimate.py``. Target: under 50 µs per estimate
(p.4/p.5/p.7 schedule of core.schedule.estimate for Sep 2025 – May 2026).
"""

from __future__ import annotations

import sys
import timeit
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.months import Month
from core.schedule import EstimateRequest, estimate

TARGET_US = 50.0

REQUEST = EstimateRequest(
    applied=date(2025, 9, 1),
    certificate_start=Month(2025, 9),
    certificate_end=Month(2026, 5),
    birth=date(2015, 3, 2),
)


def main() -> int:
    result = estimate(REQUEST)  # warm up: parameters are loaded once
    assert str(result.total) == "132112.00", result.total  # 16 × 3932 + 16 × 4325
    number = 20_000
    best = min(timeit.repeat(lambda: estimate(REQUEST), number=number, repeat=5))
    micros = best / number * 1e6
    print(
        f"core.estimate, full school year: {micros:.1f} µs per estimate (target < {TARGET_US:.0f} µs)"
    )
    return 0 if micros < TARGET_US else 1


if __name__ == "__main__":
    sys.exit(main())
