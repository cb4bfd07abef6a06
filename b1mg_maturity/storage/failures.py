"""What a database failure means to the person who met it, in plain words.

A full disk, a read-only database file, a server that went away: SQLAlchemy
raises ``OperationalError`` and the like, which a user must never see as a
traceback or as "internal error".  :func:`database_failure` turns them into a
:class:`~b1mg_maturity.errors.StorageFailed` that says what happened, that
nothing was lost (every change runs in one transaction, so a failed one is
rolled back whole and what was saved before stays saved), and what to do.

The web app (``ui/feedback.py``) and the command line (``cli/output.py``)
both call it in the one place where they format errors.  Anything it does not
recognise is left alone (None), to be reported as an unexpected error.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import exc as sa_exc

from b1mg_maturity.errors import B1mgError, Problem, StorageFailed, ValidationFailed

NOTHING_LOST = "Nothing that was saved before was lost, and nothing was half-saved."

DISK_FULL = (
    "The database's disk is full, so this change was not saved. "
    + NOTHING_LOST
    + " Ask your administrator to free disk space, then try again."
)
READ_ONLY = (
    "The database can only be read at the moment (it is read-only), so this change was not saved. "
    + NOTHING_LOST
    + " Ask your administrator to make it writable again, then try again."
)
UNREACHABLE = (
    "The database cannot be reached or opened at the moment. "
    + NOTHING_LOST
    + " Try again in a minute; if it persists, tell your administrator."
)
CANNOT_OPEN = (
    "The database file cannot be opened to write (it, or its folder, may be read-only or missing), "
    "so this change was not saved. " + NOTHING_LOST + " Ask your administrator to check the database file."
)
BUSY = "The database is busy with other changes; this one was not saved. " + NOTHING_LOST + " Please try again."
OUT_OF_RESOURCES = (
    "The database server ran out of memory or other resources, so this change was not saved. "
    + NOTHING_LOST
    + " Tell your administrator."
)
NUL_IN_TEXT = "the text contains a NUL character (U+0000), which cannot be stored; remove it and save again"
DISK_ERROR = (
    "The database's disk reported a read or write error, so this change was not saved. "
    + NOTHING_LOST
    + " Tell your administrator: the disk may be failing."
)

# SQLite reports these in the message (sqlite3 has no error codes before Python 3.11's sqlite_errorcode).
_SQLITE_MESSAGES = (
    ("database or disk is full", DISK_FULL),
    ("readonly database", READ_ONLY),
    ("read-only", READ_ONLY),
    ("unable to open database file", CANNOT_OPEN),
    ("disk i/o error", DISK_ERROR),
    ("database is locked", BUSY),
)
# PostgreSQL SQLSTATE codes (Appendix A of its manual), by exact code or by class (first two characters).
_SQLSTATES = {
    "53100": DISK_FULL,  # disk_full
    "25006": READ_ONLY,  # read_only_sql_transaction (a standby, or default_transaction_read_only)
    "53200": OUT_OF_RESOURCES,  # out_of_memory
    "53300": UNREACHABLE,  # too_many_connections
    "57P01": UNREACHABLE,  # admin_shutdown
    "57P02": UNREACHABLE,  # crash_shutdown
    "57P03": UNREACHABLE,  # cannot_connect_now
    "58030": DISK_ERROR,  # io_error
    "40001": BUSY,  # serialization_failure
    "40P01": BUSY,  # deadlock_detected
    "55P03": BUSY,  # lock_not_available
}
_SQLSTATE_CLASSES = {"08": UNREACHABLE, "53": OUT_OF_RESOURCES}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if isinstance(current, sa_exc.DBAPIError) and current.orig is not None:
            yield current.orig
        current = current.__cause__ or current.__context__


def _explain(error: BaseException) -> str | None:
    code = getattr(error, "sqlstate", None)
    if isinstance(code, str) and code:
        return _SQLSTATES.get(code) or _SQLSTATE_CLASSES.get(code[:2])
    module = type(error).__module__
    if module.startswith("sqlite3") or isinstance(error, sa_exc.OperationalError):
        text = str(error).lower()
        for needle, message in _SQLITE_MESSAGES:
            if needle in text:
                return message
    if module.startswith("psycopg") and "nul (0x00)" in str(error).lower():
        return ""  # a NUL that slipped past the validators: the input's fault, see below
    return None


def database_failure(exc: BaseException) -> B1mgError | None:
    """The plain-words error for a database failure in ``exc`` (or its causes); None when it is not one."""
    if isinstance(exc, B1mgError):
        return None
    for error in _chain(exc):
        message = _explain(error)
        if message == "":
            return ValidationFailed("NUL character", (Problem("", NUL_IN_TEXT),))
        if message is not None:
            return StorageFailed(message)
    return None
