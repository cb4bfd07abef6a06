"""Counting the SQL statements a piece of work sends (a ``before_cursor_execute`` listener).

Used by the save benchmark (statements per save) and by the test that bounds them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


class StatementCounter:
    """Counts (and keeps) every statement the engine sends while the block runs, and each commit.

    A commit is the driver's ``commit()`` rather than a statement, but it is a
    round trip too, so it is counted (as ``COMMIT``).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._hook)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._hook)
        event.remove(self.engine, "commit", self._commit)

    def _hook(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def _commit(self, _conn: Any) -> None:
        self.statements.append("COMMIT")

    @property
    def count(self) -> int:
        return len(self.statements)
