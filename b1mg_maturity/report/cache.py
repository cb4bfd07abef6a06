"""Made PDF reports kept on disk, keyed by everything they show.

The key is a digest of the report context itself (every answer, score, note,
peer median, name, status and date in :class:`ReportContext`, the questionnaire
whole), of whether charts are drawn, and of the renderer (the template, the
stylesheet, the code that draws and lays out, the versions of WeasyPrint,
plotly and kaleido).  So a changed rating, a new peer publication, a reopened
round (its status) or a new release each give a new key: a stale PDF is never
found, it is only left to age out.

Files are written atomically (a temporary file renamed into place), so a
reader never sees half a PDF, and several processes may share the directory.
The directory is bounded in size: after each write the least recently used
files go first (a hit touches its file).  Light: no WeasyPrint, no plotly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import hashlib
import json
import logging
import math
import os
import tempfile
import threading
import time
from collections.abc import Mapping
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from b1mg_maturity.report.files import REPORT_ASSETS
from b1mg_maturity.report.model import ReportContext

log = logging.getLogger(__name__)

SUFFIX = ".pdf"
STALE_TEMPORARY_SECONDS = 3600  # a temporary file this old was left by a writer that died
_PACKAGE = Path(__file__).resolve().parent.parent
RENDERER_SOURCES = (_PACKAGE / "report", _PACKAGE / "charts", REPORT_ASSETS)
RENDERER_LIBRARIES = ("weasyprint", "plotly", "kaleido", "jinja2")


class _Plain:
    """Turns a value into JSON-ready data, every field named; an unknown type is refused rather than guessed.

    A row shown in several places of the report (a domain, the weakest, the action plan) is the same
    object each time: it is converted once per key.
    """

    def __init__(self) -> None:
        self._seen: dict[int, Any] = {}

    def __call__(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, str)):
            return value.value if isinstance(value, enum.Enum) else value
        if isinstance(value, float):
            return value if math.isfinite(value) else repr(value)
        if isinstance(value, (list, tuple)):
            return [self(item) for item in value]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            known = self._seen.get(id(value))
            if known is None:
                fields = {f.name: self(getattr(value, f.name)) for f in dataclasses.fields(value)}
                known = self._seen[id(value)] = {"__type__": type(value).__qualname__, **fields}
            return known
        if isinstance(value, enum.Enum):
            return self(value.value)
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        if isinstance(value, BaseModel):
            return _model_data(value)
        if isinstance(value, Mapping):
            return {str(key): self(item) for key, item in value.items()}
        if isinstance(value, (set, frozenset)):
            return sorted(self(item) for item in value)
        raise TypeError(f"the report key cannot serialise a {type(value).__name__}")


_models: dict[int, tuple[BaseModel, str]] = {}  # a questionnaire is serialised once per process


def _model_data(model: BaseModel) -> str:
    """A frozen model (the questionnaire) as its JSON text, kept by identity (the model is held, so its id stays its own)."""
    known = _models.get(id(model))
    if known is None or known[0] is not model:
        if len(_models) > 16:
            _models.clear()
        known = _models[id(model)] = (model, model.model_dump_json())
    return known[1]


def canonical(context: ReportContext) -> bytes:
    """The report context as canonical JSON: equal contexts give equal bytes, whatever their history."""
    return json.dumps(_Plain()(context), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@lru_cache(maxsize=1)
def renderer_fingerprint() -> str:
    """A digest of what turns a context into a PDF (code, template, libraries): a new release, a new key."""
    digest = hashlib.sha256()
    for root in RENDERER_SOURCES:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(root.parent)).encode())
            digest.update(path.read_bytes())
    for name in RENDERER_LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    return digest.hexdigest()


def report_key(context: ReportContext, *, charts: bool = True) -> str:
    """The cache key of the PDF of ``context``: a digest of everything the PDF shows and how it is made."""
    digest = hashlib.sha256(renderer_fingerprint().encode())
    digest.update(b"charts" if charts else b"text")
    digest.update(canonical(context))
    return digest.hexdigest()


def default_directory(database_url: str) -> Path:
    """``report-cache`` beside the SQLite database file (the app's data directory), else under ``var/``."""
    from sqlalchemy.engine import make_url

    from b1mg_maturity.settings import PROJECT_ROOT

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "report-cache"
    return PROJECT_ROOT / "var" / "report-cache"


class ReportCache:
    """PDFs in one directory, one file a key, at most ``max_bytes`` in all (least recently used go first)."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("a report key is a hex digest")
        return self.directory / f"{key}{SUFFIX}"

    def get(self, key: str) -> bytes | None:
        """The PDF kept under ``key``, or None; a hit marks the file as recently used."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:  # an unreadable cache is a miss: the report is made again
            log.warning("report cache: cannot read %s (%s)", path, exc)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return data

    def __contains__(self, key: str) -> bool:
        return self.path(key).is_file()

    def put(self, key: str, data: bytes) -> None:
        """Keep ``data`` under ``key`` (atomically), then trim the directory to its size."""
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            os.replace(temporary, self.path(key))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        self.evict(keep=key)

    def evict(self, *, keep: str | None = None) -> list[Path]:
        """Delete the least recently used PDFs until the directory fits ``max_bytes``; returns those deleted."""
        with self._lock:
            now = time.time()
            entries: list[tuple[float, int, Path]] = []
            removed: list[Path] = []
            for path in self.directory.glob("*"):
                try:
                    stat = path.stat()
                except OSError:
                    continue  # deleted meanwhile by another process
                if path.suffix == ".tmp":
                    if now - stat.st_mtime > STALE_TEMPORARY_SECONDS:
                        removed.append(path)
                elif path.suffix == SUFFIX:
                    entries.append((stat.st_mtime, stat.st_size, path))
            total = sum(size for _, size, _ in entries)
            for _, size, path in sorted(entries):
                if total <= self.max_bytes:
                    break
                if keep is not None and path.name == f"{keep}{SUFFIX}":
                    continue
                removed.append(path)
                total -= size
            for path in removed:
                with contextlib.suppress(OSError):
                    path.unlink()
            return removed


__all__ = ["ReportCache", "canonical", "default_directory", "renderer_fingerprint", "report_key"]
