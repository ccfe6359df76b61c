"""Reports: the terminal table, the JSON report and JUnit XML.

JSON report (``schema_version`` 1)::

    {
      "schema_version": 1, "tool": "certify", "version": "0.1.0",
      "paper": "...", "command": "all", "seed": 0, "quick": false, "strict": false,
      "jobs": 1, "executor": {"kind": "serial", "workers": 1},
      "generated_at": "...", "seconds": 3.2, "seconds_wall": 3.4,
      "exit_status": 0,
      "environment": {"python": ..., "numpy": ..., "sympy": ..., "python-flint": ...},
      "summary": {"proved": 5, "certified": 1, ..., "total": 25},
      "claims": [{"id", "title", "section", "status", "method", "margin",
                  "message", "seconds", "seed", "evidence", ["corrected"]}, ...],
      ["baseline": {"path", "counts", "regressions", "improvements", "new", "removed", "notes"}]
    }

``seconds`` is the sum of the claims' own check times, ``seconds_wall`` the time the whole run took
(less than the sum with ``--jobs`` > 1).  ``executor`` says where the claims ran: ``serial`` (this
process), ``local`` (a pool of ``workers`` processes) or ``dask`` (with the scheduler's ``address``
and its ``workers`` and ``threads`` when the run began).  ``baseline`` appears with ``--baseline``
(:mod:`certify.gate.baseline`).  Everything except ``generated_at``, the ``seconds`` fields, ``jobs`` and
``executor`` is a function of the seed and the inputs: the same seed gives the same report.
"""

from __future__ import annotations

import datetime as _dt
import platform
import xml.etree.ElementTree as ET
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from certify import __version__
from certify.kernel.verdict import Status
from certify.gate.runner import Result

SCHEMA_VERSION = 1
PAPER = "Bantzis, Simon, Jacot (2025), Saddle-To-Saddle Dynamics in Deep ReLU Networks: Low-Rank Bias in the First Saddle Escape"

STYLE = {
    Status.PROVED: "bold green",
    Status.CERTIFIED: "green",
    Status.FUZZED: "cyan",
    Status.REPRODUCED: "cyan",
    Status.ERRATUM: "bold yellow",
    Status.REFUTED: "bold red",
    Status.UNDECIDED: "magenta",
    Status.ERROR: "bold red",
    Status.SKIPPED: "dim",
}


def summary(results: list[Result]) -> dict[str, int]:
    counts = {s.value: 0 for s in Status}
    for r in results:
        counts[r.status.value] += 1
    counts["total"] = len(results)
    return counts


def environment() -> dict[str, str]:
    import numpy
    import sympy

    try:
        import flint

        flint_version = flint.__version__
    except Exception:  # pragma: no cover
        flint_version = "unknown"
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "numpy": numpy.__version__,
        "sympy": sympy.__version__,
        "python-flint": flint_version,
    }


def json_report(results: list[Result], *, wall: float | None = None, comparison: Any = None,
                **run: Any) -> dict[str, Any]:
    """The JSON report; ``wall`` is the run's wall time, ``comparison`` a :class:`certify.gate.baseline.Comparison`."""
    report = {
        "schema_version": SCHEMA_VERSION,
        "tool": "certify",
        "version": __version__,
        "paper": PAPER,
        **run,
        "generated_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(sum(r.seconds for r in results), 4),
        "seconds_wall": None if wall is None else round(wall, 4),
        "environment": environment(),
        "summary": summary(results),
        "claims": [r.to_dict() for r in results],
    }
    if comparison is not None:
        report["baseline"] = comparison.to_dict()
    return report


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold: the characters it forbids (most control characters) become '?'."""
    return "".join(ch if ch in "\t\n\r" or " " <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd"
                   or "\U00010000" <= ch <= "\U0010ffff" else "?" for ch in text)


def junit_xml(results: list[Result], *, strict: bool = False, comparison: Any = None) -> str:
    """JUnit XML: refuted/undecided are failures, error is an error, skipped is skipped; errata and
    non-reproduced experiments are failures only with ``strict`` (as for the exit status).

    With ``comparison`` (a :class:`certify.gate.baseline.Comparison`) the baseline decides instead: the
    regressions are the failures (errors stay errors), and a removed claim that counts as a regression
    gets a test case of its own."""
    regressed = {c.id: c for c in comparison.regressions} if comparison is not None else {}

    def failing(r: Result) -> bool:
        return r.id in regressed if comparison is not None else r.blocks_gate(strict)

    removed = [c for c in regressed.values() if c.now is None]
    s = summary(results)
    failures = sum(1 for r in results if failing(r) and r.status is not Status.ERROR) + len(removed)
    suites = ET.Element("testsuites", name="certify")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="certify",
        tests=str(len(results) + len(removed)),
        failures=str(failures),
        errors=str(s[Status.ERROR.value]),
        skipped=str(s[Status.SKIPPED.value]),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"certify.{r.method}", name=r.id, time=f"{r.seconds:.3f}")
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="status", value=r.status.value)
        ET.SubElement(props, "property", name="margin", value="" if r.margin is None else repr(r.margin))
        ET.SubElement(props, "property", name="seed", value=str(r.seed))
        message = _xml_text(r.message)
        if r.status is Status.ERROR:
            ET.SubElement(case, "error", message=message, type="error").text = _xml_text(
                str(r.evidence.get("traceback", "")))
        elif failing(r):
            if r.id in regressed:
                change = regressed[r.id]
                ET.SubElement(case, "failure", type=f"baseline-{change.kind}",
                              message=_xml_text(f"regression against the baseline: {change.describe()}"))
            else:
                ET.SubElement(case, "failure", message=message, type=r.status.value)
        elif r.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", message=message)
        ET.SubElement(case, "system-out").text = f"{r.status.value}: {message}"
    for change in removed:
        case = ET.SubElement(suite, "testcase", classname="certify.baseline", name=_xml_text(change.id), time="0.000")
        ET.SubElement(case, "failure", type="baseline-removed",
                      message=_xml_text(f"regression against the baseline: {change.describe()}"))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def status_text(status: Status) -> Text:
    return Text(status.value, style=STYLE[status])


def _status_cell(r: Result) -> Text:
    status = status_text(r.status)
    if r.corrected is not None:
        status.append(" -> ")
        status.append_text(status_text(Status(r.corrected["status"])))
    return status


#: the narrowest message column of the wide table; below it the table takes the narrow layout
MIN_MESSAGE_WIDTH = 32


def results_table(results: list[Result], *, title: str = "certify: claims of the paper",
                  width: int | None = None) -> Table:
    """The claims as a table for a console ``width`` columns wide (None: wide enough).  Statuses are never
    cut ('erratum -> proved' stays whole) and messages wrap instead of being cut: when the six columns
    do not fit with a message column of at least MIN_MESSAGE_WIDTH, each claim takes several lines
    (its id, then its message and details indented) next to its status."""
    rows = [(r, _status_cell(r), "" if r.margin is None else f"{r.margin:.3g}", f"{r.seconds:.2f}s") for r in results]
    status_w = max([len("status")] + [len(st.plain) for _, st, _, _ in rows])
    widths = [max([len("claim")] + [len(r.id) for r in results]), status_w,
              max([len("evidence")] + [len(r.method) for r in results]),
              max([len("margin")] + [len(m) for _, _, m, _ in rows]),
              max([len("time")] + [len(t) for _, _, _, t in rows])]
    wide = width is None or sum(widths) + MIN_MESSAGE_WIDTH + 3 * (len(widths) + 1) + 1 <= width
    if wide:
        table = Table(title=title, title_justify="left", expand=False, show_lines=False)
        table.add_column("claim", style="bold", no_wrap=True)
        table.add_column("status", no_wrap=True, min_width=status_w)
        table.add_column("evidence", no_wrap=True)
        table.add_column("margin", justify="right", no_wrap=True)
        table.add_column("time", justify="right", no_wrap=True)
        table.add_column("message", overflow="fold", ratio=1)
        for r, status, margin, seconds in rows:
            table.add_row(r.id, status, r.method, margin, seconds, plain(r.message))
        return table
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  expand=True)
    table.add_column("claim", overflow="fold", ratio=1)
    table.add_column("status", no_wrap=True, min_width=status_w, justify="left")
    for r, status, margin, seconds in rows:
        details = ", ".join(x for x in (r.method, margin and f"margin {margin}", seconds) if x)
        cell = Group(Text(r.id, style="bold", overflow="fold"),
                     Padding(Text(printable(r.message), overflow="fold"), (0, 0, 0, 2)),
                     Padding(Text(details, style="dim", overflow="fold"), (0, 0, 0, 2)))
        table.add_row(cell, status)
    return table


def summary_line(results: list[Result], *, wall: float | None = None, jobs: int = 1, where: str | None = None) -> Text:
    """Counts per status, then the number of claims, the wall time and the summed check times; ``where``
    replaces 'N jobs' (a cluster's workers and address)."""
    s = summary(results)
    text = Text()
    parts = [(st, s[st.value]) for st in Status if s[st.value]]
    for i, (st, n) in enumerate(parts):
        if i:
            text.append(", ")
        text.append(f"{n} {st.value}", style=STYLE[st])
    checks = sum(r.seconds for r in results)
    jobs_text = where or f"{jobs} job" + ("s" if jobs != 1 else "")
    if wall is None:
        text.append(f"  ({s['total']} claims, {checks:.1f} s of checks)")
    else:
        text.append(f"  ({s['total']} claims in {wall:.1f} s wall ({checks:.1f} s of checks, {jobs_text}))")
    return text


def baseline_section(comparison: Any) -> list[Text]:
    """The comparison with a baseline as lines: a headline, then regressions (red), improvements,
    new and removed claims, and notes."""
    counts = comparison.counts()
    head = Text(f"baseline {printable(comparison.path)}: ", style="bold")
    words = [f"{counts['regressions']} regression" + ("s" if counts["regressions"] != 1 else ""),
             f"{counts['improvements']} improvement" + ("s" if counts["improvements"] != 1 else ""),
             f"{counts['new']} new", f"{counts['removed']} removed", f"{counts['unchanged']} unchanged"]
    head.append(words[0], style="bold red" if counts["regressions"] else "green")
    head.append(", " + ", ".join(words[1:]))
    lines = [head]
    groups = [(comparison.regressions, "bold red", None), (comparison.improvements, "green", "better"),
              (comparison.new, "cyan", "new"), (comparison.removed, "yellow", "removed")]
    for changes, style, label in groups:
        for c in changes:
            line = Text("  ")
            line.append(f"{label or 'REGRESSION (' + c.kind + ')':<22}", style=style)
            line.append(f" {printable(c.id)}: {printable(c.describe())}")
            lines.append(line)
    for note in comparison.notes:
        lines.append(Text(f"  note: {printable(note)}", style="dim"))
    return lines


def printable(text: Any) -> str:
    """``text`` with every control or otherwise unprintable character shown as '?' (no terminal escapes
    from file names or meta)."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(text))


def plain(text: Any) -> Text:
    """Text shown as it is: rich markup in it (a file named '[red]x.npz', a meta name) is not interpreted."""
    return Text(printable(text))


def markup_safe(text: Any) -> str:
    """Text to put inside a markup string: printable, with its brackets escaped."""
    from rich.markup import escape

    return escape(printable(text))


def print_results(results: list[Result], console: Console, *, wall: float | None = None, jobs: int = 1,
                  comparison: Any = None, where: str | None = None) -> None:
    """The table (fitted to the console's width), the comparison with a baseline, the summary line."""
    console.print(results_table(results, width=console.width))
    if comparison is not None:
        for line in baseline_section(comparison):
            console.print(line, overflow="fold")
    console.print(summary_line(results, wall=wall, jobs=jobs, where=where), overflow="fold")
