"""Compare the structure of a simnet Binance answer with a documented or recorded one.

Values are not compared; what is: the key sets of objects (with the exceptions a data file
declares in ``_extra``, ``_optional`` and ``_missing_ok``, each with its reason), the JSON kind
of every value (object, list, string, int, float, bool, null) and, for strings, whether they
hold a decimal number ("0.0100", "-3", "1e-8" count as numbers) or text. The elements of an
actual list are each compared with the first documented element, or, for lists declared in
``_keyed_lists``, with the documented element that has the same value under the key (e.g.
exchangeInfo filters by ``filterType``).

Paths look like ``$.symbols[*].filters[PERCENT_PRICE].multiplierUp``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def load(name: str) -> dict[str, Any]:
    spec = json.loads((DATA / f"{name}.json").read_text())
    if not spec.get("_source"):
        raise AssertionError(f"{name}.json names no source")
    return spec


def kind(value: Any) -> str:
    if value is None:
        return "null"
    for python_type, name in ((bool, "bool"), (int, "int"), (float, "float"), (list, "list"), (dict, "object")):
        if isinstance(value, python_type):
            return name
    return "number-string" if NUMBER.match(value) else "text"


class Shapes:
    def __init__(self, spec: dict[str, Any]):
        self.extra = set(spec.get("_extra", {}))
        self.optional = set(spec.get("_optional", {})) | set(spec.get("_missing_ok", {}))
        self.keyed = spec.get("_keyed_lists", {})
        self.problems: list[str] = []

    def compare(self, documented: Any, actual: Any, path: str = "$") -> list[str]:
        if kind(documented) != kind(actual):
            self.problems.append(f"{path}: documented {kind(documented)}, simnet {kind(actual)} ({actual!r:.60})")
        elif isinstance(documented, dict):
            self._objects(documented, actual, path)
        elif isinstance(documented, list):
            self._lists(documented, actual, path)
        return self.problems

    def _objects(self, documented: dict, actual: dict, path: str) -> None:
        for key in documented.keys() - actual.keys():
            if f"{path}.{key}" not in self.optional:
                self.problems.append(f"{path}.{key}: documented, missing from simnet")
        for key in actual.keys() - documented.keys():
            if f"{path}.{key}" not in self.extra:
                self.problems.append(f"{path}.{key}: sent by simnet, not documented")
        for key in documented.keys() & actual.keys():
            self.compare(documented[key], actual[key], f"{path}.{key}")

    def _lists(self, documented: list, actual: list, path: str) -> None:
        if not documented:
            return
        key = self.keyed.get(path)
        if key is None:
            for item in actual:
                self.compare(documented[0], item, f"{path}[*]")
            return
        by_key = {item[key]: item for item in documented}
        seen = set()
        for item in actual:
            name = item.get(key)
            seen.add(name)
            if name in by_key:
                self.compare(by_key[name], item, f"{path}[{name}]")
            elif f"{path}[{name}]" not in self.extra:
                self.problems.append(f"{path}[{name}]: sent by simnet, not documented")
        for name in by_key.keys() - seen:
            if f"{path}[{name}]" not in self.optional:
                self.problems.append(f"{path}[{name}]: documented, missing from simnet")


def shape_problems(name: str, actual: Any) -> list[str]:
    """Differences between simnet's `actual` answer and data/<name>.json; [] when they agree."""
    spec = load(name)
    return Shapes(spec).compare(spec["sample"], generalise(actual))


def generalise(value: Any) -> Any:
    """JSON round trip: what a client parses off the wire."""
    return json.loads(json.dumps(value))
