"""The ``certify`` command line.  Thin: it parses, calls the library and formats.

Exit status (see :class:`ExitCode`): 0 clean, 1 findings, 2 usage or input
error, 3 internal error, 5 nothing selected, 130 interrupted (Ctrl-C), 141 the
reader of stdout went away.
"""

from __future__ import annotations

import enum
import json
import os
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import click

from certify import __version__

from certify.core import jsonio
from certify.core.errors import InputError


class ExitCode(enum.IntEnum):
    OK = 0  # no claim refuted or undecided, no check errored (errata and non-reproduced experiments allowed unless --strict)
    FINDINGS = 1  # some claim refuted, undecided or errored (or an erratum under --strict)
    USAGE = 2  # bad arguments, a bad input file, an unknown claim id
    INTERNAL = 3  # certify itself failed
    NO_CLAIMS = 5  # the selection matched no claim
    INTERRUPTED = 130  # Ctrl-C (SIGINT): 128 + 2, as shells report it


class Interrupted(Exception):
    """Ctrl-C, carried past click: click turns KeyboardInterrupt into Abort after printing a blank line."""


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None


#: the most worker processes `run`/`all` start (each holds a copy of numpy, sympy and flint)
MAX_JOBS = 64
#: the most seeds one `certify figures` sweep takes (each one training per depth)
MAX_SWEEP_SEEDS = 1000
#: the most examples one `certify fuzz` campaign may ask for (--deep included): 10^8, that is 10^5 chunks,
#: all submitted at once to the executor (a cluster keeps a few kB per task)
MAX_FUZZ_EXAMPLES = 10**8


def _console(**kwargs: Any):
    """A rich Console whose broken pipe (`certify ... | head`) is a BrokenPipeError for main() to handle,
    instead of rich's own SystemExit(1)."""
    from rich.console import Console

    class _PipeAwareConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            _silence_stdout()
            raise BrokenPipeError("the reader of stdout has gone")

    return _PipeAwareConsole(**kwargs)


def _stderr_console():
    return _console(stderr=True)


#: narrower terminals (or COLUMNS) are laid out at this width: below it rich prints nothing at all
MIN_COLUMNS = 40


def _stdout_console():
    console = _console(soft_wrap=False)
    columns = os.environ.get("COLUMNS", "")
    if not columns.isdigit() or int(columns) < MIN_COLUMNS:  # unset, garbage or too narrow to lay out a table
        if not console.is_terminal:  # logs and pipes: wide enough to read
            console.width = 150
        elif console.width < MIN_COLUMNS:
            console.width = MIN_COLUMNS
    return console


def exit_code_for(results: list, strict: bool) -> ExitCode:
    if not results:
        return ExitCode.NO_CLAIMS
    return ExitCode.FINDINGS if any(r.blocks_gate(strict) for r in results) else ExitCode.OK


def _check_writable(path: str | None, option: str = "") -> None:
    """Fail before the work, not after it: an output file must not be a directory, and its directory must
    exist and be writable ('-' is stdout)."""
    if not path or path == "-":
        return
    where = f"{option}: " if option else ""
    try:
        p = Path(path)
        if p.is_dir():
            raise InputError(f"{where}cannot write {path}: it is a directory")
        parent = p.resolve().parent
        if not parent.is_dir():
            raise InputError(f"{where}cannot write {path}: its directory does not exist")
        if p.exists():
            if not os.access(p, os.W_OK):
                raise InputError(f"{where}cannot write {path}: permission denied")
        elif not os.access(parent, os.W_OK | os.X_OK):
            raise InputError(f"{where}cannot write {path}: its directory is not writable")
    except (OSError, ValueError) as exc:
        raise InputError(f"{where}cannot write {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _check_out_dir(path: Path | str, option: str = "--out") -> None:
    """An output directory, checked before the work: it is a writable directory, or it can be created
    (its nearest existing ancestor is a writable directory)."""
    try:
        p = Path(path)
        if p.exists():
            if not p.is_dir():
                raise InputError(f"{option}: {path} exists and is not a directory")
            if not os.access(p, os.W_OK | os.X_OK):
                raise InputError(f"{option}: cannot write into {path}: permission denied")
            return
        ancestor = p.absolute().parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise InputError(f"{option}: cannot create {path}: {ancestor} is not a directory")
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise InputError(f"{option}: cannot create {path}: {ancestor} is not writable")
    except (OSError, ValueError) as exc:
        raise InputError(f"{option}: cannot use {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _is_stdout(path: str) -> bool:
    """Whether ``path`` names the file stdout already writes to (/dev/stdout, /proc/self/fd/1, a tty ...):
    it counts as '-', so it cannot share stdout with the table or with another '-'."""
    try:
        st = os.stat(path)
        out = os.fstat(1)
    except (OSError, ValueError):
        return False
    return (st.st_dev, st.st_ino) == (out.st_dev, out.st_ino)


def _stdout_alias(ctx: Any, param: Any, value: str | None) -> str | None:
    """A --json or --junit file that is stdout itself (/dev/stdout, /proc/self/fd/1) is '-': the human
    output then moves aside exactly as for '-', instead of interleaving with the report."""
    return "-" if value and value != "-" and _is_stdout(value) else value


def _check_outputs(outputs: list[tuple[str, str | None]], inputs: list[tuple[str, str | None]] | None = None,
                   will_create: Path | None = None) -> None:
    """Every output of a command, before its work: at most one goes to stdout ('-'), no two name the same
    file, none overwrites an input, and each can be written.  ``will_create``: a directory the command
    creates (already checked with :func:`_check_out_dir`); an output file directly inside it is fine."""
    empty = [opt for opt, path in outputs if path is not None and not str(path).strip()]
    if empty:
        raise InputError(f"{empty[0]}: an empty file name (give a file, or '-' for stdout)")
    given = [(opt, path) for opt, path in outputs if path]
    to_stdout = [opt for opt, path in given if path == "-" or _is_stdout(path)]
    if len(to_stdout) > 1:
        raise InputError(f"{' and '.join(to_stdout)} cannot both write to stdout ('-'); give one of them a file")
    seen: dict[str, str] = {}
    for opt, path in [(o, p) for o, p in given if p != "-"] + [(o, p) for o, p in inputs or [] if p]:
        try:
            key = str(Path(path).resolve())
        except (OSError, ValueError, RuntimeError):
            key = str(path)
        if key in seen:
            raise InputError(f"{seen[key]} and {opt} name the same file {path}")
        seen[key] = opt
    for opt, path in given:
        if will_create is not None and path != "-" and not Path(will_create).exists():
            try:
                if Path(path).absolute().parent == Path(will_create).absolute():
                    continue
            except (OSError, ValueError):
                pass
        _check_writable(path, opt)


def _write(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _check_user_data(claims: list) -> None:
    """Data a user names for a claim (CERTIFY_CIFAR10 for Appendix C) is read before any claim runs: a file that
    cannot be used is a one-line input error (exit 2), never a verdict."""
    if not any(c.id.startswith("appendixc.cifar10") for c in claims):
        return
    from certify.experiments import cifar10

    path = os.environ.get(cifar10.ENV, "").strip()  # empty counts as unset, as in the claims themselves
    if path:
        try:
            cifar10.load_cifar10(path)
        except InputError as exc:
            raise InputError(str(exc) if cifar10.ENV in str(exc) else f"{cifar10.ENV}: {exc}") from None


def _executor(jobs: int, cluster: str | None, *, tasks: int | None = None) -> Any:
    """The executor for a command's ``--jobs`` and ``--cluster`` (or $CERTIFY_CLUSTER), checked like every
    other option: a bad value, an unreachable scheduler or a cluster without workers is exit 2."""
    from certify.core.execution import CLUSTER_ENV, cluster_address, make_executor

    if not 1 <= jobs <= MAX_JOBS:
        raise InputError(f"--jobs must lie between 1 and {MAX_JOBS} (one process each), got {jobs}")
    address = cluster_address(cluster)
    if address is not None:
        ctx = click.get_current_context(silent=True)
        if ctx is not None and ctx.get_parameter_source("jobs") is click.core.ParameterSource.COMMANDLINE:
            where = "--cluster" if cluster is not None else CLUSTER_ENV
            raise InputError(f"--jobs and {where} exclude each other: on a cluster the workers are the jobs"
                             + ("" if cluster is not None else f" (set {CLUSTER_ENV}= to run here)"))
    return make_executor(jobs, address, tasks=tasks)


def _where(executor: Any) -> str | None:
    """The summary line's words for a cluster run (None: the usual 'N jobs')."""
    d = executor.describe()
    if d["kind"] != "dask":
        return None
    return f"{d['workers']} Dask worker{'s' if d['workers'] != 1 else ''} at {d['address']}"


def _execute(claims: list, *, command: str, seed: int, quick: bool, strict: bool, jobs: int,
             json_out: str | None, junit_out: str | None, baseline_in: str | None = None,
             baseline_out: str | None = None, patterns: list[str] | None = None,
             cluster: str | None = None) -> ExitCode:
    """Run ``claims`` and report.  Every option and file is checked before the first claim runs; output
    files are written before anything is printed (a closed pipe cannot lose them)."""
    from certify.gate import baseline as bl
    from certify.core.paths import data_dir
    from certify.gate.runner import workers

    if baseline_in is not None and strict:
        raise InputError("--baseline and --strict exclude each other: with a baseline, the baseline decides "
                         "the exit status")
    if baseline_in is not None and baseline_out is not None:
        raise InputError("--baseline and --write-baseline exclude each other: compare with a baseline, or "
                         "record a new one")
    if not 1 <= jobs <= MAX_JOBS:  # before any file is read (again in _executor, for the other commands)
        raise InputError(f"--jobs must lie between 1 and {MAX_JOBS} (one process each), got {jobs}")
    _check_outputs([("--json", json_out), ("--junit", junit_out), ("--write-baseline", baseline_out)],
                   [("--baseline", baseline_in)])
    base = bl.load(baseline_in) if baseline_in is not None else None
    _check_user_data(claims)
    if not claims:
        click.echo("certify: no claim selected", err=True)
        return ExitCode.NO_CLAIMS
    from certify.core.execution import DaskExecutor

    executor = _executor(jobs, cluster, tasks=workers(claims, jobs) if jobs > 1 else 1)
    with executor:
        return _execute_on(executor, claims, command=command, seed=seed, quick=quick, strict=strict,
                           json_out=json_out, junit_out=junit_out, baseline_out=baseline_out, base=base,
                           patterns=patterns, data=None if isinstance(executor, DaskExecutor) else data_dir())


def _execute_on(executor: Any, claims: list, *, command: str, seed: int, quick: bool, strict: bool,
                json_out: str | None, junit_out: str | None, baseline_out: str | None, base: Any,
                patterns: list[str] | None, data: Path | None) -> ExitCode:
    from certify.gate import baseline as bl
    from certify.gate.registry import REGISTRY
    from certify.core.paths import results_dir
    from certify.gate.report import json_report, junit_xml, print_results
    from certify.gate.runner import run_claims, store_results

    err = _stderr_console()
    show_progress = err.is_terminal
    start = time.perf_counter()
    if show_progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("[bold]certify"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("{task.description}"), console=err, transient=True) as progress:
            task = progress.add_task("", total=len(claims))

            def tick(r: Any) -> None:
                progress.update(task, advance=1, description=f"{r.id}: {r.status.value}")

            results = run_claims(claims, seed=seed, data_dir=data, quick=quick, executor=executor, on_result=tick)
    else:
        results = run_claims(claims, seed=seed, data_dir=data, quick=quick, executor=executor)
    wall = time.perf_counter() - start
    comparison = None
    if base is not None:
        selected = None if patterns is None else bl.in_selection(patterns)
        comparison = bl.compare(results, base, known_ids=REGISTRY, selected=selected, seed=seed, quick=quick)
        code = ExitCode.FINDINGS if comparison.failed else ExitCode.OK
    else:
        code = exit_code_for(results, strict)
    store_results(results, results_dir())
    outputs: dict[str, str] = {}
    if json_out:
        report = json_report(results, wall=wall, comparison=comparison, command=command, seed=seed, quick=quick,
                             strict=strict, jobs=executor.workers, executor=executor.describe(),
                             exit_status=int(code))
        outputs[json_out] = jsonio.dumps(report, indent=2) + "\n"
    if junit_out:
        outputs[junit_out] = junit_xml(results, strict=strict, comparison=comparison)
    if baseline_out:
        outputs[baseline_out] = bl.dumps(results, seed=seed, quick=quick)
    for path, text in outputs.items():
        if path != "-":
            _write(path, text)
    if "-" in outputs:
        _write("-", outputs["-"])
    else:
        out = _stdout_console()
        print_results(results, out, wall=wall, jobs=executor.workers, comparison=comparison, where=_where(executor))
        out.print(f"seed {seed}, exit status {int(code)} ({code.name.lower()})")
    return code


def default_jobs() -> int:
    """The CPUs this process may run on (its affinity mask where the system has one), at most 8."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def cluster_option(f: Any) -> Any:
    return click.option("--cluster", metavar="ADDRESS", default=None,
                        help="Run the tasks on a Dask cluster: the scheduler's address, tcp://HOST:PORT "
                             "(default: $CERTIFY_CLUSTER; empty: here).  Needs pip install 'certify[cluster]' "
                             "and the same certify on every worker.")(f)


def run_options(f: Any) -> Any:
    f = click.option("--write-baseline", "baseline_out", metavar="FILE",
                     help="Record every claim's status in FILE (JSON) for later --baseline runs.")(f)
    f = click.option("--baseline", "baseline_in", metavar="FILE",
                     help="Compare with a baseline written by --write-baseline: exit 1 on any regression "
                          "(it replaces the default exit rule).")(f)
    f = click.option("--junit", "junit_out", metavar="FILE", callback=_stdout_alias, help="Write a JUnit XML report ('-' for stdout).")(f)
    f = click.option("--json", "json_out", metavar="FILE", callback=_stdout_alias, help="Write the JSON report ('-' for stdout).")(f)
    f = click.option("--jobs", "-j", type=int, default=default_jobs(), show_default=True,
                     help="Run claims in parallel processes (default: the CPUs this process may use, at most 8; "
                          "results do not depend on it).")(f)
    f = cluster_option(f)
    f = click.option("--seed", type=int, default=0, show_default=True, help="Global seed; each claim derives its own from it and its id.")(f)
    f = click.option("--strict", is_flag=True, help="Errata make the run fail too.")(f)
    f = click.option("--quick", is_flag=True, help="Smallest budgets for fuzzing and experiments.")(f)
    return f


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="certify")
@click.option("--debug", is_flag=True, help="On an internal error, print the traceback (also accepted after the command).")
def cli(debug: bool) -> None:
    """Machine-checked evidence for the claims of 'Saddle-To-Saddle Dynamics in Deep
    ReLU Networks' (Bantzis, Simon, Jacot, 2025)."""


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the catalog as JSON.")
def list_cmd(as_json: bool) -> int:
    """List every registered claim."""
    from certify.gate.registry import CATALOG

    if as_json:
        rows = [{"id": c.id, "paper_ref": c.paper_ref, "title": c.title, "section": c.section,
                 "method": c.method.value, "pending": c.pending} for c in CATALOG]
        click.echo(json.dumps(rows, indent=2))
        return ExitCode.OK
    from rich.table import Table

    table = Table(title="certify: registered claims", title_justify="left")
    for col in ("claim", "evidence", "section", "title"):
        table.add_column(col, no_wrap=col == "claim")
    for c in CATALOG:
        title = c.title + (f" [dim](pending: {c.pending})[/dim]" if c.pending else "")
        table.add_row(c.id, c.method.value, c.section, title)
    _stdout_console().print(table)
    return ExitCode.OK


@cli.command()
@click.argument("claim_id")
def show(claim_id: str) -> int:
    """Show a claim: statement, section, method and its last evidence."""
    from rich.panel import Panel

    from certify.gate.registry import select
    from certify.core.paths import results_dir
    from certify.gate.report import status_text
    from certify.gate.runner import load_stored

    if any(ch in claim_id for ch in "*?["):
        raise InputError("show takes one claim id, not a pattern")
    (c,) = select([claim_id])
    out = _stdout_console()
    body = (f"[bold]{c.title}[/bold]\n\n{c.statement}\n\n"
            f"paper: {c.section}   evidence: {c.method.value}   "
            f"check: {c.check or 'pending (' + str(c.pending) + ')'}")
    out.print(Panel(body, title=c.id, title_align="left"))
    last = load_stored(c.id, results_dir())
    if last is None:
        out.print(f"no evidence stored yet: run 'certify run {c.id}'")
    else:
        line = status_text(last.status)
        line.append(f"  {last.message}")
        out.print(line)
        out.print(f"margin {last.margin}, seed {last.seed}, {last.seconds:.2f}s")
        out.print_json(jsonio.dumps({"evidence": last.evidence, "corrected": last.corrected}))
    return ExitCode.OK


@cli.command()
@click.argument("claim_ids", nargs=-1, required=True)
@run_options
def run(claim_ids: tuple[str, ...], quick: bool, strict: bool, seed: int, cluster: str | None, jobs: int,
        json_out: str | None, junit_out: str | None, baseline_in: str | None, baseline_out: str | None) -> int:
    """Run the given claims (ids or glob patterns such as 'lemma-a4*')."""
    from certify.gate.registry import select

    return _execute(select(list(claim_ids)), command="run", seed=seed, quick=quick, strict=strict, jobs=jobs,
                    json_out=json_out, junit_out=junit_out, baseline_in=baseline_in, baseline_out=baseline_out,
                    patterns=list(claim_ids), cluster=cluster)


@cli.command("all")
@run_options
def all_cmd(quick: bool, strict: bool, seed: int, cluster: str | None, jobs: int, json_out: str | None,
            junit_out: str | None, baseline_in: str | None, baseline_out: str | None) -> int:
    """Run every registered claim: the CI gate."""
    from certify.gate.registry import CATALOG

    return _execute(list(CATALOG), command="all", seed=seed, quick=quick, strict=strict, jobs=jobs,
                    json_out=json_out, junit_out=junit_out, baseline_in=baseline_in, baseline_out=baseline_out,
                    cluster=cluster)


def _unit_interval(ctx: Any, param: Any, values: tuple[float, ...]) -> tuple[float, ...]:
    for p in values:
        if not 0 < p < 1:
            raise click.BadParameter(f"p must lie in (0, 1), got {p}", ctx=ctx, param=param)
    return values


def _positive(ctx: Any, param: Any, value: float | None) -> float | None:
    if value is not None and not (value > 0 and value < float("inf")):
        raise click.BadParameter(f"must be a positive number, got {value}", ctx=ctx, param=param)
    return value


@cli.command()
@click.argument("file", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--json", "json_out", metavar="FILE", callback=_stdout_alias, help="Write the instance report as JSON ('-' for stdout).")
@click.option("--p", "ps", type=float, multiple=True, callback=_unit_interval,
              help="Ratio p in (0,1) for Prop. 3.4 (repeatable; default 0.1 0.25 0.5 0.75 0.9).")
@click.option("--theta0-norm", type=float, callback=_positive, help="||theta(t0)|| for the escape-time bound.")
@click.option("--r", "r", type=float, callback=_positive, help="Output norm r for the escape-time bound.")
def instance(file: Path, json_out: str | None, ps: tuple[float, ...], theta0_norm: float | None,
             r: float | None) -> int:
    """Certify the paper's inequalities on a network of your own (.npz): Section 2's identities,
    Lemma A.4, Prop. 3.4, Theorem 3.1's ratios, Definition 2.1, the escape-time bound."""
    from certify.instance.report import instance_report, print_instance_report
    from certify.instance.verdicts import DEFAULT_PS

    if (theta0_norm is None) != (r is None):
        raise InputError("--theta0-norm and --r go together")
    _check_outputs([("--json", json_out)], [("FILE", str(file))])
    report, code = instance_report(file, ps or DEFAULT_PS, theta0_norm, r)
    if json_out:
        _write(json_out, jsonio.dumps(report, indent=2) + "\n")
    if json_out != "-":
        print_instance_report(report, _stdout_console())
    return code


def _print_speed_report(report: Any, out: Any, source: str) -> None:
    from certify.kernel.compare import lower_float
    from certify.kernel.speed_certificate import as_ball
    from rich.markup import escape

    from certify.kernel.verdict import show
    from certify.gate.report import markup_safe

    first = report.first_failure
    if report.ok:
        lo, hi = lower_float(as_ball(report.lower)), -lower_float(-as_ball(report.upper)) + 0.0  # no '-0'
        width = "0: the ends are equal" if report.lower == report.upper else f"{hi - lo:.3g}"
        interval = escape(f"[{lo:.12g}, {hi:.12g}]")  # '[inf, inf]' would read as markup
        every = getattr(report, "every_depth", False)
        what = f"s*(L) for every L >= {report.depth}" if every else f"s*({report.depth})"
        out.print(f"[bold green]certified[/bold green]  {what} in {interval}  (width {width}; {source})")
        out.print(f"  exact ends: lower = {show(report.lower)}  upper = {show(report.upper)}")
        if every:
            out.print(f"  the lower end is attained at depth {report.depth} by a network of widths {report.widths} "
                      "(layers [1] inserted before the output carry it to every deeper L); the upper end holds at "
                      "every depth L >= 2 and every width")
        else:
            out.print(f"  the lower end is attained by a network of widths {report.widths}; the upper end holds at "
                      "every width")
    else:
        out.print(f"[bold red]FAIL[/bold red]  check {first[0]}: {markup_safe(first[1])}")
    for name, ok, detail in report.checks:
        out.print(f"  {'ok  ' if ok else 'FAIL'} {name}: {markup_safe(detail)}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=Path))
@click.option("--depth", type=click.IntRange(min=1), required=True,
              help="Depth L of the network, 2 to 8 (depth 4 and more: a tree of multipliers, slower).")
@click.option("--json", "json_out", metavar="FILE", callback=_stdout_alias, help="Write the result as JSON ('-' for stdout).")
@click.option("--certificate", "cert_out", metavar="PATH",
              help="Write the certificate (JSON) for 'certify check'; with several data files, a directory that "
                   "receives one NAME.json per data file NAME.npz.")
@click.option("--method", type=click.Choice(["auto", "enumerate", "branch"]), default="auto", show_default=True,
              help="Depth 3: enumerate every sign pattern, or branch and bound over them (auto: enumerate up to "
                   "64 patterns).")
@click.option("--gap", type=float, default=None, metavar="REL",
              help="Branch and bound: close a node within this relative gap of the best value found [1e-8].")
@click.option("--time-limit", type=float, default=None, metavar="SECONDS",
              help="Branch and bound: stop branching after this long (the first bounds and the exact upper end "
                   "come on top); the interval stays certified, only wider.")
@click.option("--node-limit", type=int, default=None, metavar="K",
              help="Branch and bound: stop after K nodes; the interval stays certified, only wider.")
@click.option("--jobs", "-j", type=int, default=default_jobs(), show_default=True,
              help="With several data files: search them in parallel processes.")
@cluster_option
def optimum(files: tuple[Path, ...], depth: int, json_out: str | None, cert_out: str | None, method: str,
            gap: float | None, time_limit: float | None, node_limit: int | None, jobs: int, cluster: str | None) -> int:
    """Certified interval for the optimal escape speed s*(L), 2 <= L <= 8, on 2-D data X with one output
    (Section 4, footnote 2).  Each file needs only X and G; weights, if present, are ignored.  Depth 3 on
    more than 64 sign patterns runs a branch and bound over them (schema_version 3; hundreds of points);
    depth 4 and more write a tree of multipliers (schema_version 2), whose size grows quickly with L and
    with the number of points with nonzero G; sizes beyond the checker's limits are refused up front.
    Several files are searched as independent tasks (--jobs, --cluster); each certificate is then checked
    here, by the exact kernel.  Exit 0 when every interval is certified, 1 when a check fails or a task
    could not run, 2 when a file or option is unusable (with several files: any file refused)."""
    from certify.core.instances import load_data
    from certify.optimum.search import MAX_DEPTH, propose_task, validate_data, validate_limits

    if not 2 <= depth <= MAX_DEPTH:  # before the files are read: the depth alone decides this
        raise InputError(f"--depth must be between 2 and {MAX_DEPTH}, got {depth}")
    several = len(files) > 1
    inputs = [("FILE", str(f)) for f in files]
    if several and cert_out is not None:
        if cert_out == "-" or _is_stdout(cert_out):
            raise InputError("--certificate: with several data files give a directory (one certificate per file)")
        _check_out_dir(cert_out, "--certificate")
        names = [Path(f).stem + ".json" for f in files]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise InputError(f"--certificate: two data files would write {Path(cert_out) / repeated[0]}; give files "
                             "with distinct names")
        _check_outputs([("--json", json_out)] + [("--certificate", str(Path(cert_out) / n)) for n in names], inputs,
                       will_create=Path(cert_out))
        try:  # now, not after the searches: os.access cannot tell (root may 'write' anywhere)
            Path(cert_out).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"--certificate: cannot create {cert_out}: {exc.strerror or exc}") from None
    else:
        _check_outputs([("--json", json_out), ("--certificate", cert_out)], inputs)
    validate_limits(gap, time_limit, node_limit)
    data = []
    for f in files:
        try:
            X, G, _ = load_data(f)
            cones = X.ndim == 2 and X.shape[0] != 2 and depth == 2
            if method != "auto" and depth != 3:
                raise InputError("--method is for --depth 3 on 2-D data")
            if (gap is not None or time_limit is not None or node_limit is not None) and depth != 3 and not cones:
                raise InputError("--gap, --time-limit and --node-limit are for --depth 3, or --depth 2 on data of "
                                 "dimension other than 2")
            validate_data(X, G, depth)
        except InputError as exc:
            text = str(exc)
            raise InputError(text if not several or text.startswith(str(f)) else f"{f}: {text}") from None
        data.append((X, G))
    err = _stderr_console()
    start = time.perf_counter()
    with _executor(jobs, cluster, tasks=len(files)) as executor:
        def progress(i: int, outcome: Any) -> None:
            if several and err.is_terminal:
                from certify.gate.report import markup_safe

                what = ("searched" if isinstance(outcome, dict) and "document" in outcome
                        else "refused" if isinstance(outcome, dict) else "failed")
                err.print(f"[dim]optimum: {markup_safe(files[i])}: {what}[/dim]")

        outcomes = executor.map(propose_task, [(X, G, depth, method, gap, time_limit, node_limit) for X, G in data],
                                on_done=progress)
        where = executor.describe()
    rows = [_optimum_row(f, outcome, X, G, depth) for f, outcome, (X, G) in zip(files, outcomes, data)]
    wall = time.perf_counter() - start
    if not several:
        return _optimum_one(files[0], rows[0], depth, json_out, cert_out, where)
    return _optimum_many(rows, depth, json_out, cert_out, where, wall)


def _optimum_row(file: Path, outcome: Any, X: Any, G: Any, depth: int) -> dict[str, Any]:
    """One data file's outcome, decided here by :func:`certify.optimum.certificates.check_search_outcome`."""
    from certify.optimum.certificates import check_search_outcome

    return {"file": file, **check_search_outcome(outcome, X, G, depth)}


def _optimum_json(row: dict[str, Any], depth: int, cert_path: str | None) -> dict[str, Any]:
    from certify.kernel.compare import lower_float
    from certify.kernel.speed_certificate import as_ball

    if "result" not in row:
        return {"file": str(row["file"]), "depth": depth, "certified": False, "state": row["state"],
                "reason": row["reason"]}
    result = row["result"]
    rep = result.report
    search = result.document.get("search", {})
    return {"file": str(row["file"]), "depth": depth, "certified": rep.ok, "lower": str(rep.lower), "upper": str(rep.upper),
            "lower_float": lower_float(as_ball(rep.lower)), "upper_float": -lower_float(-as_ball(rep.upper)) + 0.0,  # no '-0'
            "widths": rep.widths,
            "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in rep.checks],
            "seconds_search": round(result.seconds_search, 3), "seconds_check": round(result.seconds_check, 4),
            "search": {k: v for k, v in search.items() if k != "method"},
            "certificate": cert_path}


def _optimum_one(file: Path, row: dict[str, Any], depth: int, json_out: str | None, cert_out: str | None,
                 where: dict[str, Any]) -> int:
    """One data file: the report, the search's work and the lower end's network."""
    if row["state"] == "refused":
        raise InputError(row["reason"])
    if row["state"] == "error":
        from certify.gate.report import markup_safe

        if json_out:
            _write(json_out, jsonio.dumps({**_optimum_json(row, depth, None), "executor": where}, indent=2) + "\n")
        if json_out != "-":
            _stdout_console().print(f"[bold red]error[/bold red]  {markup_safe(file)}: {markup_safe(row['reason'])}")
        return ExitCode.FINDINGS
    result = row["result"]
    rep = result.report
    search = result.document.get("search", {})
    if cert_out:  # first: nothing printed below (a closed pipe, `| head -1`) can lose the certificate
        _write(cert_out, jsonio.dumps(result.document, indent=1) + "\n")
    if json_out:
        doc = _optimum_json(row, depth, cert_out)
        doc.pop("state", None)
        _write(json_out, jsonio.dumps({**doc, "executor": where}, indent=2) + "\n")
    if json_out != "-":
        out = _stdout_console()
        _print_speed_report(rep, out, f"search {result.seconds_search:.2f}s, exact check {result.seconds_check:.3f}s")
        if "leaves" in search:
            work = f"{search['solves']} cone programs, " if "solves" in search else ""
            out.print(f"  branch and bound: {search['nodes']} nodes, {work}{search['leaves']} leaves" +
                      (f"; stopped at the {search['stopped']} (the interval is certified, but wider)"
                       if search.get("stopped") else ""))
        W = result.document["lower"]["weights"]
        out.print("  network attaining the lower end (exact rationals, shown rounded):")
        for l, M in enumerate(W, start=1):
            rows = ["[" + ", ".join(f"{float(Fraction(v)):.6g}" for v in row[:8]) +
                    (f", ... ({len(row)} entries)]" if len(row) > 8 else "]") for row in M]
            out.print(f"    W{l} ({len(M)}x{len(M[0])}): " + ("; ".join(rows) if len(rows) <= 8 else
                                                               "; ".join(rows[:8]) + f"; ... ({len(rows)} rows)"))
    return ExitCode.OK if rep.ok else ExitCode.FINDINGS


def _optimum_many(rows: list[dict[str, Any]], depth: int, json_out: str | None, cert_out: str | None,
                  where: dict[str, Any], wall: float) -> int:
    """Several data files: one certificate per file in the --certificate directory, a table, and the exit
    status of the worst file (refused: 2, failed or not run: 1)."""
    from rich.markup import escape

    from certify.gate.report import markup_safe

    paths: list[str | None] = []
    for row in rows:
        path = None
        if cert_out and "result" in row:
            path = str(Path(cert_out) / (Path(row["file"]).stem + ".json"))
            _write(path, jsonio.dumps(row["result"].document, indent=1) + "\n")
        paths.append(path)
    if json_out:
        _write(json_out, jsonio.dumps({"depth": depth, "files": [_optimum_json(r, depth, p) for r, p in zip(rows, paths)],
                                       "executor": where, "seconds_wall": round(wall, 3)}, indent=2) + "\n")
    if json_out != "-":
        from rich.table import Table

        out = _stdout_console()
        table = Table(title=f"certified s*({depth})", title_justify="left")
        for col in ("data", "result", "certified interval", "width", "search", "check"):
            table.add_column(col)
        for row in rows:
            if "result" in row:
                j = _optimum_json(row, depth, None)
                ok = row["state"] == "certified"
                width = "0" if j["lower"] == j["upper"] else f"{j['upper_float'] - j['lower_float']:.3g}"
                table.add_row(markup_safe(row["file"]), "[green]certified[/green]" if ok else "[bold red]FAIL[/bold red]",
                              escape(f"[{j['lower_float']:.12g}, {j['upper_float']:.12g}]") if ok else
                              markup_safe(row["result"].report.first_failure[1]), width if ok else "",
                              f"{j['seconds_search']:.2f}s", f"{j['seconds_check']:.3f}s")
            else:
                style = "yellow" if row["state"] == "refused" else "bold red"
                table.add_row(markup_safe(row["file"]), f"[{style}]{row['state']}[/{style}]", markup_safe(row["reason"]),
                              "", "", "")
        out.print(table)
        counts = {s: sum(1 for r in rows if r["state"] == s) for s in ("certified", "failed", "refused", "error")}
        on = (f"{where['workers']} Dask workers at {where['address']}" if where["kind"] == "dask"
              else f"{where['workers']} job" + ("s" if where["workers"] != 1 else ""))
        out.print(", ".join(f"{n} {s}" for s, n in counts.items() if n) + f"  ({len(rows)} files in {wall:.1f} s wall, "
                  f"{on})" + (f"; certificates in {markup_safe(cert_out)}" if cert_out else ""))
    states = {r["state"] for r in rows}
    if "refused" in states:
        return ExitCode.USAGE
    return ExitCode.OK if states == {"certified"} else ExitCode.FINDINGS


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=Path))
@click.option("--max-depth", type=int, default=4, show_default=True,
              help="Sweep the depths 2..L (2 <= L <= 8; depth 4 and more are slower, larger sizes are refused).")
@click.option("--figure", "figure_out", metavar="PNG", help="Draw the certified intervals of s*(L) against L (PNG).")
@click.option("--json", "json_out", metavar="FILE", callback=_stdout_alias, help="Write the sweep as JSON ('-' for stdout).")
def plateau(files: tuple[Path, ...], max_depth: int, figure_out: str | None, json_out: str | None) -> int:
    """Depth sweep of the optimal escape speed s*(L), L = 2..--max-depth, on 2-D data with one output
    (Section 5, conjecture (2)): a certified interval per depth (as 'certify optimum'), and per pair of
    consecutive depths either a certified increase (lower(L) > upper(L-1)) or a bound on the rise
    (upper(L) - lower(L-1)).  Nothing is claimed about depths that were not sampled.  Depths whose
    certificates exceed the checker's limits are reported as refused.  Exit 1 if a check fails."""
    from certify.experiments.depth_sweep import render_figure, sweep
    from certify.optimum.search import MAX_DEPTH
    from certify.gate.report import markup_safe

    if not 2 <= max_depth <= MAX_DEPTH:  # before any file is read
        raise InputError(f"--max-depth must be between 2 and {MAX_DEPTH}, got {max_depth}")
    if figure_out is not None and (figure_out == "-" or _is_stdout(figure_out)):
        raise InputError("--figure: give a .png file (the figure cannot go to stdout)")
    if figure_out and Path(figure_out).suffix.lower() != ".png":
        raise InputError(f"--figure: {figure_out} must end in .png")
    _check_outputs([("--json", json_out), ("--figure", figure_out)], [("FILE", str(f)) for f in files])
    err = _stderr_console()

    def progress(event: str, name: str, depth: int, point: Any) -> None:
        if event == "start":
            err.print(f"[dim]plateau: {markup_safe(name)} at L = {depth} ...[/dim]")
        elif point.status != "certified":
            err.print(f"[dim]plateau: {markup_safe(name)} at L = {depth}: {point.status}[/dim]")

    result = sweep(files, range(2, max_depth + 1), on_progress=progress if err.is_terminal else None)
    if figure_out:
        render_figure(result, figure_out)
    if json_out:
        _write(json_out, jsonio.dumps(result.to_json(), indent=2) + "\n")
    if json_out != "-":
        from rich.table import Table

        out = _stdout_console()
        table = Table(title=f"certified s*(L), L = 2..{max_depth}", title_justify="left")
        for col in ("data", "L", "certified interval", "width", "vs L-1", "time"):
            table.add_column(col, justify="right" if col in ("L", "width", "time") else "left")
        for ds in result.data:
            for i, p in enumerate(ds.points):
                first = markup_safe(f"{ds.name} (N={ds.n_points})") if i == 0 else ""
                if p.interval:
                    interval = markup_safe(f"[{p.lower_float:.10g}, {p.upper_float:.10g}]")
                    width = "0" if p.lower == p.upper else f"{p.width:.3g}"
                    verdict = p.verdict_text()
                    if p.verdict == "increase":
                        verdict = f"[green]{verdict}[/green]"
                    elif p.verdict == "decrease":
                        verdict = f"[bold red]{verdict}[/bold red]"
                else:
                    interval = f"[red]{p.status}[/red]" if p.status == "failed" else f"[yellow]{p.status}[/yellow]"
                    width, verdict = "", markup_safe(p.reason)
                table.add_row(first, str(p.depth), interval, width, verdict, f"{p.seconds:.1f}s",
                              end_section=i == len(ds.points) - 1)
        out.print(table)
        for ds in result.data:
            out.print(f"  {markup_safe(ds.name)}: {markup_safe(ds.summary_text())}")
        out.print(f"  total {result.seconds:.1f}s" + (f"; figure: {markup_safe(figure_out)}" if figure_out else ""))
    return ExitCode.FINDINGS if result.findings else ExitCode.OK


@cli.command()
@click.argument("certificate", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--data", "data_file", type=click.Path(dir_okay=True, path_type=Path),
              help="Also require the certificate to be about the X and G of this .npz file.")
def check(certificate: Path, data_file: Path | None) -> int:
    """Re-verify an optimal-speed certificate from scratch in exact arithmetic: exit 0 when every check
    passes, 1 when one fails, 2 when the file is not a certificate.  Reads every kind: a certificate for
    one depth on 2-D data (certify/optimal-speed-certificate), an invariant for every depth
    (certify/optimal-speed-invariant), and depth 2 on data of any dimension (certify/optimal-speed-cones)."""
    from certify.kernel.speed_certificate import CertificateFormatError
    from certify.optimum.certificates import check_any_document, load_certificate

    doc = load_certificate(certificate)
    start = time.perf_counter()
    try:
        report = check_any_document(doc)
    except CertificateFormatError as exc:
        raise InputError(f"{certificate}: not a valid certificate: {exc}") from None
    seconds = time.perf_counter() - start
    same_data = True
    if data_file is not None:
        from certify.core.instances import load_data
        from certify.optimum.certificates import about_data

        X, G, _ = load_data(data_file)
        same_data = about_data(doc, X, G)
    from certify.gate.report import markup_safe

    out = _stdout_console()
    if not same_data:  # the first line says FAIL whenever the exit status will be 1
        out.print(f"[bold red]FAIL[/bold red]  the certificate is not about the X and G of {markup_safe(data_file)}"
                  f" (its own checks {'pass' if report.ok else 'fail too'})")
    _print_speed_report(report, out, f"exact check {seconds:.3f}s")
    if data_file is not None:
        out.print(f"  {'ok  ' if same_data else 'FAIL'} data: the certificate is "
                  f"{'' if same_data else 'not '}about the X and G of {markup_safe(data_file)}")
    return ExitCode.OK if report.ok and same_data else ExitCode.FINDINGS


@cli.command()
@click.argument("claim_id")
@click.option("--examples", "-n", type=click.IntRange(min=1, max=MAX_FUZZ_EXAMPLES), default=10_000,
              show_default=True, help="Number of examples to run.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the campaign (replayable).")
@click.option("--deep", is_flag=True, help="A long campaign: ten times --examples.")
@click.option("--json", "json_out", metavar="FILE", callback=_stdout_alias, help="Write the verdict as JSON ('-' for stdout).")
@click.option("--jobs", "-j", type=int, default=default_jobs(), show_default=True,
              help="Run the campaign's chunks of 1000 examples in parallel processes (the verdict does not "
                   "depend on it).")
@cluster_option
def fuzz(claim_id: str, examples: int, seed: int, deep: bool, json_out: str | None, jobs: int,
         cluster: str | None) -> int:
    """Fuzz a proposition with hypothesis (prop3.2, prop3.3 or prop3.4, or their .fuzz ids).  The campaign
    runs as chunks of 1000 examples with seeds seed, seed + 1, ...; their outcomes are merged as if they had
    run in order, stopping at the first counterexample, so the verdict is the same on one process, several,
    or a cluster.  The local example database (.certify/hypothesis) is replayed by local runs only."""
    from certify.gate.registry import REGISTRY
    from certify.core.execution import DaskExecutor
    from certify.fuzz.campaign import CHUNK
    from certify.fuzz.properties import PROPERTIES
    from certify.fuzz.claims import fuzz_verdict
    from certify.core.paths import data_dir, results_dir
    from certify.gate.report import status_text

    cid = claim_id if claim_id.endswith(".fuzz") else f"{claim_id}.fuzz"
    if cid not in PROPERTIES:
        raise InputError(f"no fuzz campaign for {claim_id!r} (choose from {', '.join(sorted(PROPERTIES))})")
    _check_outputs([("--json", json_out)])
    n = examples * (10 if deep else 1)
    if n > MAX_FUZZ_EXAMPLES:
        raise InputError(f"--deep asks for {n} examples, more than the {MAX_FUZZ_EXAMPLES} a campaign may run")
    n_chunks = -(-n // CHUNK)
    err = _stderr_console()
    with _executor(jobs, cluster, tasks=n_chunks) as executor:
        database = None if isinstance(executor, DaskExecutor) else results_dir().parent / "hypothesis"
        start = time.perf_counter()
        label = f"fuzzing {cid}: {n} examples (seed {seed})"
        if err.is_terminal:
            with err.status(label) as status:
                finished = [0]

                def tick(i: int, outcome: Any) -> None:
                    finished[0] += 1
                    status.update(f"{label}: {finished[0]} of {n_chunks} chunks done")

                verdict = fuzz_verdict(cid, examples=n, seed_value=seed, data_dir=data_dir(), database_dir=database,
                                       executor=executor, on_chunk=tick)
        else:
            verdict = fuzz_verdict(cid, examples=n, seed_value=seed, data_dir=data_dir(), database_dir=database,
                                   executor=executor)
        seconds = time.perf_counter() - start
        where = executor.describe()
    if json_out:
        _write(json_out, jsonio.dumps({"id": cid, **verdict.to_dict(), "seconds": round(seconds, 3),
                                       "executor": where}, indent=2) + "\n")
    if json_out != "-":
        out = _stdout_console()
        line = status_text(verdict.status)
        on = f", {where['workers']} Dask workers at {where['address']}" if where["kind"] == "dask" else ""
        line.append(f"  {cid}: {verdict.message}  ({seconds:.1f}s{on})")
        out.print(line)
        out.print(REGISTRY[cid].statement)
    return ExitCode.OK if verdict.status.holds else ExitCode.FINDINGS


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default="figures",
              show_default=True, help="Directory for the PNGs and summary.json.")
@click.option("--preset", "preset_name", type=click.Choice(["default", "quick", "paper"]), default="default",
              show_default=True, help="Settings: 'default' runs in seconds; 'paper' is Appendix B (hours).")
@click.option("--paper", is_flag=True, help="The paper's full settings (width 1000, batch 32, ...): --preset paper.")
@click.option("--depth", "depths", type=int, multiple=True, help="Only this depth (repeatable; default 6 and 4).")
@click.option("--width", type=click.IntRange(min=1), help="Hidden width.")
@click.option("--steps", type=click.IntRange(min=1), help="Gradient steps.")
@click.option("--epochs", type=click.IntRange(min=1), help="Epochs of the data instead of --steps.")
@click.option("--sigma0", type=float, callback=_positive, help="Standard deviation of the initial weights.")
@click.option("--lr-c", type=float, callback=_positive, help="c in lr = c/||theta||^k.")
@click.option("--lr-power", type=click.IntRange(min=0), help="k in lr = c/||theta||^k (default of a new depth: L-2).")
@click.option("--batch-size", type=click.IntRange(min=1), help="Mini-batch size (default: full batch).")
@click.option("--loss", type=click.Choice(["mse", "ce"]), help="Squared loss or cross-entropy.")
@click.option("--points", type=click.IntRange(min=1), help="Number of data points (a seeded subset).")
@click.option("--seed", "seeds", type=click.IntRange(min=0), multiple=True,
              help="Seed of the initialisation and of the mini-batches (repeatable: a sweep, every depth once per seed).")
@click.option("--record-every", type=click.IntRange(min=1), help="Record the loss and spectra every this many steps.")
@click.option("--data", "data_path", type=click.Path(path_type=Path),
              help="Your images: .npz (x/y or images/labels) or an MNIST idx file; nothing is downloaded.")
@click.option("--labels", "labels_path", type=click.Path(path_type=Path), help="Labels idx file (MNIST).")
@click.option("--grayscale", is_flag=True, help="Average colour channels (N x H x W x C images).")
@click.option("--jobs", "-j", type=int, default=default_jobs(), show_default=True,
              help="Train the runs (depths x seeds) in parallel processes, one training each.")
@cluster_option
def figures(out_dir: Path, preset_name: str, paper: bool, depths: tuple[int, ...], width: int | None,
            steps: int | None, epochs: int | None, sigma0: float | None, lr_c: float | None,
            lr_power: int | None, batch_size: int | None, loss: str | None, points: int | None,
            seeds: tuple[int, ...], record_every: int | None, data_path: Path | None, labels_path: Path | None,
            grayscale: bool, jobs: int, cluster: str | None) -> int:
    """Train bias-free ReLU MLPs from small initialisation (Section 3.3) and write the figures: the loss
    with its saddles, the top singular values of every layer over training, the spectra after the first
    escape and at the end."""
    from certify.experiments.report import build_specs, load_user_data, print_summary, run_figures

    if steps is not None and epochs is not None:
        raise InputError("--steps and --epochs exclude each other")
    if labels_path is not None and data_path is None:
        raise InputError("--labels needs --data")
    _check_out_dir(out_dir)
    if len(seeds) > MAX_SWEEP_SEEDS:
        raise InputError(f"--seed: at most {MAX_SWEEP_SEEDS} seeds in one sweep, got {len(seeds)}")
    specs = build_specs("paper" if paper else preset_name, depths, epochs=epochs, seeds=seeds, width=width,
                        steps=steps, sigma0=sigma0, lr_c=lr_c, lr_power=lr_power, batch_size=batch_size, loss=loss,
                        n_points=points, record_every=record_every)
    dataset = None
    if data_path is not None:
        dataset = load_user_data(data_path, labels_path, points if points is not None else specs[0].n_points,
                                 specs[0].data_seed, grayscale)
    err = _stderr_console()
    with _executor(jobs, cluster, tasks=len(specs)) as executor:
        summary = run_figures(specs, out_dir, dataset=dataset, progress_console=err if err.is_terminal else None,
                              executor=executor)
    print_summary(summary, _stdout_console())
    return ExitCode.FINDINGS if summary["failed"] else ExitCode.OK


@cli.command()
@click.argument("file", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--depth", type=int, required=True, help="Depth L of the network (L >= 1).")
@click.option("--width", type=int, required=True, help="Width of every hidden layer (>= 1).")
@click.option("--restarts", type=int, default=64, show_default=True, help="Runs from independent Gaussian starts.")
@click.option("--steps", type=int, default=1000, show_default=True, help="Projected gradient steps per run.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the starting points.")
@click.option("--json", "json_out", metavar="FILE", callback=_stdout_alias, help="Write every run's speed, residual and ranks as JSON ('-': stdout).")
def escape(file: Path, depth: int, width: int, restarts: int, steps: int, seed: int, json_out: str | None) -> int:
    """Search escape directions (Section 2.2) of the X and G in FILE (.npz; weights are ignored): batched
    projected gradient descent on the sphere ||theta||^2 = L, with each run's speed, Definition 2.1
    residual and per-layer numerical ranks.  Untrusted: speeds found are lower bounds on s*."""
    import numpy as np

    from certify.optimum.escape import escape_directions, summary_lines
    from certify.core.instances import MAX_LAYERS, load_data

    for name, value in (("--depth", depth), ("--width", width), ("--restarts", restarts), ("--steps", steps)):
        if value < 1:
            raise InputError(f"{name} must be at least 1, got {value}")
    if depth > MAX_LAYERS:  # before the list of widths is built
        raise InputError(f"--depth must be at most {MAX_LAYERS}, got {depth}")
    _check_outputs([("--json", json_out)], [("FILE", str(file))])
    X, G, _ = load_data(file)
    if not np.any(G):
        raise InputError(f"{file}: G is zero, so L0 vanishes and there is no escape direction")
    widths = [X.shape[0]] + [width] * (depth - 1) + [G.shape[0]]
    start = time.perf_counter()
    runs = escape_directions(X, G, widths, restarts=restarts, steps=steps, seed=seed, record=False)
    summary = {"file": str(file), "seconds": round(time.perf_counter() - start, 3), **runs.summary()}
    if json_out:
        _write(json_out, jsonio.dumps(summary, indent=2) + "\n")
    if json_out != "-":
        click.echo(f"{file}: " + "\n".join(summary_lines(summary)))
    return ExitCode.OK


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default="figures", show_default=True,
              help="Directory for figure2.png, figure7.png and figure2.json.")
@click.option("--runs", type=int, default=200, show_default=True, help="Runs of projected gradient descent per width.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed (each width draws from [seed, width]).")
@click.option("--steps", type=int, default=1000, show_default=True, help="Steps per run.")
def figure2(out_dir: Path, runs: int, seed: int, steps: int) -> int:
    """Figure 2 of Section 4.1 (Example 1, depth 3, widths 4..64: the fraction of runs faster than
    sqrt(2) - 1, with Wilson 95% intervals and a one-sided Cochran-Armitage trend test at level 0.01) and
    Figure 7 (eq. (6)).  Exit 1 when the trend test does not reject."""
    from certify.experiments.section4 import LEVEL, MARGIN, figure2 as make_figure2

    _check_out_dir(out_dir)
    report = make_figure2(out_dir, runs=runs, seed=seed, steps=steps)
    click.echo(f"Example 1, depth 3, {runs} runs per width, {steps} steps, seed {seed}; success: "
               f"final speed > sqrt(2) - 1 + {MARGIN:g}  ({report['seconds']:.1f}s)")
    click.echo(f"{'width':>6} {'successes':>10} {'fraction':>9}  Wilson 95%      best speed  median speed")
    for r in report["widths"]:
        click.echo(f"{r['width']:>6} {r['successes']:>6}/{r['runs']:<4} {r['fraction']:>8.3f}  "
                   f"[{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}]  {r['best_speed']:.6f}    {r['median_speed']:.6f}")
    t = report["trend_test"]
    z = "undefined" if t["statistic_z"] is None else f"{t['statistic_z']:.2f}"
    click.echo(f"{t['test']}: Z = {z}, p = {t['p_value']:.3g}: "
               f"{'increasing trend (p < ' if t['rejects_no_trend'] else 'no trend detected (p >= '}{LEVEL})")
    f7 = report["figure7"]
    click.echo(f"eq. (6): max {f7['max']:.12f} at phi = {f7['argmax_phi']:.4f} (sqrt(2) - 1 = {f7['sqrt2_minus_1']:.12f}); "
               f"direct width-one computation differs by at most {f7['max_abs_difference']:.1e}")
    click.echo("wrote " + ", ".join(report["files"].values()))
    return ExitCode.OK if t["rejects_no_trend"] else ExitCode.FINDINGS


@cli.command("escape-time")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default="figures", show_default=True,
              help="Directory for followup-escape-time.png and followup-imbalance.png.")
@click.option("--full", is_flag=True, help="The larger sweep (more eps, draws and (r, L), r = 5 included; minutes).")
@click.option("--json", "json_out", metavar="FILE", callback=_stdout_alias, help="Write the fits and settings as JSON ('-' for stdout).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of every draw (data and weights).")
@click.option("--activation", type=click.Choice(["relu", "tanh"]), default="relu", show_default=True,
              help="Activation of the simulated networks.")
def escape_time(out_dir: Path, full: bool, json_out: str | None, seed: int, activation: str) -> int:
    """The follow-up paper's escape-time law: gradient flow from r of L layers at scale eps, fitted
    exponent of tau against eps per (r, L) for the permutation-symmetric and He-normal initialisations,
    with figures.  Exit 1 unless both variants reproduce -(r-2)."""
    from certify.followup.report import escape_time_report, planned_runs, summary_lines

    _check_out_dir(out_dir)
    _check_outputs([("--json", json_out)], will_create=out_dir)
    err = _stderr_console()
    if err.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("[bold]escape-time"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("{task.description}"), console=err, transient=True) as progress:
            task = progress.add_task("", total=planned_runs(full))
            report = escape_time_report(out_dir, full=full, seed=seed, activation=activation,
                                        on_run=lambda d: progress.update(task, advance=1, description=d))
    else:
        report = escape_time_report(out_dir, full=full, seed=seed, activation=activation)
    if json_out:
        _write(json_out, jsonio.dumps(report, indent=2) + "\n")
    if json_out != "-":
        for line in summary_lines(report):
            click.echo(line)
    ok = all(v["status"] == "reproduced" for v in report["verdicts"].values())
    return ExitCode.OK if ok else ExitCode.FINDINGS


def _split_debug(argv: list[str]) -> tuple[list[str], bool]:
    """Remove every ``--debug`` before a ``--`` separator, wherever it stands; report whether one was there."""
    out, debug, literal = [], False, False
    for arg in argv:
        if arg == "--":
            literal = True
        if arg == "--debug" and not literal:
            debug = True
            continue
        out.append(arg)
    return out, debug


def main(argv: list[str] | None = None) -> int:
    """Entry point: every error is one line on stderr and an exit status."""
    args, debug = _split_debug(list(sys.argv[1:] if argv is None else argv))
    try:
        rv = cli.main(args=args, prog_name="certify", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:  # pragma: no cover - click >= 8.2
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return ExitCode.USAGE
    except click.UsageError as exc:
        click.echo(f"certify: error: {exc.format_message()}", err=True)
        return ExitCode.USAGE
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt) or isinstance(exc.__context__, KeyboardInterrupt):
            return _interrupted()
        click.echo("certify: aborted", err=True)
        return ExitCode.USAGE
    except InputError as exc:
        first = (str(exc).splitlines() or [""])[0]
        click.echo(f"certify: error: {first}", err=True)
        return ExitCode.USAGE
    except (Interrupted, KeyboardInterrupt):
        return _interrupted()
    except BrokenPipeError:  # `certify ... | head`: the reader left; not an error of ours
        _silence_stdout()
        return 141
    except BaseException as exc:  # a bug in certify: one line, not a traceback
        return _internal(exc, debug)
    return int(rv) if isinstance(rv, int) else ExitCode.OK


def _interrupted() -> int:
    """Ctrl-C: one line, status 130, no traceback (a parallel run has already stopped its workers)."""
    try:
        click.echo("certify: interrupted", err=True)
    except (OSError, ValueError):
        pass
    return ExitCode.INTERRUPTED


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that nothing more fails on the closed pipe (at exit neither)."""
    try:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _internal(exc: BaseException, debug: bool) -> int:
    """A bug in certify: one line on stderr, and the traceback under --debug."""
    if debug:
        import traceback

        traceback.print_exception(exc)
    first = (str(exc).splitlines() or [""])[0][:300]
    hint = "" if debug else "; run with --debug for the traceback"
    click.echo(f"certify: internal error: {exc.__class__.__name__}: {first}{hint}", err=True)
    return ExitCode.INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
