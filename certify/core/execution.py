"""Where the tasks of a run execute: in this process, in a local process pool, or on a Dask cluster.

Every command that runs independent pieces of work (claims of the gate, chunks of a fuzz campaign,
data files of ``certify optimum``, trainings of a figure sweep) hands a picklable top-level function
and a list of argument tuples to one :class:`Executor`.  The executor returns one outcome per task,
in the order the tasks were given, whatever order they finished in; a task's result depends only on
its arguments (each carries its own seed), so the outcome is the same on every executor.

Failures are outcomes, never hangs:

- a task that raises becomes :class:`TaskFailure` (the commands turn it into an ``error`` verdict);
- a task whose worker process dies is run once more on a fresh worker; if that worker dies too, the
  task becomes :class:`TaskFailure` with the reason.  On a Dask cluster the scheduler itself first
  re-runs a task whose worker died, up to its ``distributed.scheduler.allowed-failures`` (3 unless
  the scheduler was started otherwise), and reports ``KilledWorker`` after that; certify's one retry
  comes on top.  Start the scheduler with ``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=0`` for
  exactly two attempts per task;
- a cluster left without workers for :data:`NO_WORKER_GRACE` seconds, or whose scheduler is lost,
  fails the tasks still waiting, with the reason.

Workers on a cluster must run the same certify: every task first compares the worker's
:func:`identity` (a digest of certify's sources and of its data folder) with the client's, and a
worker that differs fails the task instead of giving a verdict from other code or other data.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sys
import threading
import time
from concurrent.futures import CancelledError, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from certify.core.errors import InputError

#: the environment variable that names a scheduler when ``--cluster`` is not given
CLUSTER_ENV = "CERTIFY_CLUSTER"
#: seconds to reach the scheduler, and to wait for a first worker, before the run is refused (exit 2);
#: $CERTIFY_CLUSTER_TIMEOUT overrides it
CONNECT_TIMEOUT = 10.0
TIMEOUT_ENV = "CERTIFY_CLUSTER_TIMEOUT"
#: seconds a cluster may have no worker at all before the tasks still waiting fail
NO_WORKER_GRACE = 60.0
#: attempts per task when its worker dies (the first run and one retry)
ATTEMPTS = 2
#: how often the cluster loop wakes up to look at the workers and the connection, in seconds
POLL = 1.0

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?"
_ADDRESS = re.compile(r"^(?:tcp://)?(?:\[[0-9A-Fa-f:.]+\]|" + _LABEL + r"(?:\." + _LABEL + r")*):[0-9]{1,5}$")


@dataclass(frozen=True)
class TaskFailure:
    """A task that produced no result: it raised, its workers died, or the cluster went away."""

    reason: str


class _Skipped:
    """A task cancelled because an earlier task made it unnecessary (see ``stop_after``)."""

    def __repr__(self) -> str:
        return "SKIPPED"


#: the outcome of a task that ``stop_after`` made unnecessary
SKIPPED = _Skipped()

OnDone = Callable[[int, Any], None]
StopAfter = Callable[[int, Any], bool]


class Executor:
    """Runs ``fn(*args)`` for each tuple of ``arglists``; see the module docstring for the contract.

    ``on_done(i, outcome)`` is called in this process as each task finishes.  ``stop_after(i, result)``,
    asked of each successful result, says whether the tasks after ``i`` (in the given order) are no
    longer needed: those not yet finished are cancelled and their outcome is :data:`SKIPPED`."""

    kind = "serial"

    def map(self, fn: Callable[..., Any], arglists: Sequence[tuple], *, on_done: OnDone | None = None,
            stop_after: StopAfter | None = None) -> list[Any]:
        raise NotImplementedError

    @property
    def workers(self) -> int:
        return 1

    def describe(self) -> dict[str, Any]:
        """What the JSON reports record about where the run executed."""
        return {"kind": self.kind, "workers": self.workers}

    def close(self) -> None:
        pass

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class SerialExecutor(Executor):
    """In this process, one task after the other (``--jobs 1``).  Exceptions propagate: there is no
    worker to lose, and a broken task is the caller's to report (the gate's claims catch their own)."""

    kind = "serial"

    def map(self, fn, arglists, *, on_done=None, stop_after=None):
        out: list[Any] = [SKIPPED] * len(arglists)
        for i, args in enumerate(arglists):
            out[i] = fn(*args)
            if on_done:
                on_done(i, out[i])
            if stop_after is not None and stop_after(i, out[i]):
                break
        return out


class LocalPoolExecutor(Executor):
    """A pool of ``jobs`` processes on this machine (``--jobs N``, the default).  Ctrl-C stops the workers
    at once.  A worker that dies breaks the whole pool: the tasks that had not finished then run once more,
    each alone in a fresh process, and a task whose own process dies fails."""

    kind = "local"

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, int(jobs))

    @property
    def workers(self) -> int:
        return self.jobs

    def map(self, fn, arglists, *, on_done=None, stop_after=None):
        n = len(arglists)
        out: list[Any] = [None] * n
        finished = [False] * n
        limit = n  # tasks with an index above this are no longer needed

        def settle(i: int, value: Any) -> None:
            nonlocal limit
            out[i], finished[i] = value, True
            if on_done:
                on_done(i, value)
            if stop_after is not None and not isinstance(value, TaskFailure) and stop_after(i, value):
                limit = min(limit, i)

        broken: list[int] = []
        pool = ProcessPoolExecutor(max_workers=min(self.jobs, max(n, 1)), initializer=_worker_init)
        futures: dict[Any, int] = {}
        try:
            with _sigint_blocked():  # workers start with SIGINT blocked, until they ignore it
                futures = {pool.submit(fn, *arglists[i]): i for i in range(n)}
            for fut in as_completed(futures):
                i = futures[fut]
                if i > limit:
                    continue
                try:
                    value = fut.result()
                except CancelledError:
                    continue
                except BrokenProcessPool:
                    broken.append(i)
                    continue
                except Exception as exc:  # the task itself raised: its outcome, not the run's
                    value = TaskFailure(_describe_exception(exc))
                settle(i, value)
                if limit < n:
                    for f, j in futures.items():
                        if j > limit:
                            f.cancel()
        except BaseException:  # Ctrl-C: stop the workers now, do not wait for them
            _abandon(pool, list(futures))
            raise
        pool.shutdown(wait=True)
        # A dead worker breaks the whole pool and every unfinished task with it; each of them runs once more
        # alone, in a pool of its own, so that a second death is the task's own and no other task's.
        for i in sorted(broken):
            if i <= limit:
                value = _alone(fn, arglists[i])
                settle(i, TaskFailure(f"its worker process died {ATTEMPTS} times (killed, out of memory or "
                                      "crashed)") if value is _DIED else value)
        return [out[i] if finished[i] and i <= limit else SKIPPED for i in range(n)]


_DIED = object()


def _alone(fn: Callable[..., Any], args: tuple) -> Any:
    """``fn(*args)`` in a pool of one fresh process: its value, a TaskFailure if it raised, or _DIED."""
    pool = ProcessPoolExecutor(max_workers=1, initializer=_worker_init)
    fut = None
    try:
        with _sigint_blocked():
            fut = pool.submit(fn, *args)
        try:
            value = fut.result()
        except BrokenProcessPool:
            value = _DIED
        except Exception as exc:  # noqa: BLE001 - the task's own failure
            value = TaskFailure(_describe_exception(exc))
    except BaseException:
        _abandon(pool, [fut] if fut is not None else [])
        raise
    pool.shutdown(wait=True)
    return value


class DaskExecutor(Executor):
    """Tasks on a dask.distributed cluster (``--cluster tcp://HOST:PORT`` or ``$CERTIFY_CLUSTER``).

    Connecting checks that the scheduler answers within ``connect_timeout`` seconds and has a worker
    (waiting as long again for one); both failures are input errors (exit 2)."""

    kind = "dask"

    def __init__(self, address: str, *, connect_timeout: float | None = None,
                 no_worker_grace: float = NO_WORKER_GRACE) -> None:
        check_address(address)
        connect_timeout = connect_timeout if connect_timeout is not None else _connect_timeout()
        try:
            import distributed
        except ImportError:
            raise InputError("--cluster needs dask and distributed: pip install 'certify[cluster]'") from None
        import logging

        for name in ("distributed", "distributed.client", "distributed.comm"):
            logging.getLogger(name).setLevel(logging.CRITICAL)  # certify reports lost workers itself
        self.address = address
        self.no_worker_grace = no_worker_grace
        self._distributed = distributed
        self.client = _connect(distributed, address, connect_timeout)
        try:
            self.client.wait_for_workers(1, timeout=connect_timeout)
        except (OSError, TimeoutError):
            self.client.close()
            raise InputError(f"the Dask scheduler at {address} has no worker (waited {connect_timeout:g} s); "
                             "start some with: dask worker " + address) from None
        self.identity = identity()
        self.blas = blas_threads()
        self.settings = certify_settings()
        try:
            theirs = self.client.run(identity)
        except Exception as exc:  # noqa: BLE001 - a worker that cannot even import certify, say
            self.client.close()
            raise InputError(f"the workers at {address} cannot run certify ({_describe_exception(exc)}): "
                             "install it on every worker, with the same CERTIFY_DATA") from None
        other = sorted(w for w, digest in theirs.items() if digest != self.identity)
        if other:
            self.client.close()
            raise InputError(f"{len(other)} of the {len(theirs)} workers at {address} run other certify sources "
                             f"or data than this process (first: {other[0]}); install the same version on every "
                             "worker, with the same CERTIFY_DATA, and restart them") from None
        self._token = hashlib.sha256(f"{os.getpid()} {time.time_ns()}".encode()).hexdigest()[:12]
        self._tasks = 0
        threads = self._threads_per_worker()
        self._workers = len(threads)
        self._threads = sum(threads.values())

    def _threads_per_worker(self, timeout: float | None = None) -> dict[str, int]:
        answer = self.client.nthreads(callback_timeout=timeout or CONNECT_TIMEOUT)
        return {str(w): int(n) for w, n in answer.items()}

    def _scheduler_gone(self) -> bool:
        return self.client.status not in ("running", "connecting")

    @property
    def workers(self) -> int:
        return self._workers

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "address": self.address, "workers": self._workers, "threads": self._threads}

    def _submit(self, fn, args, i: int, attempt: int):
        self._tasks += 1
        key = f"certify-{getattr(fn, '__name__', 'task')}-{self._token}-{self._tasks}-{i}-{attempt}"
        return self.client.submit(_on_worker, fn, self.identity, self.blas, self.settings, *args, key=key, pure=False)

    def map(self, fn, arglists, *, on_done=None, stop_after=None):
        import queue

        dist = self._distributed
        n = len(arglists)
        out: list[Any] = [SKIPPED] * n
        attempts = [0] * n
        limit = n
        finished: "queue.Queue[Any]" = queue.Queue()
        live: dict[Any, int] = {}

        def submit(i: int) -> None:
            fut = self._submit(fn, arglists[i], i, attempts[i])
            live[fut] = i
            fut.add_done_callback(finished.put)  # called from distributed's own thread, whatever the end

        def settle(i: int, value: Any) -> None:
            out[i] = value
            if on_done:
                on_done(i, value)

        no_worker_since: float | None = None
        silent_since: float | None = None
        try:
            for i in range(n):
                submit(i)
            while live:
                try:
                    fut = finished.get(timeout=POLL)
                except queue.Empty:
                    fut = None
                if fut is not None and fut in live:
                    i = live.pop(fut)
                    if i > limit:
                        continue
                    if fut.status == "finished":
                        value = fut.result()
                        settle(i, value)
                        if stop_after is not None and not isinstance(value, TaskFailure) and stop_after(i, value):
                            limit = min(limit, i)
                            for f, j in list(live.items()):
                                if j > limit:
                                    live.pop(f)
                                    f.cancel()
                        continue
                    exc = fut.exception() if fut.status == "error" else None
                    lost = exc is None or isinstance(exc, dist.KilledWorker)  # cancelled or killed
                    if lost and exc is None and self._scheduler_gone():
                        live[fut] = i  # not the workers' doing: failed below with the scheduler's loss
                    elif lost and attempts[i] + 1 < ATTEMPTS:
                        attempts[i] += 1
                        submit(i)
                    elif lost:
                        settle(i, TaskFailure(f"the workers running it died {ATTEMPTS} times "
                                              f"({_describe_exception(exc) if exc else 'task lost'})"))
                    else:
                        settle(i, TaskFailure(_describe_exception(exc)))
                    if not finished.empty():
                        continue  # drain what has finished before looking at the cluster
                if not live:
                    break
                reason, no_worker_since, silent_since = self._trouble(no_worker_since, silent_since)
                if reason is None:
                    continue
                for f, i in list(live.items()):
                    f.cancel()
                    if i <= limit:
                        settle(i, TaskFailure(reason))
                live.clear()
        except BaseException:  # Ctrl-C: take our tasks off the cluster
            for f in list(live):
                f.cancel()
            raise
        return [out[i] if i <= limit else SKIPPED for i in range(n)]

    def _trouble(self, no_worker_since: float | None,
                 silent_since: float | None) -> tuple[str | None, float | None, float | None]:
        """Why the tasks still waiting can never finish (a reason, or None), with the times since when the
        cluster has had no worker and since when its scheduler has not answered (None: it has)."""
        if self._scheduler_gone():
            return f"lost the connection to the Dask scheduler at {self.address}", None, None
        now = time.monotonic()
        try:
            count = len(self._threads_per_worker(timeout=POLL * 5))
        except Exception:  # noqa: BLE001 - a scheduler that does not answer in time, whatever the error
            silent_since = silent_since if silent_since is not None else now
            if now - silent_since > self.no_worker_grace:
                return (f"the Dask scheduler at {self.address} has not answered for {self.no_worker_grace:g} s",
                        no_worker_since, silent_since)
            return None, no_worker_since, silent_since
        if count:
            return None, None, None
        no_worker_since = no_worker_since if no_worker_since is not None else now
        if now - no_worker_since > self.no_worker_grace:
            return f"no worker on the cluster at {self.address} for {self.no_worker_grace:g} s", no_worker_since, None
        return None, no_worker_since, None

    def close(self) -> None:
        try:
            self.client.close(timeout=CONNECT_TIMEOUT)
        except Exception:  # noqa: BLE001 - closing a client that lost its scheduler may raise anything
            pass


def _connect(distributed: Any, address: str, timeout: float) -> Any:
    """A Client of the scheduler at ``address``, or an InputError within ``timeout`` seconds (and a little).
    Dask's own timeout does not cover the handshake: a server that accepts the connection and never
    answers as a scheduler would (an HTTP server, say) kept Client() waiting forever, so the client is
    built in a daemon thread and abandoned when the deadline passes."""
    box: dict[str, Any] = {}

    def build() -> None:
        try:
            box["client"] = distributed.Client(address, timeout=timeout, set_as_default=False)
        except BaseException as exc:  # noqa: BLE001 - reported below as one line
            box["error"] = exc

    _quiet_half_built_clients()
    thread = threading.Thread(target=build, name="certify-connect", daemon=True)
    thread.start()
    thread.join(timeout + 2.0)
    if "client" in box:
        return box["client"]
    exc = box.get("error")
    if exc is None:
        why = "no answer as a scheduler"
    else:
        first = (str(exc).splitlines() or [""])[0]
        why = first or exc.__class__.__name__
    raise InputError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({why})")


def _quiet_half_built_clients() -> None:
    """A Client whose construction failed complains from its __del__ ('Exception ignored in ...') when it is
    collected; certify has already reported the failure in one line, so those messages are dropped."""
    if getattr(sys.unraisablehook, "_certify", False):
        return
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        where = getattr(unraisable, "object", None)
        if "distributed" in getattr(type(where), "__module__", "") or "Client.__del__" in repr(where):
            return
        previous(unraisable)

    hook._certify = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def _connect_timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return CONNECT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 3600:
        raise InputError(f"{TIMEOUT_ENV} must be a number of seconds in (0, 3600], got {raw!r}")
    return value


def check_address(address: str, source: str = "--cluster") -> str:
    """A scheduler address such as tcp://127.0.0.1:8786 (the scheme may be left out; TLS, which needs
    certificates configured for Dask, is not offered); else exit 2."""
    if not _ADDRESS.match(address) or not 0 < int(address.rsplit(":", 1)[1]) <= 65535:
        raise InputError(f"{source}: {address!r} is not a scheduler address; give tcp://HOST:PORT "
                         "(for example tcp://127.0.0.1:8786)")
    return address


def make_executor(jobs: int, cluster: str | None = None, *, tasks: int | None = None) -> Executor:
    """The executor for ``--jobs`` / ``--cluster``: a cluster when an address is given, else a local pool
    of ``jobs`` processes, or this process when one job (or one task) is all there is."""
    if cluster:
        return DaskExecutor(cluster)
    if jobs <= 1 or (tasks is not None and tasks <= 1):
        return SerialExecutor()
    return LocalPoolExecutor(jobs if tasks is None else min(jobs, tasks))


def cluster_address(option: str | None) -> str | None:
    """``--cluster`` if given, else ``$CERTIFY_CLUSTER``; an empty value means 'run locally'."""
    source = "--cluster" if option is not None else CLUSTER_ENV
    value = option if option is not None else os.environ.get(CLUSTER_ENV)
    value = (value or "").strip()
    return check_address(value, source) if value else None


# --- on the worker -------------------------------------------------------------------------------

_IDENTITY: str | None = None
_ONE_AT_A_TIME = threading.Lock()


#: the packages whose versions can change a verdict or a campaign (hypothesis' search, the arithmetic, the
#: solvers): a worker with another version of one of them is refused like one with other sources
_DEPENDENCIES = ("numpy", "scipy", "sympy", "mpmath", "python-flint", "cvxpy", "clarabel", "hypothesis",
                 "scikit-learn")


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def identity() -> str:
    """A digest of the certify this process runs: the Python version and the versions of the packages that
    decide its results (_DEPENDENCIES), every source file of the package (the proofs included) and every
    file of its data folder except counterexamples written by runs."""
    global _IDENTITY
    if _IDENTITY is None:
        import importlib.util

        import certify
        from certify.core.paths import data_dir

        proofs = importlib.util.find_spec("certify.proofs")  # its folder, without importing a capability

        h = hashlib.sha256()
        h.update(f"python {sys.version_info[:3]}\n".encode())
        for dist in _DEPENDENCIES:
            h.update(f"{dist} {_version(dist)}\n".encode())
        roots = [("certify", Path(certify.__file__).parent, "*.py"),
                 ("proofs", Path(proofs.origin).parent, "*.py"),
                 ("data", data_dir(), "*")]
        for label, root, pattern in roots:
            if not root.is_dir():
                h.update(f"{label}: missing\n".encode())
                continue
            for p in sorted(root.rglob(pattern)):
                rel = p.relative_to(root)
                if not p.is_file() or "__pycache__" in rel.parts or rel.parts[0] == "counterexamples":
                    continue
                if label == "certify" and rel.parts[0] in ("proofs", "data"):
                    continue  # an installed wheel keeps them inside the package: hashed under their own label
                h.update(f"{label}/{rel.as_posix()} {p.stat().st_size}\n".encode())
                h.update(hashlib.sha256(p.read_bytes()).digest())
        _IDENTITY = h.hexdigest()
    return _IDENTITY


class WorkerMismatch(RuntimeError):
    """The worker runs other certify sources or data than the client."""


def blas_threads() -> int | None:
    """The threads this process's BLAS uses (None if threadpoolctl cannot tell)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - scikit-learn brings it
        return None
    counts = [int(i.get("num_threads") or 0) for i in threadpool_info() if i.get("user_api") == "blas"]
    return max(counts) if counts and max(counts) > 0 else None


@contextmanager
def _blas_limit(threads: int | None) -> Iterator[None]:
    """BLAS with the client's thread count for the task: the order of a product's partial sums depends on
    it, and so do the last digits of a training or an enclosure (Dask's workers start with one thread)."""
    if threads is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=threads, user_api="blas"):
        yield


#: CERTIFY_* variables that stay the worker's own: where its data and results live (the identity check
#: compares the data), and the cluster settings of the client
_LOCAL_SETTINGS = frozenset({"CERTIFY_DATA", "CERTIFY_RESULTS", CLUSTER_ENV, TIMEOUT_ENV})


def certify_settings() -> dict[str, str]:
    """This process's CERTIFY_* settings that a task must see as they are here (work limits, user data
    such as CERTIFY_CIFAR10, hypothesis profiles): a claim reads them where it runs."""
    return {k: v for k, v in os.environ.items() if k.startswith("CERTIFY_") and k not in _LOCAL_SETTINGS}


@contextmanager
def _settings(wanted: dict[str, str]) -> Iterator[None]:
    """The worker's environment with its own CERTIFY_* settings replaced by ``wanted`` for one task."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("CERTIFY_") and k not in _LOCAL_SETTINGS}
    for k in saved:
        del os.environ[k]
    os.environ.update({k: v for k, v in wanted.items() if k not in _LOCAL_SETTINGS})
    try:
        yield
    finally:
        for k in [k for k in os.environ if k.startswith("CERTIFY_") and k not in _LOCAL_SETTINGS]:
            del os.environ[k]
        os.environ.update(saved)


def _on_worker(fn: Callable[..., Any], expected: str, blas: int | None, settings: dict[str, str],
               *args: Any) -> Any:
    """A task on a cluster worker: refuse to run other code than the client's, run certify's tasks one at a
    time per process (hypothesis and the claims' caches are per process, not per thread), with the client's
    BLAS thread count and CERTIFY_* settings."""
    here = identity()
    if here != expected:
        import socket

        raise WorkerMismatch(f"the worker on {socket.gethostname()} runs other certify sources or data "
                             f"(digest {here[:12]}, the client has {expected[:12]}): install the same "
                             "version on every worker, with the same CERTIFY_DATA")
    import warnings

    with _ONE_AT_A_TIME, _blas_limit(blas), _settings(settings), warnings.catch_warnings():
        # Dask's own threads draw from the global random module while hypothesis generates; hypothesis
        # warns about it on every example.  certify's strategies do not use that module (their draws come
        # from hypothesis alone), so the warning says nothing about the campaign.
        warnings.filterwarnings("ignore", message="Do not use the `random` module inside strategies")
        return fn(*args)


# --- the local pool's process handling -----------------------------------------------------------


def _describe_exception(exc: BaseException) -> str:
    first = (str(exc).splitlines() or [""])[0]
    return f"{exc.__class__.__name__}: {first}" if first else exc.__class__.__name__


def _worker_init() -> None:
    """Workers ignore SIGINT: Ctrl-C in a terminal reaches the whole process group, and the parent alone
    decides what to do (it stops the workers), so no worker prints a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT held back (in the main thread, where the system allows it) while worker processes are
    started: a Ctrl-C then reaches this process once they are running, and none of them before
    :func:`_worker_init` has made it ignore SIGINT."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _abandon(pool: ProcessPoolExecutor, futures: list[Any]) -> None:
    """Cancel what has not started, terminate the workers and let the pool go without waiting for it."""
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None  # a second Ctrl-C waits
    try:
        for fut in futures:
            fut.cancel()
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            try:
                proc.terminate()
            except (OSError, ValueError, AttributeError):
                pass
        deadline = time.monotonic() + 5.0
        for proc in processes:
            try:
                proc.join(max(0.0, deadline - time.monotonic()))
                if proc.is_alive():
                    proc.kill()
                    proc.join(1.0)
            except (OSError, ValueError, AssertionError, AttributeError):
                pass
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGINT, previous)
