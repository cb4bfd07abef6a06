"""Security review finding 11 (PostgreSQL): the app's own database role cannot empty the audit log.

The owner role runs the migrations and owns the tables; the app runs as a
runtime role given exactly what it needs by ``b1mg-maturity db grant-runtime``:
read and write the data tables, only add to and read the audit log.  So the
app's role can neither TRUNCATE, UPDATE nor DELETE the audit log, nor drop or
disable its triggers, nor change the schema.  Tested on the real server as the
runtime role (the test server trusts loopback connections, so no passwords).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from b1mg_maturity.cli import app
from b1mg_maturity.cli.database import operator_services
from b1mg_maturity.errors import StorageFailed
from b1mg_maturity.services import Services
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.migrate import alembic_config, upgrade_to_head
from b1mg_maturity.storage.models import AuditEntry
from tests.integration.world import PASSWORD, build_world
from tests.pg_server import create_database, drop_database

pytestmark = pytest.mark.postgres

runner = CliRunner()


@dataclass(frozen=True)
class Roles:
    owner_url: str
    runtime_url: str
    runtime: str


def _run(url: str, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def roles(postgres_admin_url: str) -> Iterator[Roles]:
    """A database owned by an owner role and migrated by it, and a runtime role that has no rights yet."""
    suffix = uuid.uuid4().hex[:10]
    name, owner, runtime = f"roles_{suffix}", f"owner_{suffix}", f"app_{suffix}"
    url = create_database(postgres_admin_url, name)
    _run(
        postgres_admin_url,
        f"CREATE ROLE {owner} LOGIN",
        f"CREATE ROLE {runtime} LOGIN",
        f"ALTER DATABASE {name} OWNER TO {owner}",
    )
    owner_url = make_url(url).set(username=owner).render_as_string(hide_password=False)
    runtime_url = make_url(url).set(username=runtime).render_as_string(hide_password=False)
    upgrade_to_head(owner_url)
    try:
        yield Roles(owner_url, runtime_url, runtime)
    finally:
        drop_database(postgres_admin_url, name)
        _run(postgres_admin_url, f"DROP OWNED BY {runtime}", f"DROP ROLE {runtime}", f"DROP ROLE {owner}")


def _grant(roles: Roles) -> str:
    result = runner.invoke(app, ["db", "grant-runtime", roles.runtime, "--database-url", roles.owner_url])
    assert result.exit_code == 0, result.output
    return result.stdout


REFUSED_TO_THE_APP = {
    "empty the audit log": "TRUNCATE audit_log",
    "change an audit entry": "UPDATE audit_log SET action = 'nothing happened'",
    "delete audit entries": "DELETE FROM audit_log",
    "drop the audit trigger": "DROP TRIGGER audit_log_append_only ON audit_log",
    "disable the audit trigger": "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "drop the audit log": "DROP TABLE audit_log",
    "create a table": "CREATE TABLE scratch (id integer)",
    "empty the ratings": "TRUNCATE ratings",
    "move the schema version": "UPDATE alembic_version SET version_num = '0001'",
}


def test_runtime_role_cannot_touch_the_audit_log_or_the_schema(roles: Roles) -> None:
    _grant(roles)
    world = build_world(Services(Database(roles.runtime_url)))  # the app's everyday work, as the runtime role
    services = world.services
    entries = services.count(AuditEntry)
    assert entries > 0
    allowed = []
    engine = create_engine(roles.runtime_url, poolclass=NullPool)
    try:
        for what, statement in REFUSED_TO_THE_APP.items():
            try:
                with engine.begin() as connection:
                    connection.execute(text(statement))
            except ProgrammingError as exc:
                assert "permission denied" in str(exc) or "must be owner" in str(exc), exc
                continue
            allowed.append(what)
    finally:
        engine.dispose()
    assert allowed == [], f"the app's role could still: {', '.join(allowed)}"
    assert services.count(AuditEntry) == entries


def test_everyday_use_works_as_the_runtime_role(roles: Roles) -> None:
    _grant(roles)
    services = operator_services(roles.runtime_url)  # opening checks the schema version, as the app does
    world = build_world(Services(services.db))
    round_id, coordinator, expert = world.rounds["DE"], world.id("coordinator-de"), world.id("expert-de")
    assert services.sign_in("expert-de", PASSWORD) == expert
    services.rate(expert, round_id, "D1.1.1", level=3, evidence="minutes", expected_version=0)
    services.set_consensus(coordinator, round_id, "D1.1.1", level=3, rationale="agreed", expected_version=0)
    services.set_target(coordinator, round_id, "D1.1.1", target=4, expected_version=0)
    services.revoke(world.id("admin"), "viewer-de", "DE", "viewer")
    services.start_review(coordinator, round_id)
    services.submit(coordinator, round_id)
    services.publish(world.id("admin"), round_id)
    services.reopen(world.id("admin"), round_id, "typo in the rationale")
    assert services.round_scores(coordinator, round_id).basis["D1.1.1"] == "consensus"
    assert next(e.action for e in services.audit_log(world.id("admin"), round_id=round_id)) == "status_in_review"
    other = services.open_round(coordinator, "DE", "Next", dt.date(2027, 1, 1), copy_from_round_id=round_id)
    assert services.consensus_of(coordinator, other.id)["D1.1.1"].level == 3


def test_grant_is_repeatable_and_refuses_roles_that_own_the_tables(roles: Roles, postgres_admin_url: str) -> None:
    first, second = _grant(roles), _grant(roles)
    assert roles.runtime in first and first == second
    owner = make_url(roles.owner_url).username
    assert owner is not None
    as_owner = runner.invoke(app, ["db", "grant-runtime", owner, "--database-url", roles.owner_url])
    assert as_owner.exit_code == 2 and "owns" in as_owner.stderr, as_owner.output
    _run(postgres_admin_url, f"GRANT {owner} TO {roles.runtime}")
    member = runner.invoke(app, ["db", "grant-runtime", roles.runtime, "--database-url", roles.owner_url])
    assert member.exit_code == 2 and "member of" in member.stderr, member.output
    missing = runner.invoke(app, ["db", "grant-runtime", "no_such_role", "--database-url", roles.owner_url])
    assert missing.exit_code == 2 and "no database role 'no_such_role'" in missing.stderr, missing.output


def test_a_pending_upgrade_as_the_runtime_role_is_explained(roles: Roles) -> None:
    _grant(roles)
    owner_engine = create_engine(roles.owner_url, poolclass=NullPool)
    try:
        with owner_engine.begin() as connection:
            config = alembic_config(roles.owner_url)
            config.attributes["connection"] = connection
            command.downgrade(config, "-1")
    finally:
        owner_engine.dispose()
    with pytest.raises(StorageFailed) as caught:
        upgrade_to_head(roles.runtime_url)
    assert "db upgrade" in caught.value.message and "owner" in caught.value.message
    upgraded = runner.invoke(app, ["db", "upgrade", "--database-url", roles.owner_url])
    assert upgraded.exit_code == 0, upgraded.output
    _grant(roles)
    upgrade_to_head(roles.runtime_url)  # at the newest schema: nothing to do, allowed
