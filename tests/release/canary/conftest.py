"""Helpers for the canary judge tests: configs and samples built in memory."""

from __future__ import annotations

import random

from secloop.release.canary.config import parse_config
from secloop.release.canary.model import JudgeConfig, Samples


def config(text: str) -> JudgeConfig:
    return parse_config(text, "judge.yaml")


def normal(mean: float, sd: float, n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [round(rng.gauss(mean, sd), 3) for _ in range(n)]


def samples(source: str, **series: list[float]) -> Samples:
    return Samples(source, {name: list(values) for name, values in series.items()})
