"""A throw-away PostgreSQL server for the test suite.

Uses the server binaries that Debian's ``postgresql`` package installs
(``/usr/lib/postgresql/<major>/bin``) or whatever ``initdb``/``pg_ctl`` is on
``PATH``; ``B1MG_PG_BINDIR`` overrides both. The cluster lives in a fresh temp
directory, listens on a free TCP port on 127.0.0.1 only (its unix socket stays
inside the temp directory), trusts loopback connections and is tuned for
speed, not durability. When running as root the cluster is owned by and run as
the ``postgres`` user (``runuser -u postgres --``), because PostgreSQL refuses
to run as root.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

__all__ = [
    "PostgresNotAvailable",
    "PostgresStartError",
    "create_database",
    "drop_database",
    "find_bindir",
    "freeze_template",
    "running_postgres",
]

BINDIR_ENV = "B1MG_PG_BINDIR"
SERVER_USER = "postgres"  # the OS user that owns the cluster when we are root
SUPERUSER = "postgres"  # the database superuser created by initdb
REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
START_ATTEMPTS = 5  # another process may grab the free port between probe and bind
START_TIMEOUT_SECONDS = 60

SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "shared_buffers": "32MB",
    "logging_collector": "off",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",  # failing statements are expected in tests; don't spam the log
    "timezone": "'UTC'",
}

PG_HBA = """\
# Throw-away test cluster: only reachable via its private unix socket and 127.0.0.1.
local   all   all                  trust
host    all   all   127.0.0.1/32   trust
"""

_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresNotAvailable(RuntimeError):
    """The PostgreSQL server binaries (or the OS user to run them) are missing."""


class PostgresStartError(RuntimeError):
    """The binaries exist but the throw-away server did not come up."""


def _is_server_bindir(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) and (directory / name).is_file() for name in REQUIRED_BINARIES)


def _major(directory: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,); non-numeric names sort first
    return tuple(int(part) for part in re.findall(r"\d+", directory.parent.name)) or (0,)


def find_bindir() -> Path | None:
    """Directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None.

    Order: ``$B1MG_PG_BINDIR``, then ``PATH`` (symlinks are resolved, so a
    ``/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb`` link leads to
    the real directory), then the newest ``/usr/lib/postgresql/*/bin``.
    """
    override = os.environ.get(BINDIR_ENV)
    if override:
        return Path(override) if _is_server_bindir(Path(override)) else None
    on_path = shutil.which("initdb")
    if on_path:
        candidate = Path(on_path).resolve().parent
        if _is_server_bindir(candidate):
            return candidate
    installed = [d for d in Path("/usr/lib/postgresql").glob("*/bin") if _is_server_bindir(d)]
    if installed:
        return max(installed, key=_major)
    return None


@dataclass(frozen=True)
class _Runner:
    """Runs the server binaries, as ``postgres`` when we are root."""

    bindir: Path
    as_user: str | None  # None: run as ourselves

    def command(self, binary: str, *args: str) -> list[str]:
        argv = [str(self.bindir / binary), *args]
        if self.as_user is None:
            return argv
        return ["runuser", "-u", self.as_user, "--", *argv]

    def run(self, binary: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(binary, *args),
            cwd=cwd,
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )


def _clean_env() -> dict[str, str]:
    # PGDATA, PGPORT, PGHOST ... from the caller's shell must not leak into initdb/pg_ctl.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env.pop("LANG", None)
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _make_runner(bindir: Path) -> _Runner:
    if os.geteuid() != 0:
        return _Runner(bindir, None)
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresNotAvailable(
            f"running as root but there is no '{SERVER_USER}' user to run the server as "
            "(installing the Debian 'postgresql' package creates it)"
        ) from None
    if shutil.which("runuser") is None:
        raise PostgresNotAvailable("running as root but 'runuser' (util-linux) is missing")
    return _Runner(bindir, SERVER_USER)


def _make_workdir(runner: _Runner) -> Path:
    """A private temp dir the server user can write to (and whose paths are short enough for a unix socket)."""
    workdir = Path(tempfile.mkdtemp(prefix="b1mg-pg-"))
    if runner.as_user is not None:
        entry = pwd.getpwnam(runner.as_user)
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
        reachable = subprocess.run(
            ["runuser", "-u", runner.as_user, "--", "test", "-w", str(workdir)], check=False
        ).returncode
        if reachable != 0:  # e.g. TMPDIR under /root; /tmp is always traversable
            shutil.rmtree(workdir, ignore_errors=True)
            workdir = Path(tempfile.mkdtemp(prefix="b1mg-pg-", dir="/tmp"))
            os.chown(workdir, entry.pw_uid, entry.pw_gid)
    return workdir


def _write_as_server_user(runner: _Runner, path: Path, content: str, *, append: bool) -> None:
    # We may be root writing into a postgres-owned dir; keep the file owned by postgres.
    with path.open("a" if append else "w", encoding="utf-8") as handle:
        handle.write(content)
    if runner.as_user is not None:
        entry = pwd.getpwnam(runner.as_user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _failure(what: str, result: subprocess.CompletedProcess[str], log: Path | None = None) -> str:
    parts = [f"{what} failed (exit {result.returncode}): {' '.join(map(str, result.args))}"]
    for label, body in (("stdout", result.stdout), ("stderr", result.stderr)):
        if body.strip():
            parts.append(f"--- {label} ---\n{body.strip()}")
    if log is not None and log.exists():
        parts.append(f"--- server log ---\n{log.read_text(encoding='utf-8', errors='replace')[-4000:]}")
    return "\n".join(parts)


def _initdb(runner: _Runner, workdir: Path, datadir: Path, socketdir: Path) -> None:
    result = runner.run(
        "initdb",
        "--pgdata",
        str(datadir),
        "--username",
        SUPERUSER,
        "--auth",
        "trust",
        "--encoding",
        "UTF8",
        "--locale",
        "C",
        "--no-sync",
        cwd=workdir,
    )
    if result.returncode != 0:
        raise PostgresStartError(_failure("initdb", result))
    settings = {**SERVER_SETTINGS, "unix_socket_directories": f"'{socketdir}'"}
    conf = "\n# b1mg-maturity test cluster\n" + "".join(f"{key} = {value}\n" for key, value in settings.items())
    _write_as_server_user(runner, datadir / "postgresql.conf", conf, append=True)
    _write_as_server_user(runner, datadir / "pg_hba.conf", PG_HBA, append=False)


def _start(runner: _Runner, workdir: Path, datadir: Path, log: Path) -> int:
    last: subprocess.CompletedProcess[str] | None = None
    for _ in range(START_ATTEMPTS):
        port = _free_port()
        last = runner.run(
            "pg_ctl",
            "start",
            "--pgdata",
            str(datadir),
            "--log",
            str(log),
            "--wait",
            "--timeout",
            str(START_TIMEOUT_SECONDS),
            "--silent",
            "-o",
            f"-p {port}",
            cwd=workdir,
        )
        if last.returncode == 0:
            return port
        log_text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        if "could not bind" not in log_text and "already in use" not in log_text:
            break
        time.sleep(0.2)  # lost a port race with another process; try another port
    assert last is not None
    raise PostgresStartError(_failure("pg_ctl start", last, log))


def _stop(runner: _Runner, workdir: Path, datadir: Path) -> None:
    if not (datadir / "postmaster.pid").exists():
        return
    # Immediate mode: the data is thrown away, so skip the shutdown checkpoint.
    runner.run("pg_ctl", "stop", "--pgdata", str(datadir), "--mode", "immediate", "--wait", "--silent", cwd=workdir)


def admin_url(port: int) -> str:
    return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"


@contextmanager
def running_postgres(bindir: Path | None = None) -> Iterator[str]:
    """Start a throw-away PostgreSQL server; yield its superuser SQLAlchemy URL.

    The server and its data directory are gone when the block exits. Raises
    :class:`PostgresNotAvailable` when the server binaries are not installed and
    :class:`PostgresStartError` (with initdb/pg_ctl output and the server log)
    when they are but the server does not start.
    """
    bindir = bindir or find_bindir()
    if bindir is None:
        raise PostgresNotAvailable(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH, "
            f"in /usr/lib/postgresql/*/bin or in ${BINDIR_ENV}"
        )
    runner = _make_runner(bindir)
    workdir = _make_workdir(runner)
    datadir, socketdir, log = workdir / "data", workdir / "socket", workdir / "server.log"
    try:
        socketdir.mkdir(mode=0o700)
        if runner.as_user is not None:
            entry = pwd.getpwnam(runner.as_user)
            os.chown(socketdir, entry.pw_uid, entry.pw_gid)
        _initdb(runner, workdir, datadir, socketdir)
        port = _start(runner, workdir, datadir, log)
        try:
            yield admin_url(port)
        finally:
            _stop(runner, workdir, datadir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _check_name(name: str) -> str:
    if not _DB_NAME.fullmatch(name):
        raise ValueError(f"database name must match {_DB_NAME.pattern}: {name!r}")
    return name


def _run_autocommit(admin: str, statements: Sequence[str]) -> None:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def create_database(admin: str, name: str, *, template: str = "template0") -> str:
    """Create database ``name`` on the server of ``admin``, a copy of ``template``; return its URL (same credentials).

    The default template is PostgreSQL's empty ``template0``; a database frozen with
    :func:`freeze_template` gives a copy of its schema and rows (a file copy inside
    the server: far quicker than building it again).
    """
    statement = f'CREATE DATABASE "{_check_name(name)}" TEMPLATE "{_check_name(template)}"'
    if template == "template0":
        statement += " ENCODING 'UTF8'"
    _run_autocommit(admin, [statement])
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def freeze_template(admin: str, name: str) -> None:
    """Make database ``name`` a template that nobody can connect to (so nobody can change it).

    ``CREATE DATABASE ... TEMPLATE`` needs the template free of connections; this
    closes any left open.
    """
    checked = _check_name(name)
    _run_autocommit(
        admin,
        [
            f'ALTER DATABASE "{checked}" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true',
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{checked}'",
        ],
    )


def drop_database(admin: str, name: str) -> None:
    """Drop database ``name``, terminating any connections still open to it."""
    _run_autocommit(admin, [f'DROP DATABASE IF EXISTS "{_check_name(name)}" WITH (FORCE)'])
