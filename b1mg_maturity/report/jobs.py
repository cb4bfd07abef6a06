"""PDF reports made off the person's wait path: a pool of warm worker processes, and a cache in front of it.

:func:`report_jobs` is the process's one :class:`ReportJobs`; ``submit(context)``
returns a :class:`~concurrent.futures.Future` of a :class:`PreparedReport` at
once.  A report already in the cache (:mod:`.cache`, keyed by everything it
shows) is served from there without rendering; one being made already is not
made twice; anything else is made by a worker process.

The workers (``report_workers`` of the settings, 2 by default: a batch uses
both cores) each warm themselves once when they start: WeasyPrint imported and
its fonts loaded by a first tiny document, the kaleido browser started and its
page holding plotly.js drawn once.  The server calls :func:`warm_up` when it
starts (half a minute later, so that the first visitors have both cores), so no
cold browser start lands in anyone's wait; a report asked for before that
starts the pool itself.  The server's workers run at a lower
priority (``nice``) than the server, so that a report being made in the
background does not slow a person's clicks; a batch's (``report --all``) run
at the normal priority, the batch being the work.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import os
import sys
import threading
import time
import types
from collections import Counter
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from b1mg_maturity.errors import B1mgError
from b1mg_maturity.report.cache import ReportCache, default_directory, report_key

if TYPE_CHECKING:
    from b1mg_maturity.report.model import ReportContext
    from b1mg_maturity.services import RoundView, Services
    from b1mg_maturity.settings import Settings

log = logging.getLogger(__name__)

WORKER_NICENESS = 10  # the server's workers yield to its own work (people's clicks); a batch's do not
_WARM_HTML = '<html lang="en"><head><link rel="stylesheet" href="report.css"></head><body><p>warm</p></body></html>'


class ReportFailed(B1mgError):
    """A report could not be made; the message says why in plain words (never a traceback)."""


@dataclass(frozen=True)
class PreparedReport:
    """A made report: its PDF, its cache key, and where it came from."""

    pdf: bytes
    key: str
    from_cache: bool
    worker_pid: int | None = None  # the process that rendered it (None: served from the cache)
    seconds: float = 0.0  # rendering time in the worker


# --- in the worker process ---------------------------------------------------------------------


def _warm_worker(niceness: int, charts: bool = True) -> None:
    """A worker's start: lower its priority, load WeasyPrint and its fonts, start the chart browser.

    Never raises (a failing initializer would break the whole pool): what failed
    here fails again, and is reported, when a report is made.
    """
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), name="report-worker-watch", daemon=True).start()
    with contextlib.suppress(OSError):
        os.nice(niceness)
    try:
        import plotly.graph_objects as go

        from b1mg_maturity.report.figures import chart_server, export_svgs
        from b1mg_maturity.report.render import html_to_pdf

        html_to_pdf(_WARM_HTML)
        if charts:
            chart_server().start()
            export_svgs([(go.Figure(go.Bar(x=[1], y=[1])), 120, 80)])
    except Exception:  # reported when a report is made
        log.warning("report worker %s: warm-up failed", os.getpid(), exc_info=True)


def _exit_with(parent_sentinel: int) -> None:
    """End this worker, and its browser, when the server that started it is gone (killed, crashed): a pool's
    worker would otherwise wait for work forever, holding its Chromium."""
    multiprocessing.connection.wait([parent_sentinel])
    with contextlib.suppress(Exception):  # leaving anyway
        from b1mg_maturity.report.figures import stop_chart_server

        stop_chart_server()
    os._exit(0)


def _worker_pid() -> int:
    return os.getpid()


def _meet(barrier: threading.Barrier, timeout: float) -> int:
    """Wait at ``barrier`` (a manager's, shared by every worker): held until every worker is there."""
    barrier.wait(timeout)
    return os.getpid()


def _render(context: ReportContext, charts: bool) -> tuple[bytes, int, float]:
    """In a worker: the PDF of ``context``, the worker's pid and the seconds it took."""
    from b1mg_maturity.report.render import render_pdf

    started = time.perf_counter()
    try:
        pdf = render_pdf(context, charts=charts)
    except B1mgError as exc:
        raise ReportFailed(" ".join(exc.lines())) from None  # a plain, picklable message
    except Exception as exc:  # logged here with its traceback; the person reads plain words
        log.exception("report worker %s: the report of %s failed", os.getpid(), context.subject)
        raise ReportFailed(f"The report could not be made ({type(exc).__name__}).") from None
    return pdf, os.getpid(), time.perf_counter() - started


# --- in the server (or the command line) -------------------------------------------------------


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    """A spawned worker that does not run the parent's main script.

    A spawned process first runs the parent's ``__main__`` again (as ``__mp_main__``).  Inside
    Streamlit that is the app's script itself, which must not run in a worker: while the
    worker is started, ``__main__`` is a module with no file, which spawning skips.
    """

    def start(self) -> None:
        with _MAIN_SWAP:
            real = sys.modules.get("__main__")
            blank = sys.modules["__main__"] = types.ModuleType("__main__")
            try:
                super().start()
            finally:
                if sys.modules.get("__main__") is blank and real is not None:
                    sys.modules["__main__"] = real


class _WorkerContext(multiprocessing.context.SpawnContext):
    """Spawned (never forked: the server has threads), without the parent's main script."""

    Process = _WorkerProcess


_MAIN_SWAP = threading.Lock()


@dataclass
class _Pool:
    executor: cf.ProcessPoolExecutor
    workers: int
    broken: bool = False


@dataclass
class ReportJobs:
    """The cache, the worker pool behind it (started on first use or by :meth:`warm_up`), and the reports in hand."""

    cache: ReportCache
    workers: int = 2
    warm_charts: bool = True  # False: the workers start no browser (reports without charts)
    niceness: int = 0  # the server's pool: WORKER_NICENESS (its workers yield to people's clicks)
    counts: Counter[str] = field(default_factory=Counter)  # "cached" (served from the cache), "rendered"
    _pool: _Pool | None = field(default=None, repr=False)
    _pending: dict[str, cf.Future[PreparedReport]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @staticmethod
    def key(context: ReportContext, *, charts: bool = True) -> str:
        return report_key(context, charts=charts)

    def cached(self, key: str) -> bytes | None:
        """The PDF already made for ``key`` (cheap: no worker involved), else None."""
        return self.cache.get(key)

    def submit(self, context: ReportContext, *, charts: bool = True) -> cf.Future[PreparedReport]:
        """The report of ``context``, at once from the cache, else made by a worker (never twice at a time)."""
        key = report_key(context, charts=charts)
        data = self.cache.get(key)
        if data is not None:
            with self._lock:
                self.counts["cached"] += 1
            done: cf.Future[PreparedReport] = cf.Future()
            done.set_result(PreparedReport(data, key, from_cache=True))
            return done
        with self._lock:
            pending = self._pending.get(key)
            if pending is not None:
                return pending
            outer: cf.Future[PreparedReport] = cf.Future()
            outer.set_running_or_notify_cancel()
            self._pending[key] = outer
            self.counts["rendered"] += 1
            try:
                inner = self._executor().submit(_render, context, charts)
            except Exception as exc:  # a pool that cannot start: said through the future
                del self._pending[key]
                log.exception("the report pool could not take a report")
                outer.set_exception(ReportFailed(f"The report could not be started ({type(exc).__name__})."))
                return outer
        inner.add_done_callback(lambda finished: self._finish(key, finished, outer))
        return outer

    def _finish(self, key: str, inner: cf.Future[tuple[bytes, int, float]], outer: cf.Future[PreparedReport]) -> None:
        """Keep the made PDF in the cache, then hand it over (so whoever sees it done finds it cached)."""
        try:
            pdf, pid, seconds = inner.result()
        except Exception as exc:  # noqa: BLE001 - every failure reaches the waiting person as plain words
            if isinstance(exc, BrokenProcessPool):
                self._mark_broken()
                exc = ReportFailed("The report could not be made: its worker stopped. Please try again.")
            elif not isinstance(exc, B1mgError):
                exc = ReportFailed(f"The report could not be made ({type(exc).__name__}).")
            with self._lock:
                self._pending.pop(key, None)
            outer.set_exception(exc)
            return
        try:
            self.cache.put(key, pdf)
        except OSError as exc:  # a full or read-only disk: the report is still handed over
            log.warning("report cache: cannot keep %s (%s)", key, exc)
        with self._lock:
            self._pending.pop(key, None)
        outer.set_result(PreparedReport(pdf, key, from_cache=False, worker_pid=pid, seconds=seconds))

    def _executor(self) -> cf.ProcessPoolExecutor:
        """The pool (the caller holds the lock), started now if need be, or again after a worker died."""
        if self._pool is None or self._pool.broken:
            if self._pool is not None:
                self._pool.executor.shutdown(wait=False, cancel_futures=True)
            executor = cf.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=_WorkerContext(),
                initializer=_warm_worker,
                initargs=(self.niceness, self.warm_charts),
            )
            self._pool = _Pool(executor, self.workers)
        return self._pool.executor

    def _mark_broken(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.broken = True

    def warm_up(self) -> list[cf.Future[int]]:
        """Start every worker now (each warms itself as it starts); returns at once, with futures of their pids."""
        with self._lock:
            executor = self._executor()
            return [executor.submit(_worker_pid) for _ in range(self.workers)]

    def wait_until_warm(self, timeout: float = 300) -> set[int]:
        """Start every worker and wait until each has warmed itself (benchmarks, tests); returns their pids.

        One task a worker, each waiting for the others at a barrier, so that no worker takes two.
        """
        with multiprocessing.get_context("spawn").Manager() as manager:
            barrier = manager.Barrier(self.workers)
            with self._lock:
                executor = self._executor()
                futures = [executor.submit(_meet, barrier, timeout) for _ in range(self.workers)]
            return {future.result(timeout) for future in futures}

    def shutdown(self, *, wait: bool = True, terminate: bool = False) -> None:
        """Stop the pool; ``terminate``: end the workers now, even in the middle of a report (the server stops)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        if terminate:  # the executor has no public way (before Python 3.14) to end a busy worker
            for process in list(getattr(pool.executor, "_processes", {}).values()):
                with contextlib.suppress(Exception):
                    process.terminate()
        pool.executor.shutdown(wait=wait, cancel_futures=True)


def jobs_for(
    settings: Settings, *, database_url: str | None = None, warm_charts: bool = True, niceness: int = 0
) -> ReportJobs:
    """A new :class:`ReportJobs` as the settings say (the process's own one is :func:`report_jobs`).

    ``database_url``: the database actually used, when not the settings' (the CLI's ``--database-url``):
    the cache's default directory is beside it.
    """
    directory = settings.report_cache_dir or default_directory(database_url or settings.database_url)
    cache = ReportCache(directory, settings.report_cache_mib * 1024 * 1024)
    return ReportJobs(cache, workers=settings.report_workers, warm_charts=warm_charts, niceness=niceness)


_jobs: ReportJobs | None = None
_jobs_lock = threading.Lock()


def report_jobs(settings: Settings | None = None) -> ReportJobs:
    """The process's one :class:`ReportJobs`, made from the settings on first call (none given: the environment's)."""
    global _jobs
    with _jobs_lock:
        if _jobs is None:
            if settings is None:
                from b1mg_maturity.settings import get_settings

                settings = get_settings()
            _jobs = jobs_for(settings, niceness=WORKER_NICENESS)  # the server's: people's clicks go first
        return _jobs


WARM_UP_DELAY_SECONDS = 30.0


def warm_up(settings: Settings | None = None, *, after_seconds: float = WARM_UP_DELAY_SECONDS) -> None:
    """Start the report workers in the background, ``after_seconds`` from now; returns at once.

    The server calls this when it starts.  The delay lets the first visitors after
    a start have both cores: two workers warming themselves (WeasyPrint, a browser
    each) doubled the time to the sign-in form even at a lower priority.  A report
    asked for sooner starts the pool itself.
    """
    jobs = report_jobs(settings)
    timer = threading.Timer(after_seconds, jobs.warm_up)
    timer.daemon = True
    timer.name = "report-workers-warm-up"
    timer.start()


def prepare_published(services: Services, actor_id: int, view: RoundView) -> list[cf.Future[PreparedReport]]:
    """Have the reports of a just-published round made now, so that the first download is served from the cache.

    Both copies are made (see :func:`~b1mg_maturity.report.rounds.published_contexts`).
    A report that cannot be prepared is logged and made again when asked for: the
    publication itself stands.
    """
    from b1mg_maturity.report.rounds import published_contexts

    try:
        contexts = published_contexts(
            services,
            actor_id,
            view,
            min_group_size=services.settings.min_group_size,
        )
    except Exception:  # the round is published; its report is made when first asked for
        log.warning("the report of published round %s could not be prepared", view.id, exc_info=True)
        return []
    jobs = report_jobs(services.settings)
    return [jobs.submit(context) for context in contexts]


def publish_and_prepare(services: Services, actor_id: int, round_id: int) -> RoundView:
    """Publish a round (the use case, with its permission checks), then have its reports made.

    The reports' inputs are read on a thread of their own: the administrator's page does not wait for them.
    """
    view = services.publish(actor_id, round_id)
    threading.Thread(
        target=prepare_published, args=(services, actor_id, view), name=f"prepare-report-{view.id}", daemon=True
    ).start()
    return view


def _stop_at_exit() -> None:
    if _jobs is not None:
        _jobs.shutdown(wait=False, terminate=True)


# Before the executor's own exit hook, which would wait for a report being made: a stopping server
# ends its workers at once.  (Registered the way concurrent.futures registers that hook.)
getattr(threading, "_register_atexit", atexit.register)(_stop_at_exit)


__all__ = [
    "PreparedReport",
    "ReportFailed",
    "ReportJobs",
    "jobs_for",
    "prepare_published",
    "publish_and_prepare",
    "report_jobs",
    "warm_up",
]
