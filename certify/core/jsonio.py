"""JSON read at face value or refused: the one parser for every JSON a user hands to certify.

Python's ``json`` module accepts ``NaN``, ``Infinity`` and ``-Infinity``, turns ``1e400`` into
``inf``, recurses once per nesting level (so 10**5 nested brackets raise ``RecursionError``), and
refuses integers of more than 4300 digits with a bare ``ValueError``.  None of that may reach a
check: a non-finite number compares in surprising ways (``inf <= inf``), and the rest crash.

:func:`loads` refuses, with one line naming what and where:

* the constants ``NaN``, ``Infinity``, ``-Infinity`` and float literals that overflow binary64;
* integer literals of more than :data:`MAX_INT_DIGITS` digits;
* nesting deeper than :data:`MAX_DEPTH` (decided by a linear scan before parsing);
* float literals that underflow to zero, keys repeated in one object, and strings that are not
  Unicode text (lone surrogates);
* text longer than the caller's ``max_bytes``.

Exact numbers of any length belong in strings (certificates write ``"p/q"``), where the reader of
the format decides their limits.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from certify.core.errors import InputError

#: deepest nesting of arrays and objects accepted (certificates need 4, meta 1 or 2)
MAX_DEPTH = 64
#: most digits of a JSON integer literal (binary64 stops at 309 digits; exact numbers go in strings)
MAX_INT_DIGITS = 309
#: default cap on the size of a JSON file or string (bytes)
MAX_BYTES = 16 * 2**20

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


class _Refused(ValueError):
    pass


def _constant(name: str) -> Any:
    raise _Refused(f"non-finite number {name} (JSON numbers must be finite)")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"number {text[:30]} overflows binary64 (JSON numbers must be finite)")
    if value == 0 and any(c in "123456789" for c in text.lower().partition("e")[0]):
        raise _Refused(f"number {text[:30]} underflows to 0 in binary64 (write exact numbers as strings)")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _Refused(f"the key {dup[:40]!r} appears twice in one object")
    return obj


def _check_text(obj: Any) -> None:
    """Refuse strings that are not Unicode text (lone surrogates, from '\\ud800' escapes): they cannot be
    printed or written as UTF-8."""
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            try:
                x.encode("utf-8")
            except UnicodeEncodeError:
                raise _Refused("a string holds a lone surrogate (not Unicode text)") from None
        elif isinstance(x, dict):
            stack.extend(x.keys())
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)


def _int(text: str) -> int:
    digits = len(text) - (text[0] == "-")
    if digits > MAX_INT_DIGITS:
        raise _Refused(f"integer of {digits} digits (at most {MAX_INT_DIGITS}; write exact numbers as strings)")
    return int(text)


def nesting_depth(text: str) -> int:
    """The deepest nesting of [ and { outside string literals (an upper bound for malformed text)."""
    bare = _STRING.sub('""', text).encode("utf-8", "surrogatepass")
    b = np.frombuffer(bare, dtype=np.uint8)
    step = ((b == ord("[")) | (b == ord("{"))).astype(np.int64) - ((b == ord("]")) | (b == ord("}")))
    return int(np.cumsum(step).max(initial=0))


def loads(text: str, what: str, *, max_bytes: int = MAX_BYTES) -> Any:
    """Parse ``text`` or raise :class:`InputError` naming ``what`` (a file, 'meta', ...)."""
    if len(text) > max_bytes:
        raise InputError(f"{what}: {len(text)} characters of JSON is beyond the limit of {max_bytes}")
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise InputError(f"{what}: JSON nested {depth} levels deep (at most {MAX_DEPTH})")
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int,
                           object_pairs_hook=_object)
        _check_text(value)
        return value
    except _Refused as exc:
        raise InputError(f"{what}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{what}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # pragma: no cover - guarded above; kept as a backstop
        raise InputError(f"{what}: not acceptable JSON ({exc.__class__.__name__})") from None


def read(path: str | Path, what: str | None = None, *, max_bytes: int = MAX_BYTES) -> Any:
    """Read and parse a JSON file, checking its size before reading it."""
    p = Path(path)
    label = what or str(p)
    if not p.is_file():
        raise InputError(f"{label}: no such file")
    size = p.stat().st_size
    if size > max_bytes:
        raise InputError(f"{label}: {size} bytes is beyond the limit of {max_bytes} for a JSON file")
    try:  # at most one byte past the limit is read: a file that grows, or reports size 0, is still capped
        with open(p, "rb") as fh:
            raw = fh.read(max_bytes + 1)
        if len(raw) > max_bytes:
            raise InputError(f"{label}: more than {max_bytes} bytes, beyond the limit for a JSON file")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{label}: cannot read it as UTF-8 text ({exc.__class__.__name__})") from None
    return loads(text, label, max_bytes=max_bytes)


def finite_only(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None (null: unbounded or unknown), so that what
    certify writes is standard JSON; numpy scalars become Python numbers."""
    if isinstance(obj, dict):
        return {k: finite_only(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_only(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def dumps(obj: Any, **kwargs: Any) -> str:
    """Standard JSON (no NaN or Infinity): non-finite floats are written as null."""
    return json.dumps(finite_only(obj), allow_nan=False, **kwargs)
