"""Reports: the terminal table, the JSON report and JUnit XML.

JSON report (``schema_version`` 1)::

    {
      "schema_version": 1, "tool": "certify", "version": "0.1.0",
      "paper": "...", "command": "all", "seed": 0, "quick": false, "strict": false,
      "jobs": 1, "generated_at": "...", "seconds": 3.2, "exit_status": 0,
      "environment": {"python": ..., "numpy": ..., "sympy": ..., "python-flint": ...},
      "summary": {"proved": 5, "certified": 1, ..., "total": 25},
      "claims": [{"id", "title", "section", "status", "method", "margin",
                  "message", "seconds", "seed", "evidence", ["corrected"]}, ...]
    }

Everything except ``generated_at`` and the ``seconds`` fields is a function of
the seed and the inputs: the same seed gives the same report.
"""

from __future__ import annotations

import datetime as _dt
import platform
import xml.etree.ElementTree as ET
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from certify import __version__
from certify.kernel.verdict import Status
from certify.runner import Result

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


def json_report(results: list[Result], **run: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "certify",
        "version": __version__,
        "paper": PAPER,
        **run,
        "generated_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(sum(r.seconds for r in results), 4),
        "environment": environment(),
        "summary": summary(results),
        "claims": [r.to_dict() for r in results],
    }


def junit_xml(results: list[Result], *, strict: bool = False) -> str:
    """JUnit XML: refuted/undecided are failures, error is an error, skipped is skipped; errata and
    non-reproduced experiments are failures only with ``strict`` (as for the exit status)."""
    s = summary(results)
    failures = sum(1 for r in results if r.blocks_gate(strict) and r.status is not Status.ERROR)
    suites = ET.Element("testsuites", name="certify")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="certify",
        tests=str(len(results)),
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
        if r.status is Status.ERROR:
            ET.SubElement(case, "error", message=r.message, type="error").text = str(r.evidence.get("traceback", ""))
        elif r.blocks_gate(strict):
            ET.SubElement(case, "failure", message=r.message, type=r.status.value)
        elif r.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", message=r.message)
        ET.SubElement(case, "system-out").text = f"{r.status.value}: {r.message}"
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def status_text(status: Status) -> Text:
    return Text(status.value, style=STYLE[status])


def results_table(results: list[Result], *, title: str = "certify: claims of the paper") -> Table:
    table = Table(title=title, title_justify="left", expand=False, show_lines=False)
    table.add_column("claim", style="bold", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("evidence", no_wrap=True)
    table.add_column("margin", justify="right", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("message", overflow="fold", ratio=1)
    for r in results:
        margin = "" if r.margin is None else f"{r.margin:.3g}"
        status = status_text(r.status)
        if r.corrected is not None:
            status.append(" -> ")
            status.append_text(status_text(Status(r.corrected["status"])))
        table.add_row(r.id, status, r.method, margin, f"{r.seconds:.2f}s", plain(r.message))
    return table


def summary_line(results: list[Result]) -> Text:
    s = summary(results)
    text = Text()
    parts = [(st, s[st.value]) for st in Status if s[st.value]]
    for i, (st, n) in enumerate(parts):
        if i:
            text.append(", ")
        text.append(f"{n} {st.value}", style=STYLE[st])
    text.append(f"  ({s['total']} claims, {sum(r.seconds for r in results):.1f}s of checks)")
    return text


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


def print_results(results: list[Result], console: Console) -> None:
    console.print(results_table(results))
    console.print(summary_line(results))
