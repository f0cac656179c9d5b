"""``lr.connect_async``: the async repository has the sync API's behaviour, as coroutines.

Each test is a plain sync test that drives one coroutine with ``asyncio.run`` (no event-loop
plugin needed); every test connects to a fresh database of each backend.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import numpy as np
import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry import aio
from lamin_registry.errors import (
    DoesNotExist,
    IntegrityError,
    InvalidArgument,
    NoActiveSession,
    NoWriteAccess,
    SchemaOutOfDate,
)

T = TypeVar("T")


def run_with(url: str, body: Callable[[aio.AsyncInstance], Awaitable[T]], **kwargs: Any) -> T:
    """Connect asynchronously to ``url``, run ``body(inst)``, always close the instance."""

    async def main() -> T:
        inst = await lr.connect_async(url, user="alice", **kwargs)
        try:
            return await body(inst)
        finally:
            await inst.close()

    return asyncio.run(main())


def count_labels(url: str) -> int:
    """The number of ULabel rows, read through a sync connection (what really got stored)."""
    engine = sa.create_engine(aio.sync_url(url))
    try:
        with engine.connect() as connection:
            return int(connection.scalar(sa.select(sa.func.count()).select_from(lr.ULabel)) or 0)
    finally:
        engine.dispose()


# -- URLs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+pysqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_async_url(backend: str, url: str, expected: str) -> None:
    assert aio.async_url(url).render_as_string(hide_password=False) == expected
    assert aio.sync_url(expected).get_backend_name() == aio.sync_url(url).get_backend_name()


@pytest.mark.parametrize("url", ["mysql://u@h/db", "sqlite+pysqlcipher:///x.db", "not a url"])
def test_async_url_rejects_what_it_cannot_map(backend: str, url: str) -> None:
    with pytest.raises(InvalidArgument):
        aio.async_url(url)


# -- connecting and sessions -----------------------------------------------------------------------


def test_connect_async_migrates_and_seeds(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        assert inst.url.drivername in ("sqlite+aiosqlite", "postgresql+psycopg")
        assert "alice" in repr(inst)
        async with inst.session() as arepo:
            branches = await arepo.filter(lr.Branch).order_by("id").to_list("name")
            assert branches == ["trash", "archive", "main", "locked", "template"]
            assert (await arepo.get(lr.Space, 1)).name == "all"
            assert arepo.user.handle == "alice" and arepo.user_id == 1
            assert arepo.dialect == inst.engine.dialect.name
            assert arepo.current_branch_id == 1

    run_with(fresh_url, body)
    from lamin_registry import migrate

    assert migrate.current(aio.sync_url(fresh_url)) == migrate.head()
    run_with(fresh_url, body, migrate=False)  # already at head: no error


def test_connect_async_migrate_false_on_an_old_schema(fresh_url: str) -> None:
    from lamin_registry import migrate

    migrate.upgrade(aio.sync_url(fresh_url), revision="0001")
    with pytest.raises(SchemaOutOfDate, match="lamin-registry upgrade"):
        run_with(fresh_url, lambda inst: asyncio.sleep(0), migrate=False)


def test_connect_async_unreachable_database(backend: str) -> None:
    url = (
        "sqlite:////nonexistent-dir/x.db"
        if backend == "sqlite"
        else "postgresql+psycopg://nobody:pw@127.0.0.1:1/none"
    )
    with pytest.raises(InvalidArgument, match="Cannot connect"):
        asyncio.run(lr.connect_async(url))


def test_session_commits_on_success_and_rolls_back_on_error(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        async with inst.session() as arepo:
            await arepo.save(lr.ULabel(name="kept"))
        with pytest.raises(ValueError, match="boom"):
            async with inst.session() as arepo:
                await arepo.save(lr.ULabel(name="dropped"))
                assert await arepo.filter(lr.ULabel).count() == 2
                raise ValueError("boom")
        async with inst.session() as arepo:
            assert await arepo.filter(lr.ULabel).to_list("name") == ["kept"]

    run_with(fresh_url, body)
    assert count_labels(fresh_url) == 1


def test_commit_failure_is_translated(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        async with inst.session() as arepo:
            uid = (await arepo.save(lr.ULabel(name="first"))).uid
        with pytest.raises(IntegrityError, match="uid"):
            async with inst.session() as arepo:
                await arepo.save(lr.ULabel(name="second", uid=uid))

    run_with(fresh_url, body)
    assert count_labels(fresh_url) == 1


def test_session_as_another_user_registers_them(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        async with inst.session(user="bob") as bob:
            label = await bob.save(lr.ULabel(name="by bob"))
            assert bob.user.handle == "bob" and label.created_by_id == bob.user_id != 1
        async with inst.session() as alice:
            assert (await alice.get(lr.User, handle="bob")).id == label.created_by_id

    run_with(fresh_url, body)


# -- the repository API ----------------------------------------------------------------------------


def test_save_get_filter_exclude_count_first_all(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        async with inst.session() as arepo:
            kind = await arepo.save(lr.ULabel(name="CellType", is_type=True))
            t_cell = await arepo.save(lr.ULabel(name="T cell", type=kind))
            bulk = await arepo.save(lr.ULabel(name=f"cell {i}", type=kind) for i in range(5))
            assert isinstance(bulk, list) and all(b.id is not None for b in bulk)
            again = await arepo.save(lr.ULabel(name="T cell", type=kind))  # idempotent
            assert again is t_cell
            assert await arepo.get(lr.ULabel, t_cell.id) is t_cell
            assert await arepo.get(lr.ULabel, t_cell.uid[:5]) is t_cell
            assert await arepo.get(lr.ULabel, name="T cell") is t_cell
            with pytest.raises(DoesNotExist):
                await arepo.get(lr.ULabel, name="missing")
            with pytest.raises(InvalidArgument, match="nme"):
                arepo.filter(lr.ULabel, nme="x")  # building validates, without I/O
            query = arepo.filter(lr.ULabel, type=kind)
            assert await query.count() == 6
            assert await query.exists()
            assert (await query.order_by("-name").first()) is bulk[4]
            assert await arepo.exclude(lr.ULabel, name__startswith="cell").to_list("name") == [
                "CellType",
                "T cell",
            ]
            names = await query.filter(name__startswith="cell").order_by("-name").limit(2).all()
            assert [label.name for label in names] == ["cell 4", "cell 3"]
            assert await query.filter(name="T cell").one() is t_cell
            assert await query.filter(name="nope").one_or_none() is None
            assert await arepo.filter(lr.ULabel, type__name="CellType").count() == 6
            frame = await arepo.to_dataframe(lr.ULabel, limit=None)
            assert len(frame) == 7 and set(frame["name"]) >= {"T cell", "CellType"}
            assert len(await query.to_dataframe(limit=3)) == 3

    run_with(fresh_url, body)


def test_curation(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        async with inst.session() as arepo:
            t_cell = await arepo.save(lr.Feature(name="T cell", dtype="str"))
            await arepo.save(lr.Feature(name="B cell", dtype="str"))
            await arepo.add_synonym(t_cell, "T lymphocyte")
            assert "T lymphocyte" in (t_cell.synonyms or "")
            result = await arepo.search(lr.Feature, "t lymphocyte")
            assert result[0] is t_cell and result.scores[0] == 100
            assert (await arepo.filter(lr.Feature).search("B cel"))[0].name == "B cell"
            valid = await arepo.validate(lr.Feature, ["T cell", "x"])
            assert isinstance(valid, np.ndarray) and valid.tolist() == [True, False]
            inspected = await arepo.inspect(lr.Feature, ["T cell", "T lymphocyte", "x"], mute=True)
            assert inspected.validated == ["T cell"]
            assert inspected.synonyms_mapper == {"T lymphocyte": "T cell"}
            standardized = await arepo.standardize(lr.Feature, ["t cell", "T lymphocyte", "x"])
            assert standardized == ["T cell", "T cell", "x"]
            in_query = await arepo.filter(lr.Feature, name__startswith="B").validate(["B cell"])
            assert in_query.tolist() == [True]
            labels = await arepo.save([lr.ULabel(name="T cell"), lr.ULabel(name="B cell")])
            records = await arepo.from_values(lr.ULabel, ["T cell", "new one"], create=True)
            assert records[0] is labels[0] and records[1].id is None
            assert records[1].name == "new one"
            lookup = await arepo.lookup(lr.ULabel)
            assert lookup.t_cell is labels[0]
            await arepo.remove_synonym(t_cell, "T lymphocyte")
            assert await arepo.standardize(lr.Feature, ["T lymphocyte"]) == ["T lymphocyte"]

    run_with(fresh_url, body)


def test_delete_restore_archive(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        async with inst.session() as arepo:
            label = await arepo.save(lr.ULabel(name="x"))
            await arepo.delete(label)
            assert label.branch_id == -1 and await arepo.filter(lr.ULabel).count() == 0
            await arepo.restore(label)
            assert label.branch_id == 1
            await arepo.archive(label)
            assert label.branch_id == 0
            label.name = "edited"
            with pytest.raises(NoWriteAccess, match="archived"):
                await arepo.save(label)
            await arepo.refresh(label)
            assert label.name == "x"
            await arepo.restore(arepo.filter(lr.ULabel, branch_id=0))
            others = await arepo.save([lr.ULabel(name=f"y{i}") for i in range(3)])
            await arepo.filter(lr.ULabel, name__startswith="y").delete()
            assert await arepo.filter(lr.ULabel).to_list("name") == ["x"]
            await arepo.delete(arepo.filter(lr.ULabel, branch_id=-1), permanent=True)
            assert await arepo.filter(lr.ULabel, branch_id=None).count() == 1
            assert others[0].id is not None
            with pytest.raises(InvalidArgument, match="permanent"):
                await arepo.delete(await arepo.get(lr.Space, 1))

    run_with(fresh_url, body)
    assert count_labels(fresh_url) == 1


def test_track_completed_and_errored(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        async with inst.session() as arepo:
            transform = await arepo.save(lr.Transform(key="pipeline.py"))
            async with arepo.track(transform) as run:
                assert run.status == "started"
                label = await arepo.save(lr.ULabel(name="made in run"))
                bulk = await arepo.save([lr.ULabel(name=f"bulk {i}") for i in range(3)])
            assert run.status == "completed" and run.finished_at is not None
            assert label.run_id == run.id and all(b.run_id == run.id for b in bulk)
            assert (await arepo.save(lr.ULabel(name="after"))).run_id is None
            with pytest.raises(ValueError, match="boom"):
                async with arepo.track(transform) as failed:
                    raise ValueError("boom")
            assert failed.status == "errored"
            assert (await arepo.filter(lr.Run, status="errored").one()) is failed

    run_with(fresh_url, body)


def test_errored_run_outlives_the_rollback(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        new_transform = lr.Transform(key="fails.py")
        with pytest.raises(RuntimeError, match="boom"):
            async with inst.session(user="dora") as dora, dora.track(new_transform) as run:
                await dora.save(lr.ULabel(name="discarded"))
                raise RuntimeError("boom")
        async with inst.session() as alice:
            assert await alice.filter(lr.ULabel, name="discarded").count() == 0
            stored = await alice.get(lr.Run, run.uid)
            assert stored.status == "errored" and stored.aux == {"error": "RuntimeError: boom"}
            assert (await alice.get(lr.Transform, key="fails.py")).uid == new_transform.uid

    run_with(fresh_url, body)


def test_grant_and_no_write_access_as_another_user(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        async with inst.session(user="bob") as bob:
            assert bob.user.handle == "bob"  # registered (committed) before the grants
        async with inst.session() as alice:
            lab = await alice.save(lr.Space(name="lab"))
            await alice.save(lr.ULabel(name="secret", space=lab))
        with pytest.raises(NoWriteAccess, match="space 'lab'"):
            async with inst.session(user="bob") as bob:
                assert await bob.filter(lr.ULabel).count() == 0  # cannot read lab
                await bob.save(lr.ULabel(name="intruder", space_id=lab.id))
        with pytest.raises(NoWriteAccess, match="admin"):
            async with inst.session(user="bob") as bob:
                await bob.grant("bob", lab.id, "write")
        async with inst.session() as alice:
            await alice.grant("bob", lab.id, "write")
        async with inst.session(user="bob") as bob:
            assert await bob.filter(lr.ULabel).to_list("name") == ["secret"]
            await bob.save(lr.ULabel(name="allowed", space_id=lab.id))
        async with inst.session() as alice:
            await alice.revoke("bob", lab.id)
        async with inst.session(user="bob") as bob:
            assert await bob.filter(lr.ULabel).count() == 0

    run_with(fresh_url, body)
    assert count_labels(fresh_url) == 2


def test_named_branches(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        async with inst.session() as arepo:
            await arepo.save(lr.ULabel(name="on main"))
            branch = await arepo.create_branch("experiment")
            assert branch.id > 3
            await arepo.switch_branch("experiment")
            assert arepo.current_branch_id == branch.id
            draft = await lr.ULabel(name="on branch").asave()
            assert draft.branch_id == branch.id
        async with inst.session(user="carol") as other:
            assert await other.filter(lr.ULabel).to_list("name") == ["on main"]
        async with inst.session() as arepo:
            assert (await arepo.merge_branch("experiment")).status == "merged"  # into main
        async with inst.session(user="carol") as other:
            names = await other.filter(lr.ULabel).order_by("name").to_list("name")
            assert names == ["on branch", "on main"]

    run_with(fresh_url, body)


def test_feature_values(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        async with inst.session() as arepo:
            feature = await arepo.save(lr.Feature(name="n", dtype="int"))
            value, existed = await arepo.get_or_create_feature_value(feature, 3)
            assert not existed and value.value == 3
            again, existed = await arepo.get_or_create_feature_value(feature, 3)
            assert existed and again is value

    run_with(fresh_url, body)


# -- record-level sugar ---------------------------------------------------------------------------


def test_record_async_methods_use_the_active_async_repository(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        label = lr.ULabel(name="T cell")
        with pytest.raises(NoActiveSession, match="connect_async"):
            await label.asave()
        with pytest.raises(NoActiveSession):
            await label.adelete()
        with pytest.raises(NoActiveSession):
            await label.arefresh_from_db()
        assert aio.current_async_repository() is None
        async with inst.session() as arepo:
            assert aio.active_async_repository() is arepo
            stored = await label.asave()
            assert stored is label and label.id is not None
            assert (await lr.ULabel(name="T cell").asave()) is label  # idempotent
            label.name = "changed in memory"
            await label.arefresh_from_db()
            assert label.name == "T cell"
            await label.adelete()
            assert label.branch_id == -1
            await label.adelete(permanent=True)
            assert await arepo.filter(lr.ULabel, branch_id=None).count() == 0
        assert aio.current_async_repository() is None

    run_with(fresh_url, body)


def test_wrapping_a_host_async_session(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        from sqlalchemy.ext.asyncio import AsyncSession

        async with AsyncSession(inst.engine, expire_on_commit=False) as session:
            arepo = await aio.AsyncRepository.open(session, user="dora")
            async with arepo:
                await lr.ULabel(name="hosted").asave()
            await session.commit()  # the host commits, not the repository
        async with inst.session() as alice:
            label = await alice.get(lr.ULabel, name="hosted")
            assert (await alice.get(lr.User, label.created_by_id)).handle == "dora"
        with pytest.raises(InvalidArgument, match="AsyncSession"):
            await aio.AsyncRepository.open(object(), user="x")  # type: ignore[arg-type]

    run_with(fresh_url, body)


# -- AsyncQuery ------------------------------------------------------------------------------------


def test_async_iteration_and_sync_protocols_refused(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        async with inst.session() as arepo:
            await arepo.save([lr.ULabel(name=f"l{i}") for i in range(3)])
            query = arepo.filter(lr.ULabel).order_by("name")
            assert [label.name async for label in query] == ["l0", "l1", "l2"]
            assert query.model is lr.ULabel and "ULabel" in repr(query)
            with pytest.raises(TypeError, match="async for"):
                iter(query)
            with pytest.raises(TypeError, match="async for"):
                list(query)  # type: ignore[call-overload]
            with pytest.raises(TypeError, match="count"):
                len(query)

    run_with(fresh_url, body)


def test_relationships_load_through_refresh_or_run_sync(fresh_url: str) -> None:
    async def body(inst: aio.AsyncInstance) -> None:
        async with inst.session() as arepo:
            kind = await arepo.save(lr.ULabel(name="Kind", is_type=True))
            await arepo.save([lr.ULabel(name=f"member {i}", type=kind) for i in range(2)])
        async with inst.session() as arepo:
            kind = await arepo.get(lr.ULabel, name="Kind")
            names = await arepo.run_sync(lambda repo: sorted(x.name for x in kind.ulabels))
            assert names == ["member 0", "member 1"]
            # inside run_sync the sync sugar delegates to the same session
            assert await arepo.run_sync(lambda repo: lr.ULabel.filter().count()) == 3
            member = await arepo.get(lr.ULabel, name="member 0")
            await arepo.refresh(member, ["type"])
            assert member.type is kind

    run_with(fresh_url, body)


# -- concurrency -----------------------------------------------------------------------------------


def test_concurrent_sessions_write_without_corruption(fresh_url: str) -> None:
    async def writer(inst: aio.AsyncInstance, prefix: str) -> None:
        for batch in range(3):
            async with inst.session() as arepo:
                await arepo.save(lr.ULabel(name=f"{prefix} {batch} single"))
                await asyncio.sleep(0)  # let the other writer interleave
                await arepo.save([lr.ULabel(name=f"{prefix} {batch} {i}") for i in range(5)])

    async def body(inst: aio.AsyncInstance) -> None:
        await asyncio.gather(writer(inst, "a"), writer(inst, "b"), writer(inst, "c"))
        async with inst.session() as arepo:
            names = await arepo.filter(lr.ULabel).to_list("name")
            assert len(names) == len(set(names)) == 3 * 3 * 6

    run_with(fresh_url, body)
    assert count_labels(fresh_url) == 54
