"""Phone normalisation throughput: normalize_phone against the bulk PhoneNormalizer.

Run from the repository root: ``python bench/bench_normalization.py [count]``.
Times one core on a deterministic mix of US inputs, the shape of a real
blocklist import (mostly valid, some foreign, some invalid), and checks on the
way that both give the same answers. Needs no Django settings.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from django.core.exceptions import ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accounts.normalization import PhoneNormalizer, normalize_phone  # noqa: E402

TEMPLATES = [
    ("{a}{x}{n}", 20),
    ("({a}) {x}-{n}", 20),
    ("+1 {a}-{x}-{n}", 15),
    ("1-{a}-{x}-{n}", 10),
    ("{a}.{x}.{n}", 10),
    ("+44 7911 {x}{n4}", 5),
    ("0044 20 7946 {n}", 3),
    ("{x}-{n}", 5),  # no area code: invalid
    ("+1 555 {x} {n}", 5),  # 555 is not an area code: invalid
    ("1{a}{x}{n}0", 4),  # one digit too many
    ("'{a}{x}{n}", 2),  # Excel's text apostrophe: slow path
    ("{a}{x}{n}.0", 1),  # float cell: slow path
]
AREA_CODES = ["415", "212", "646", "312", "617", "305", "206", "512", "702", "808", "268", "876"]


def make_inputs(count: int, seed: int = 42) -> list[str]:
    rng = random.Random(seed)
    templates = [template for template, _ in TEMPLATES]
    weights = [weight for _, weight in TEMPLATES]
    inputs = []
    for template in rng.choices(templates, weights, k=count):
        inputs.append(
            template.format(
                a=rng.choice(AREA_CODES),
                x=rng.randint(200, 999),
                n=f"{rng.randint(0, 9999):04d}",
                n4=f"{rng.randint(0, 999):03d}",
            )
        )
    return inputs


def reference(inputs: list[str]) -> list[str | None]:
    results = []
    for text in inputs:
        try:
            results.append(normalize_phone(text, "US"))
        except ValidationError:
            results.append(None)
    return results


def bulk(inputs: list[str]) -> list[str | None]:
    try_normalize = PhoneNormalizer("US").try_normalize
    return [try_normalize(text)[0] for text in inputs]


def timed(function, inputs):
    started = time.perf_counter()
    results = function(inputs)
    return results, time.perf_counter() - started


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    inputs = make_inputs(count)
    # Warm both paths (metadata loading, regex compilation) outside the timing.
    reference(inputs[:1000])
    bulk(inputs[:1000])

    expected, slow_seconds = timed(reference, inputs)
    actual, fast_seconds = timed(bulk, inputs)

    valid = sum(result is not None for result in expected)
    print(f"{count:,} mixed US inputs, {valid / count:.0%} valid")
    for name, seconds in (("normalize_phone", slow_seconds), ("PhoneNormalizer", fast_seconds)):
        print(f"{name:<22}  {count / seconds:>10,.0f} numbers/s  ({seconds:.1f} s)")
    print(f"{'speed-up':<22}  {slow_seconds / fast_seconds:>10.1f}x")
    mismatches = sum(a != b for a, b in zip(expected, actual, strict=True))
    print(f"{'disagreements':<22}  {mismatches:>10,}")
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
