"""The app's least-privilege database role on PostgreSQL.

Two roles share the database:

* the **owner** role owns the schema and the tables; it runs the migrations
  (``b1mg-maturity db upgrade``) and nothing else;
* the **runtime** role is the one in the app's ``B1MG_DATABASE_URL``.  It may
  read and write the data tables, but only *add to and read* the audit log:
  no UPDATE, DELETE or TRUNCATE there, no DDL anywhere (it owns nothing, so it
  cannot drop or disable the audit log's triggers), and only read the schema
  version.

:func:`grant_runtime` gives the runtime role exactly that, and takes back
anything more it held on the app's tables.  It is repeatable; run it again
after every upgrade (new tables get the data-table rights automatically
through default privileges, but a re-run is what restores the audit rule for
any new append-only table).  SQLite has no roles: protect the database file
instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from b1mg_maturity.errors import Problem, ValidationFailed
from b1mg_maturity.storage.database import make_engine

APPEND_ONLY_TABLES = ("audit_log",)
READ_ONLY_TABLES = ("alembic_version",)
DATA_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
APPEND_RIGHTS = "SELECT, INSERT"


@dataclass(frozen=True)
class RuntimeGrant:
    role: str
    schema: str
    data_tables: tuple[str, ...]
    append_only: tuple[str, ...]
    read_only: tuple[str, ...]

    def summary(self) -> list[str]:
        return [
            f"role '{self.role}' on schema '{self.schema}':",
            f"  read and write: {', '.join(self.data_tables)}",
            f"  add and read only (no UPDATE, DELETE, TRUNCATE): {', '.join(self.append_only)}",
            f"  read only: {', '.join(self.read_only)}",
            "  no table, trigger or schema changes (the owner role runs the migrations)",
        ]


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed("runtime role refused", (Problem("role", message),))


def _quote(connection: Connection, name: str) -> str:
    return str(connection.execute(text("SELECT quote_ident(:name)"), {"name": name}).scalar_one())


def grant_statements(role: str, schema: str, owner: str, tables: Sequence[str], sequences: Sequence[str]) -> list[str]:
    """The SQL that gives ``role`` the runtime rights (names already quoted)."""
    data = [t for t in tables if t.strip('"') not in (*APPEND_ONLY_TABLES, *READ_ONLY_TABLES)]
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
    ]
    statements += [f"GRANT {DATA_RIGHTS} ON {schema}.{t} TO {role}" for t in data]
    statements += [
        f"GRANT {APPEND_RIGHTS} ON {schema}.{t} TO {role}" for t in tables if t.strip('"') in APPEND_ONLY_TABLES
    ]
    statements += [f"GRANT SELECT ON {schema}.{t} TO {role}" for t in tables if t.strip('"') in READ_ONLY_TABLES]
    statements += [f"GRANT USAGE, SELECT ON SEQUENCE {schema}.{s} TO {role}" for s in sequences]
    statements += [
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT {DATA_RIGHTS} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    return statements


def grant_runtime(target: str | Engine, role: str) -> RuntimeGrant:
    """Give ``role`` the runtime rights on the database at ``target`` (connect as the owner role)."""
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        if engine.dialect.name != "postgresql":
            raise _refuse("database roles exist on PostgreSQL only; on SQLite protect the database file instead")
        with engine.begin() as connection:
            return _grant(connection, role)
    finally:
        if isinstance(target, str):
            engine.dispose()


def _grant(connection: Connection, role: str) -> RuntimeGrant:
    schema_name = str(connection.execute(text("SELECT current_schema()")).scalar_one())
    owner_name = connection.execute(
        text("SELECT tableowner FROM pg_tables WHERE schemaname = :schema AND tablename = 'audit_log'"),
        {"schema": schema_name},
    ).scalar_one_or_none()
    if owner_name is None:
        raise _refuse(f"no audit_log table in schema '{schema_name}': run `b1mg-maturity db upgrade` first")
    me = str(connection.execute(text("SELECT current_user")).scalar_one())
    found = connection.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).one_or_none()
    if found is None:
        raise _refuse(f"no database role '{role}': create it first (CREATE ROLE {role} LOGIN PASSWORD '...')")
    if role == owner_name:
        raise _refuse(f"'{role}' owns the tables; the app needs a role of its own that owns nothing")
    if found.rolsuper:
        raise _refuse(f"'{role}' is a superuser, which no grant can limit; use an ordinary role")
    if connection.execute(
        text("SELECT pg_has_role(:role, :owner, 'MEMBER')"), {"role": role, "owner": owner_name}
    ).scalar_one():
        raise _refuse(
            f"'{role}' is a member of '{owner_name}', which owns the tables, so it could drop the audit log's "
            f"triggers: REVOKE {owner_name} FROM {role} first"
        )
    if (
        me != owner_name
        and not connection.execute(
            text("SELECT pg_has_role(current_user, :owner, 'MEMBER')"), {"owner": owner_name}
        ).scalar_one()
    ):
        raise _refuse(f"connect as the owner of the tables ('{owner_name}') to grant rights on them")
    tables = list(
        connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY tablename"),
            {"schema": schema_name},
        ).scalars()
    )
    sequences = list(
        connection.execute(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = :schema ORDER BY sequencename"),
            {"schema": schema_name},
        ).scalars()
    )
    quoted_role, schema, owner = (_quote(connection, n) for n in (role, schema_name, owner_name))
    for statement in grant_statements(
        quoted_role,
        schema,
        owner,
        [_quote(connection, t) for t in tables],
        [_quote(connection, s) for s in sequences],
    ):
        connection.execute(text(statement))
    if connection.execute(
        text("SELECT has_schema_privilege(:role, :schema, 'CREATE')"), {"role": role, "schema": schema_name}
    ).scalar_one():
        raise _refuse(
            f"'{role}' may still create tables in schema '{schema_name}' (through PUBLIC): "
            f"REVOKE CREATE ON SCHEMA {schema_name} FROM PUBLIC, then run this again"
        )
    return RuntimeGrant(
        role,
        schema_name,
        tuple(t for t in tables if t not in (*APPEND_ONLY_TABLES, *READ_ONLY_TABLES)),
        tuple(t for t in tables if t in APPEND_ONLY_TABLES),
        tuple(t for t in tables if t in READ_ONLY_TABLES),
    )
