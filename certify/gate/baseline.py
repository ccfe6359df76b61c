"""Baselines: the statuses of a run kept in a file, and later runs held against them.

``certify all --write-baseline FILE`` records each claim's status (and, for an erratum, the status of
its corrected statement); ``certify all --baseline FILE`` compares a run with that record and exits 1
when anything got worse.  The file (``schema_version`` 1) holds no timings, so it changes only when a
verdict does::

    {
      "schema_version": 1,
      "tool": "certify",
      "certify_version": "0.1.0",
      "seed": 0,
      "quick": false,
      "claims": {
        "a1.homogeneity": {"status": "proved"},
        "example1.rank-two-speed": {"status": "erratum", "corrected": "proved"}
      }
    }

Claims are sorted by id, one per line.  ``seed``, ``quick`` and ``certify_version`` are informative: a
comparison notes when they differ from the run, but does not refuse it.

Ordering of entries (a higher rank is better)::

    3  holding: proved, certified, fuzzed, reproduced
    2  an erratum whose corrected statement holds
    1  skipped (and an erratum whose corrected statement was skipped)
    0  failing: refuted, undecided, error, and an erratum whose corrected statement fails

A claim is a *regression* when its rank went down; when it moved to another entry of the same rank
(``proved`` to ``certified``, ``refuted`` to ``undecided``, ``erratum -> proved`` to
``erratum -> certified``: the baseline is exact, and the fix is to record it again); when it moved
into ``skipped`` from anything else (a check that stops running must not hide a failure, so
``refuted`` to ``skipped`` is not an improvement); when its status or its corrected status is
``error`` (always, recorded or not); when it is new and fails (rank 0: nothing in the baseline
excuses it); or when it was recorded as holding (or as an erratum whose corrected statement held) and
is gone from the catalog.  A rank that went up is an *improvement*.  Every file this module reads is
refused with an :class:`~certify.core.errors.InputError` (one line, exit status 2) unless it is exactly of
this form.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from certify import __version__

from certify.core import jsonio
from certify.core.errors import InputError
from certify.kernel.verdict import Status

SCHEMA_VERSION = 1
#: the most bytes read from a baseline file (it is refused beyond this, before parsing)
MAX_BYTES = 16 * 2**20
#: the longest claim id accepted in a baseline
MAX_ID_CHARS = 200

HOLDING = frozenset({Status.PROVED, Status.CERTIFIED, Status.FUZZED, Status.REPRODUCED})
FAILING = frozenset({Status.REFUTED, Status.UNDECIDED, Status.ERROR})

_TOP_KEYS = ("schema_version", "tool", "certify_version", "seed", "quick", "claims")
_ENTRY_KEYS = ("status", "corrected")


def rank(status: Status) -> int:
    """3 holding, 2 erratum, 1 skipped, 0 failing (refuted, undecided, error): the rank of a status alone."""
    if status in HOLDING:
        return 3
    if status is Status.ERRATUM:
        return 2
    if status is Status.SKIPPED:
        return 1
    return 0


def entry_rank(entry: "Entry") -> int:
    """The rank of a whole entry: an erratum ranks by its corrected statement (2 when it holds, 1 when it
    was skipped, 0 when it fails), so ``erratum -> refuted`` is a failure like ``refuted``."""
    if entry.status is Status.ERRATUM:
        corrected = entry.corrected
        if corrected in HOLDING:
            return 2
        return 1 if corrected is Status.SKIPPED else 0
    return rank(entry.status)


@dataclass(frozen=True)
class Entry:
    """What a baseline records of one claim: its status, and for an erratum its corrected status."""

    status: Status
    corrected: Status | None = None

    def text(self) -> str:
        return self.status.value + (f" -> {self.corrected.value}" if self.corrected is not None else "")

    def to_dict(self) -> dict[str, str]:
        d = {"status": self.status.value}
        if self.corrected is not None:
            d["corrected"] = self.corrected.value
        return d

    @property
    def holds(self) -> bool:
        """The claim held as recorded: a holding status, or an erratum whose corrected statement holds."""
        if self.status is Status.ERRATUM:
            return self.corrected in HOLDING
        return self.status in HOLDING

    @property
    def errored(self) -> bool:
        return Status.ERROR in (self.status, self.corrected)


def entry_of(result: Any) -> Entry:
    """A run's result (:class:`certify.gate.runner.Result`) as a baseline entry."""
    corrected = None
    if result.status is Status.ERRATUM and result.corrected is not None:
        corrected = Status(result.corrected["status"])
    return Entry(result.status, corrected)


def judge(old: Entry, new: Entry) -> str:
    """'same', 'better', 'worse' or 'changed' (another entry of the same rank, or a move into skipped),
    by :func:`entry_rank`."""
    if old == new:
        return "same"
    before, after = entry_rank(old), entry_rank(new)
    if after < before:
        return "worse"
    if new.status is Status.SKIPPED or after == before:
        return "changed"
    return "better"


# --- the file -------------------------------------------------------------------------------------


def dumps(results: Iterable[Any], *, seed: int, quick: bool) -> str:
    """The baseline of ``results``: stable text, claims sorted by id, one per line, no timings."""
    entries = {r.id: entry_of(r) for r in results}
    head = {"schema_version": SCHEMA_VERSION, "tool": "certify", "certify_version": __version__,
            "seed": seed, "quick": quick}
    lines = ["{"]
    lines += [f"  {jsonio.dumps(k)}: {jsonio.dumps(v)}," for k, v in head.items()]
    if not entries:
        lines.append('  "claims": {}')
    else:
        lines.append('  "claims": {')
        body = [f"    {jsonio.dumps(cid)}: {jsonio.dumps(entries[cid].to_dict())}" for cid in sorted(entries)]
        lines.append(",\n".join(body))
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass
class Baseline:
    path: str
    claims: dict[str, Entry]
    seed: int | None = None
    quick: bool | None = None
    certify_version: str | None = None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _status(value: Any, where: str, label: str) -> Status:
    if isinstance(value, str):
        try:
            return Status(value)
        except ValueError:
            pass
    choices = ", ".join(s.value for s in Status)
    raise InputError(f"{label}: {where}: unknown status {_short(value)} (one of {choices})")


def _parse(doc: Any, path: str, label: str) -> Baseline:
    if not isinstance(doc, dict):
        raise InputError(f"{label}: not a certify baseline (a JSON object is expected)")
    unknown = [k for k in doc if k not in _TOP_KEYS]
    if unknown:
        raise InputError(f"{label}: unknown field {_short(unknown[0])} (a baseline has {', '.join(_TOP_KEYS)})")
    version = doc.get("schema_version")
    if version is None:
        raise InputError(f"{label}: no schema_version: not a certify baseline")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise InputError(f"{label}: schema_version {_short(version)} is not supported (this certify reads "
                         f"{SCHEMA_VERSION})")
    if "tool" in doc and doc["tool"] != "certify":
        raise InputError(f"{label}: tool is {_short(doc['tool'])}, not 'certify'")
    if "certify_version" in doc and not isinstance(doc["certify_version"], str):
        raise InputError(f"{label}: certify_version must be a string")
    if "seed" in doc and type(doc["seed"]) is not int:
        raise InputError(f"{label}: seed must be an integer, got {_short(doc['seed'])}")
    if "quick" in doc and not isinstance(doc["quick"], bool):
        raise InputError(f"{label}: quick must be true or false, got {_short(doc['quick'])}")
    claims = doc.get("claims")
    if not isinstance(claims, dict):
        raise InputError(f"{label}: 'claims' must be an object of claim id -> {{\"status\": ...}}")
    entries: dict[str, Entry] = {}
    for cid, rec in claims.items():
        if not cid or len(cid) > MAX_ID_CHARS or not cid.isprintable():
            raise InputError(f"{label}: {_short(cid)} is not a claim id (printable, 1 to {MAX_ID_CHARS} characters)")
        where = f"claim {_short(cid)}"
        if not isinstance(rec, dict):
            raise InputError(f"{label}: {where}: expected an object such as {{\"status\": \"proved\"}}")
        extra = [k for k in rec if k not in _ENTRY_KEYS]
        if extra:
            raise InputError(f"{label}: {where}: unknown field {_short(extra[0])} (an entry has status and corrected)")
        if "status" not in rec:
            raise InputError(f"{label}: {where}: no status")
        status = _status(rec["status"], where, label)
        corrected = None
        if status is Status.ERRATUM:
            if "corrected" not in rec:
                raise InputError(f"{label}: {where}: an erratum records the status of its corrected statement "
                                 "('corrected')")
            corrected = _status(rec["corrected"], f"{where} (corrected)", label)
            if corrected is Status.ERRATUM:
                raise InputError(f"{label}: {where}: a corrected statement cannot itself be an erratum")
        elif "corrected" in rec:
            raise InputError(f"{label}: {where}: only an erratum has a corrected status")
        entries[cid] = Entry(status, corrected)
    return Baseline(path=path, claims=entries, seed=doc.get("seed"), quick=doc.get("quick"),
                    certify_version=doc.get("certify_version"))


def load(path: str | Path) -> Baseline:
    """Read a baseline file, or raise InputError (one line) saying what is wrong with it.  At most
    :data:`MAX_BYTES` bytes are read; the text is parsed by :mod:`certify.core.jsonio` (finite numbers only,
    no key twice in one object, so no claim id twice)."""
    label = f"baseline {path}"
    p = Path(path)
    try:
        if not p.exists():
            raise InputError(f"{label}: no such file")
        if not p.is_file():
            raise InputError(f"{label}: not a regular file")
        with p.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise InputError(f"{label}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{label}: more than {MAX_BYTES} bytes, beyond the limit for a baseline")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{label}: not UTF-8 text") from None
    return _parse(jsonio.loads(text, label, max_bytes=MAX_BYTES), str(path), label)


# --- the comparison -------------------------------------------------------------------------------


@dataclass
class Change:
    """One claim that differs from the baseline.  ``kind``: worse, changed, error, new or removed for
    a regression; better for an improvement; new or removed for the lists of those names."""

    id: str
    kind: str
    baseline: Entry | None
    now: Entry | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind,
                "baseline": None if self.baseline is None else self.baseline.to_dict(),
                "now": None if self.now is None else self.now.to_dict()}

    def describe(self) -> str:
        if self.now is None:
            assert self.baseline is not None
            return f"{self.baseline.text()}, no longer in the catalog"
        if self.baseline is None:
            return f"{self.now.text()}, not in the baseline"
        return f"{self.baseline.text()}, now {self.now.text()}"


@dataclass
class Comparison:
    path: str
    regressions: list[Change] = field(default_factory=list)
    improvements: list[Change] = field(default_factory=list)
    new: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.regressions)

    def counts(self) -> dict[str, int]:
        return {"regressions": len(self.regressions), "improvements": len(self.improvements),
                "new": len(self.new), "removed": len(self.removed), "unchanged": self.unchanged}

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "counts": self.counts(),
                "regressions": [c.to_dict() for c in self.regressions],
                "improvements": [c.to_dict() for c in self.improvements],
                "new": [c.to_dict() for c in self.new],
                "removed": [c.to_dict() for c in self.removed],
                "notes": list(self.notes)}


def in_selection(patterns: Iterable[str]) -> Callable[[str], bool]:
    """Whether a claim id is one that ``certify run PATTERN...`` would select (ids or glob patterns)."""
    pats = list(patterns)
    return lambda cid: any(fnmatch.fnmatchcase(cid, p) if any(ch in p for ch in "*?[") else cid == p for p in pats)


def compare(results: list[Any], baseline: Baseline, *, known_ids: Iterable[str],
            selected: Callable[[str], bool] | None = None, seed: int | None = None,
            quick: bool | None = None) -> Comparison:
    """Hold ``results`` against ``baseline``.

    ``known_ids`` are the ids of the catalog.  A baseline claim that was not run is *removed* when it
    is not in the catalog and ``selected`` (default: every id) says the run would have included it; a
    claim of the catalog that was not run is simply not compared (a run of a subset).
    """
    known = set(known_ids)
    chosen = selected or (lambda cid: True)
    out = Comparison(path=baseline.path)
    ran: set[str] = set()
    for r in results:
        ran.add(r.id)
        now = entry_of(r)
        old = baseline.claims.get(r.id)
        if now.errored:
            out.regressions.append(Change(r.id, "error", old, now))
        elif old is None:
            change = Change(r.id, "new", None, now)
            (out.regressions if entry_rank(now) == 0 else out.new).append(change)
        else:
            verdict = judge(old, now)
            if verdict == "same":
                out.unchanged += 1
            elif verdict == "better":
                out.improvements.append(Change(r.id, "better", old, now))
            else:
                out.regressions.append(Change(r.id, verdict, old, now))
    for cid in sorted(baseline.claims):
        if cid in ran or cid in known or not chosen(cid):
            continue
        old = baseline.claims[cid]
        change = Change(cid, "removed", old, None)
        (out.regressions if old.holds else out.removed).append(change)
    if seed is not None and baseline.seed is not None and baseline.seed != seed:
        out.notes.append(f"the baseline was recorded with --seed {baseline.seed}, this run used --seed {seed}")
    if quick is not None and baseline.quick is not None and baseline.quick != quick:
        out.notes.append(f"the baseline was recorded {'with' if baseline.quick else 'without'} --quick, "
                         f"this run {'used' if quick else 'did not use'} it")
    return out
