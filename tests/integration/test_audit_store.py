"""The audit log in SQL: appended in the caller's transaction by `publish`/`log_case_event`,
never forked by concurrent writers, never changed — by the triggers on both backends and, on
PostgreSQL, by the services' role itself (deploy/sql/audit_grants.sql)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from domain.audit import heads_digest, verify_chain
from entrypoints.devstack.postgres import PG_ADMIN_DSN, postgres_database
from events.contracts import PersonalDataAccessed
from events.envelope import Envelope
from events.registry import make_envelope
from infra.bootstrap import Deps, bootstrap
from infra.settings import AuditSettings, Settings
from services.auditors.anchors import take_anchor, verify_anchors
from store import audit as store
from store.db import make_sessionmaker
from store.records import log_case_event, publish
from store.schema import audit_anchors, audit_heads, audit_log
from tests.utils.factories import new_case_id, submission

GRANTS = Path(__file__).parents[2] / "deploy" / "sql" / "audit_grants.sql"


@pytest.fixture(params=["sqlite", "postgresql"])
async def deps(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deps]:
    audit = AuditSettings(anchor_file=str(tmp_path / "anchors.jsonl"))
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
        d = await bootstrap(Settings(database_url=url), temporal=False, audit=audit, migrate=True)
        yield d
        await d.close()
        return
    async with postgres_database() as url:
        d = await bootstrap(Settings(database_url=url), temporal=False, audit=audit, migrate=True)
        yield d
        await d.close()


def access(case_id: str, actor: str = "clerk-1") -> Envelope:
    payload = PersonalDataAccessed(actor=actor, role="clerk", fields=["phone"], purpose="test")
    return make_envelope(payload, case_id=case_id, producer="lianban-api")


async def test_publish_appends_masked_and_attributed_once(deps: Deps) -> None:
    env, _ = submission(deps.catalog, "RESTAURANT-OPENING")
    for _ in range(2):  # a redelivery: same event id, written once
        async with deps.sessions() as s, s.begin():
            await publish(s, env, "t.submissions")
    async with deps.sessions() as s, s.begin():
        await log_case_event(s, access(env.case_id), actor="王五", role="operator")
    async with deps.sessions() as s:
        entries = await store.case_entries(s, env.case_id)
    assert [(e.seq, e.event_type) for e in entries] == [
        (1, "ApplicationSubmitted"),
        (2, "PersonalDataAccessed"),
    ]
    applicant = entries[0].data["applicant"]
    assert applicant["id_number"] == "110101********7774" and applicant["phone"] == "138****8000"
    assert (entries[0].actor, entries[0].role) == ("tests", "applicant")
    assert (entries[1].actor, entries[1].role) == ("王五", "operator")  # the caller's identity
    assert verify_chain(env.case_id, entries, (2, entries[1].hash)) == []


async def test_concurrent_appends_to_one_case_never_fork_the_chain(deps: Deps) -> None:
    case_id = new_case_id()

    async def one(i: int) -> None:
        async with deps.sessions() as s, s.begin():
            await log_case_event(s, access(case_id, actor=f"clerk-{i}"))
            await asyncio.sleep(0.01)  # hold the transaction open while others queue

    await asyncio.gather(*(one(i) for i in range(20)))
    async with deps.sessions() as s:
        entries = await store.case_entries(s, case_id)
        head = (await store.heads(s, [case_id]))[case_id]
    assert [e.seq for e in entries] == list(range(1, 21))
    assert verify_chain(case_id, entries, head) == []


async def test_anchors_taken_during_appends_match_the_log(deps: Deps) -> None:
    case_ids = [new_case_id() for _ in range(4)]

    async def appends(case_id: str) -> None:
        for i in range(8):
            async with deps.sessions() as s, s.begin():
                await log_case_event(s, access(case_id, actor=f"clerk-{i}"))

    async def anchors() -> None:
        for _ in range(4):
            await take_anchor(deps)
            await asyncio.sleep(0.01)  # not a wait: lets appends land between anchors

    await asyncio.gather(anchors(), *(appends(c) for c in case_ids))
    async with deps.sessions() as s:
        taken = await store.anchors(s)
        for anchor in taken:  # each one is exactly the log as of its id: nothing in flight
            assert heads_digest(await store.heads_as_of(s, anchor.up_to_id)) == anchor.heads_digest
    assert (await verify_anchors(deps))[1] == []


@pytest.mark.parametrize("statement", ["update", "delete"])
async def test_triggers_refuse_changing_an_entry(deps: Deps, statement: str) -> None:
    case_id = new_case_id()
    async with deps.sessions() as s, s.begin():
        await log_case_event(s, access(case_id))
    change = (
        sa.update(audit_log).values(actor="someone else")
        if statement == "update"
        else sa.delete(audit_log)
    )
    with pytest.raises(DBAPIError, match="append-only"):
        async with deps.sessions() as s, s.begin():
            await s.execute(change.where(audit_log.c.case_id == case_id))


async def test_the_services_role_cannot_change_the_record_on_postgresql() -> None:
    async with postgres_database() as url:
        deps = await bootstrap(
            Settings(database_url=url), temporal=False, migrate=True
        )  # creates the schema
        await deps.close()
        database = url.rsplit("/", 1)[1]
        owner = await asyncpg.connect(PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + database)
        try:
            await owner.execute(GRANTS.read_text())
            await owner.execute(GRANTS.read_text())  # re-runnable
            # Even with the triggers off, the role's own grants refuse it.
            await owner.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        finally:
            await owner.close()
        # Every connection acts as the services' role, as if it had logged in as lianban_app.
        engine = create_async_engine(url, connect_args={"server_settings": {"role": "lianban_app"}})
        try:
            await appends_but_cannot_change(make_sessionmaker(engine))
        finally:
            await engine.dispose()


async def appends_but_cannot_change(sessions: async_sessionmaker[AsyncSession]) -> None:
    case_id = new_case_id()
    async with sessions() as s, s.begin():  # the app's own path works as the role
        await log_case_event(s, access(case_id))
        await log_case_event(s, access(case_id, "clerk-2"))
        who = await s.scalar(sa.text("SELECT current_user"))
    assert who == "lianban_app"
    refused: list[sa.Executable] = [
        sa.update(audit_log).values(actor="x"),
        sa.delete(audit_log),
        sa.text("TRUNCATE audit_log"),
        sa.delete(audit_anchors),
        sa.delete(audit_heads),
    ]
    for statement in refused:
        with pytest.raises(DBAPIError, match="permission denied"):
            async with sessions() as s, s.begin():
                await s.execute(statement)
    async with sessions() as s:
        assert len(await store.case_entries(s, case_id)) == 2
