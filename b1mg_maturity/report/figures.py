"""Charts for the PDF: the app's plotly figures exported as vector SVG by kaleido (headless Chromium).

One persistent kaleido server per process
-----------------------------------------
Starting Chromium takes seconds; a chart takes a fraction of one.  So the
process keeps **one** kaleido browser, started lazily on the first chart and
reused for every chart of every report after it, and closed when the process
exits (``atexit``) or when :func:`stop_chart_server` is called.  It runs in a
thread of its own with its own asyncio loop; callers from any thread (the CLI,
Streamlit's script threads) submit figures to it and wait for their own
result, so concurrent reports never receive each other's charts.

The browser is found as kaleido does (``BROWSER_PATH``, else the ``PATH``),
unless ``B1MG_CHROMIUM`` names it; Debian's ``/usr/bin/chromium`` is preferred
when present.  MathJax is switched off (no network is ever needed).

Kept page: plotly.js loaded once per tab
----------------------------------------
Each tab's page holds plotly.js (4.8 MB), read from the installed ``plotly``
package (never from the network).  Stock kaleido 1.x reloads the tab after
every chart, which parses plotly.js again (~0.5 s a chart).  Plotly's
``toImage``, which kaleido's page calls, draws each figure in a fresh
detached ``<div>`` and purges it, so nothing of one chart survives into the
next; the server therefore keeps the page loaded between charts and reloads a
tab only every :data:`RELOAD_EVERY` charts (to bound the page's memory).  A
chart that fails closes the whole browser, as before, so a page in an unknown
state is never used again.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from b1mg_maturity.charts import describe
from b1mg_maturity.errors import B1mgError
from b1mg_maturity.i18n import _

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
RENDER_TIMEOUT_SECONDS = 90.0
TABS = 2  # charts rendered side by side by the one browser
RELOAD_EVERY = 200  # charts a tab draws on one page load before it is reloaded


class ChartExportError(B1mgError):
    """A chart could not be exported (no Chromium, or the browser failed)."""


@dataclass(frozen=True)
class SvgChart:
    """A chart ready for the PDF: inline SVG markup (with a <title>) and its text alternative."""

    svg: str
    description: str
    width: int
    height: int


def chromium_path() -> str | None:
    """The browser kaleido should use: ``B1MG_CHROMIUM``, ``BROWSER_PATH``, Debian's Chromium, else kaleido's search."""
    for candidate in (os.environ.get("B1MG_CHROMIUM"), os.environ.get("BROWSER_PATH")):
        if candidate:
            return candidate
    return str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.exists() else None


def local_plotly_js() -> Path:
    """The plotly.js bundled with the installed ``plotly`` package (kaleido must never fetch it from a CDN)."""
    import plotly  # lazy: only the PDF needs it

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ChartExportError(
            _("The charts cannot be drawn: plotly.js is missing from the plotly package ({path}).", path=path)
        )
    return path


def _kaleido_class(keep_page: bool) -> Any:
    """kaleido's ``Kaleido``, or (``keep_page``) a subclass that returns a tab without reloading its page.

    kaleido 1.x reloads a tab in ``Kaleido._return_kaleido_tab`` after each chart (pinned: kaleido==1.5.0).
    Should a later kaleido drop that hook, the stock class is used: slower, never wrong.
    """
    import kaleido  # lazy: importing kaleido is not free, and only the PDF needs it

    stock = kaleido.Kaleido
    if not keep_page or not hasattr(stock, "_return_kaleido_tab"):
        return stock

    class KeptPageKaleido(stock):  # type: ignore[misc, valid-type]
        """Kaleido whose tabs keep plotly.js loaded between charts (reloaded every RELOAD_EVERY charts)."""

        _charts_since_load: dict[int, int]

        async def _return_kaleido_tab(self, tab: Any) -> None:
            counts = self.__dict__.setdefault("_charts_since_load", {})
            drawn = counts.get(id(tab), 0) + 1
            if drawn >= RELOAD_EVERY:
                counts[id(tab)] = 0
                await super()._return_kaleido_tab(tab)  # reloads the page, then queues the tab
                return
            counts[id(tab)] = drawn
            await self.tabs_ready.put(tab)

    return KeptPageKaleido


class ChartServer:
    """One kaleido browser in a background thread; :meth:`svg` is safe to call from any thread."""

    def __init__(self, *, tabs: int = TABS, timeout: float = RENDER_TIMEOUT_SECONDS, keep_page: bool = True) -> None:
        """``keep_page=False`` is kaleido's stock behaviour (the page reloaded after every chart): the benchmark's baseline."""
        self._tabs = tabs
        self._timeout = timeout
        self._keep_page = keep_page
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self._starts = 0

    @property
    def starts(self) -> int:
        """How many times a browser was started (1 for a whole batch, however many charts)."""
        return self._starts

    @property
    def running(self) -> bool:
        return self._kaleido is not None

    def start(self) -> None:
        """Start the browser now (a report worker's warm-up), so that no chart waits for it."""
        self._ensure_started()

    def _ensure_started(self) -> tuple[asyncio.AbstractEventLoop, Any]:
        with self._lock:
            if self._loop is not None and self._kaleido is not None:
                return self._loop, self._kaleido
            plotly_js = local_plotly_js()
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="kaleido-chart-server", daemon=True)
            thread.start()
            try:
                kaleido_instance = asyncio.run_coroutine_threadsafe(self._open(plotly_js), loop).result(self._timeout)
            except Exception as exc:  # noqa: BLE001 - any browser start failure becomes one readable error
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=5)
                loop.close()
                error = f"{type(exc).__name__}: {exc}"
                raise ChartExportError(
                    _(
                        "The charts cannot be drawn: Chromium did not start ({error}). Install it (Debian: apt-get "
                        "install chromium) or set B1MG_CHROMIUM to its path.",
                        error=error,
                    )
                ) from None
            self._loop, self._thread, self._kaleido = loop, thread, kaleido_instance
            self._starts += 1
            return loop, kaleido_instance

    async def _open(self, plotly_js: Path) -> Any:
        options: dict[str, Any] = {"n": self._tabs, "timeout": self._timeout, "mathjax": False, "plotlyjs": plotly_js}
        path = chromium_path()
        if path is not None:
            options["path"] = path
        instance = _kaleido_class(self._keep_page)(**options)
        await instance.open()
        return instance

    def svgs(self, figures: Sequence[tuple[go.Figure, int, int]]) -> list[bytes]:
        """Render ``(figure, width, height)`` triples to SVG bytes, side by side on the browser's tabs."""
        if not figures:
            return []
        loop, instance = self._ensure_started()

        async def render_all() -> list[bytes]:
            jobs = [
                instance.calc_fig(fig, opts={"format": "svg", "width": width, "height": height})
                for fig, width, height in figures
            ]
            return list(await asyncio.gather(*jobs))

        future: Future[list[bytes]] = asyncio.run_coroutine_threadsafe(render_all(), loop)
        try:
            return future.result(self._timeout * len(figures))
        except Exception as exc:  # noqa: BLE001 - the browser's failure becomes one readable error
            future.cancel()
            self.stop()  # a browser that failed is not trusted again: the next chart starts a fresh one
            error = f"{type(exc).__name__}: {exc}"
            raise ChartExportError(_("A chart could not be drawn ({error}).", error=error)) from None

    def stop(self) -> None:
        with self._lock:
            loop, thread, instance = self._loop, self._thread, self._kaleido
            self._loop = self._thread = self._kaleido = None
        if loop is None or instance is None:
            return
        with contextlib.suppress(Exception):  # closing at exit: nothing useful left to report
            asyncio.run_coroutine_threadsafe(instance.close(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=10)
        loop.close()


_server = ChartServer()
atexit.register(_server.stop)


def chart_server() -> ChartServer:
    """The process's one chart server (started on its first chart)."""
    return _server


def stop_chart_server() -> None:
    """Close the browser now (it starts again on the next chart)."""
    _server.stop()


# --- from plotly figure to inline SVG ---------------------------------------------------------

_SVG_OPEN = re.compile(rb"<svg\b[^>]*>")


def inline_svg(raw: bytes, description: str, css_class: str = "chart") -> str:
    """The SVG markup for the HTML: accessible name and a <title> holding the text alternative.

    ``description`` is escaped here; the rest of the markup is kaleido's serialisation of the
    plotly chart (Chromium's XML serialiser escapes every text node).
    """
    text = raw.decode("utf-8")
    match = _SVG_OPEN.match(raw)
    if match is None:
        raise ChartExportError(_("the chart export did not return an SVG document"))
    opening = match.group(0).decode("utf-8")
    attributes = f' role="img" aria-label="{escape(description, quote=True)}" class="{css_class}"'
    # drop plotly's own class/style attributes on the root, keep the viewBox (the PDF scales the chart)
    opening = re.sub(r'\s(class|style)="[^"]*"', "", opening)
    opening = opening[:-1] + attributes + ">"
    return opening + f"<title>{escape(description, quote=False)}</title>" + text[match.end() :]


def export_svgs(figures: Sequence[tuple[go.Figure, int, int]], server: ChartServer | None = None) -> list[SvgChart]:
    """Export figures (with their pixel size) as inline SVG charts with their text alternatives."""
    raw = (server or _server).svgs(figures)
    return [
        SvgChart(inline_svg(data, describe(fig)), describe(fig), width, height)
        for data, (fig, width, height) in zip(raw, figures, strict=True)
    ]
