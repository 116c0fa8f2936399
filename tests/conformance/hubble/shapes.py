"""Structural comparison of a simnet answer with a documented example (keys, types, number formats, enums).

Expected examples are JSON written from the node's Go types (each data file names its
source in "_source"). Values are compared by kind, not equality:
- dict: the same key set (keys starting with "_" in the example are metadata), recursively;
- list: every actual element against the example's first element;
- str: the same format class (8-decimal string, integer string, 32-byte hash, address, text);
  "$enum:a|b" lists the allowed values, "$re:..." is a regular expression to match;
- int (a Go integer / *big.Int) must be an int; float (a Go float64) may be an int or a float,
  since encoding/json writes 2.0 as 2; bool and null must match exactly.
Keys listed in "_nullable" may be null in the answer (Go nil slices); keys listed in "_maps" are Go
maps: any keys of the example's key format, every value against the example's first value. A list
example with several items (e.g. success and failure answers) admits an item matching any of them.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
FORMATS = [("decimal8", re.compile(r"^-?\d+\.\d{8}$")), ("integer", re.compile(r"^-?\d+$")),
           ("hash", re.compile(r"^0x[0-9a-f]{64}$")), ("address", re.compile(r"^0x[0-9a-f]{40}$"))]


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text())


def string_format(text: str) -> str:
    for name, pattern in FORMATS:
        if pattern.match(text):
            return name
    return "text"


def mismatches(expected: Any, actual: Any, path: str = "$", nullable: frozenset[str] = frozenset()) -> list[str]:
    """Every difference of shape between the example and the answer (empty when they agree)."""
    key = path.rsplit(".", 1)[-1]
    if actual is None and key in nullable:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {type(actual).__name__}"]
        nullable = nullable | frozenset(expected.get("_nullable", ()))
        maps = frozenset(expected.get("_maps", ()))
        want = {k for k in expected if not k.startswith("_")}
        errors = [f"{path}: keys differ: missing {sorted(want - set(actual))}, extra {sorted(set(actual) - want)}"] \
            if want != set(actual) else []
        for k in sorted(want & set(actual)):
            check = _go_map if k in maps else mismatches
            errors += check(expected[k], actual[k], f"{path}.{k}", nullable)
        return errors
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {type(actual).__name__}"]
        return [e for i, item in enumerate(actual) for e in _any_of(expected, item, f"{path}[{i}]", nullable)] \
            if expected else []
    return _scalar(expected, actual, path)


def _any_of(examples: list[Any], actual: Any, path: str, nullable: frozenset[str]) -> list[str]:
    tries = [mismatches(example, actual, path, nullable) for example in examples]
    return [] if any(not t for t in tries) else min(tries, key=len)


def _go_map(expected: dict[str, Any], actual: Any, path: str, nullable: frozenset[str]) -> list[str]:
    if not isinstance(actual, dict):
        return [f"{path}: expected a map, got {type(actual).__name__}"]
    key, value = next(iter(expected.items()))
    errors = [f"{path}: key {k!r} is not a {string_format(key)} string" for k in actual
              if string_format(k) != string_format(key)]
    return errors + [e for k, v in actual.items() for e in mismatches(value, v, f"{path}[{k}]", nullable)]


def _scalar(expected: Any, actual: Any, path: str) -> list[str]:
    if isinstance(expected, str) and expected.startswith("$enum:"):
        allowed = expected[len("$enum:"):].split("|")
        return [] if actual in allowed else [f"{path}: {actual!r} not in {allowed}"]
    if isinstance(expected, str) and expected.startswith("$re:"):
        ok = isinstance(actual, str) and re.match(expected[len("$re:"):], actual)
        return [] if ok else [f"{path}: {actual!r} does not match {expected[4:]}"]
    if isinstance(expected, bool) or expected is None:
        return [] if actual is expected or (isinstance(actual, bool) and isinstance(expected, bool)) \
            else [f"{path}: expected {expected!r}, got {actual!r}"]
    if isinstance(expected, int):
        return [] if isinstance(actual, int) and not isinstance(actual, bool) \
            else [f"{path}: expected an integer, got {actual!r}"]
    if isinstance(expected, float):
        return [] if isinstance(actual, (int, float)) and not isinstance(actual, bool) \
            else [f"{path}: expected a number, got {actual!r}"]
    if isinstance(expected, str):
        if not isinstance(actual, str):
            return [f"{path}: expected a string, got {actual!r}"]
        want, got = string_format(expected), string_format(actual)
        return [] if want == got else [f"{path}: expected a {want} string, got {actual!r} ({got})"]
    return [f"{path}: unsupported example value {expected!r}"]


def assert_conforms(name: str, actual: Any) -> None:
    errors = mismatches(load(name), actual)
    assert not errors, f"{name}:\n" + "\n".join(errors)
