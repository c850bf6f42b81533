"""Program documents for the tests: the contract's example file and a way to change one field of it."""

import copy
import json
import re
from pathlib import Path
from typing import Any

EXAMPLE_PATH = Path(__file__).with_name("program.example.json")
DEMO_PATH = Path(__file__).resolve().parents[3] / "demo" / "program.json"
DELETE = object()


def example() -> dict:
    """A fresh copy of contract/program.example.json (every field, every rule type)."""
    return json.loads(EXAMPLE_PATH.read_text())


def changed(document: dict, **changes: Any) -> dict:
    """A copy of `document` with each JSON path (`earning__rules_2__limit__period` is
    `earning.rules[2].limit.period`) set to its value, or removed when the value is DELETE."""
    result = copy.deepcopy(document)
    for dunder_path, value in changes.items():
        *parents, last = _steps(dunder_path)
        target = result
        for step in parents:
            target = target[step]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return result


def _steps(dunder_path: str) -> list[str | int]:
    steps: list[str | int] = []
    for part in dunder_path.split("__"):
        match = re.fullmatch(r"(\w+?)_(\d+)", part)
        if match:
            steps += [match.group(1), int(match.group(2))]
        else:
            steps.append(part)
    return steps
