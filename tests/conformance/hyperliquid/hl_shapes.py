"""Structural comparison of a simnet answer with a recorded or documented real answer.

Compares shapes, not values: the same keys (with declared exceptions), the same JSON kinds, and for
strings the same format class (decimal string with a point, integer string, 0x-hex, other text).
Lists compare every element of the actual list with the first recorded element.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

DATA = Path(__file__).resolve().parent / "data"
DECIMAL_POINT = re.compile(r"^-?\d+\.\d+$")
DECIMAL_INT = re.compile(r"^-?\d+$")
HEX = re.compile(r"^0x[0-9a-fA-F]+$")


def load(name: str) -> dict[str, Any]:
    doc = json.loads((DATA / name).read_text())
    assert doc.get("_source"), f"{name} must name its source"
    return doc


def kind(value: Any, coarse: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if coarse:
        return "string"
    if DECIMAL_POINT.match(value):
        return "decimal-string"
    if DECIMAL_INT.match(value):
        return "integer-string"
    if HEX.match(value):
        return "hex-string"
    return "text"


def _matches(pattern: str, path: str) -> bool:
    regex = "^" + re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]") + "$"
    return re.match(regex, path) is not None


def _listed(path: str, patterns: Iterable[str]) -> bool:
    return any(_matches(p, path) for p in patterns)


def shape_diff(expected: Any, actual: Any, path: str = "$", *, allow_extra: Iterable[str] = (),
               ignore: Iterable[str] = (), nullable: Iterable[str] = (), coarse: bool = False) -> list[str]:
    """Every structural difference, as readable lines (empty when the shapes agree).

    allow_extra: paths of keys simnet may add; ignore: recorded paths simnet need not produce;
    nullable: paths where either null or the recorded kind is fine. Paths use "$.key[*].key"."""
    allow_extra, ignore, nullable = list(allow_extra), list(ignore), list(nullable)
    problems: list[str] = []
    want, got = kind(expected, coarse), kind(actual, coarse)
    if want != got:
        if not (_listed(path, nullable) and "null" in (want, got)):
            problems.append(f"{path}: recorded {want} ({expected!r}), simnet {got} ({actual!r})")
        return problems
    if isinstance(expected, dict):
        for key, value in expected.items():
            sub = f"{path}.{key}"
            if _listed(sub, ignore):
                continue
            if key not in actual:
                problems.append(f"{sub}: missing in simnet")
                continue
            problems += shape_diff(value, actual[key], sub, allow_extra=allow_extra, ignore=ignore,
                                   nullable=nullable, coarse=coarse)
        for key in actual:
            sub = f"{path}.{key}"
            if key not in expected and not _listed(sub, allow_extra):
                problems.append(f"{sub}: simnet adds a key the recording does not have")
    elif isinstance(expected, list) and expected:
        if not actual:
            problems.append(f"{path}: simnet list is empty, cannot compare element shapes")
        for index, item in enumerate(actual):
            problems += shape_diff(expected[0], item, f"{path}[{index}]", allow_extra=allow_extra,
                                   ignore=ignore, nullable=nullable, coarse=coarse)
    return problems


def post_info(hl: Any, body: dict[str, Any]) -> Any:
    """An /info request to the simulated venue, as the SDK's API class sends it."""
    from hyperliquid.api import API

    return API(hl.url).post("/info", body)


def check(expected: Any, actual: Any, **rules: Any) -> None:
    problems = shape_diff(expected, actual, **rules)
    assert not problems, "\n".join(problems)
