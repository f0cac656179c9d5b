"""``inst.using(url_or_name)`` / ``repo.using(url_or_name)``: reading another instance.

Two fresh databases per test: ``a`` (the instance we work in) and ``b`` (the other one).
"""

from __future__ import annotations

import asyncio
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

import lamin_registry as lr
from lamin_registry import config, migrate
from lamin_registry.errors import (
    InvalidArgument,
    LaminRegistryError,
    NoWriteAccess,
    SchemaOutOfDate,
)
from lamin_registry.using import ReadOnlyInstance, ReadOnlyRepository
from tests.conftest import fresh_database


@pytest.fixture(scope="module")
def other_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Instance B's database, shared by this module's tests (they only read it)."""
    with fresh_database(backend, tmp_path_factory.mktemp("b")) as url:
        yield url


@pytest.fixture(scope="module")
def a_and_b(
    backend: str, other_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[lr.Instance, lr.Instance]]:
    """Instance A (alice) and instance B (bob creates it; alice is a user there too).

    B holds ``T cell`` and ``B cell`` in space ``all`` and ``secret`` in bob's space ``lab``;
    A holds ``only in A``. Tests read B and never change either (writes are refused).
    """
    with fresh_database(backend, tmp_path_factory.mktemp("a")) as a_url:
        a = lr.connect(a_url, user="alice")
        b = lr.connect(other_url, user="bob")
        with b.session() as bob:
            bob.save([lr.ULabel(name="T cell"), lr.ULabel(name="B cell")])
            lab = bob.save(lr.Space(name="lab"))
            bob.save(lr.ULabel(name="secret", space=lab))
        with b.session(user="alice") as alice_in_b:
            assert alice_in_b.user_id != 1
        with a.session() as alice:
            alice.save(lr.ULabel(name="only in A"))
        try:
            yield a, b
        finally:
            a.close()
            b.close()


def url_of(inst: lr.Instance) -> str:
    return inst.url.render_as_string(hide_password=False)


def names(query: lr.Query[lr.ULabel]) -> list[str]:
    return sorted(query.to_list("name"))


def connections_checked_out(inst: lr.Instance) -> int:
    pool = inst.engine.pool
    return int(getattr(pool, "checkedout", lambda: 0)())


# -- Instance.using --------------------------------------------------------------------------


def test_instance_using_reads_the_other_instance(
    a_and_b: tuple[lr.Instance, lr.Instance], other_url: str
) -> None:
    a, _ = a_and_b
    other = a.using(other_url)
    assert isinstance(other, ReadOnlyInstance) and isinstance(other, lr.Instance)
    assert other.user == "alice" and a.using(other_url) is other  # cached per URL
    with other.session() as reader:
        assert isinstance(reader, ReadOnlyRepository)
        assert reader.user.handle == "alice" and reader.user_id != 1  # alice *there*
        assert names(reader.filter(lr.ULabel)) == ["B cell", "T cell"]  # not bob's space
        assert reader.get(lr.ULabel, name="T cell").name == "T cell"
        assert reader.search(lr.ULabel, "T cel")[0].name == "T cell"
        assert set(reader.to_dataframe(lr.ULabel)["name"]) == {"B cell", "T cell"}
        assert reader.validate(lr.ULabel, ["T cell", "only in A"]).tolist() == [True, False]
        # the sugar delegates to the active (read-only) repository
        assert lr.ULabel.filter(name__endswith="cell").count() == 2
    with a.session() as alice:
        assert names(alice.filter(lr.ULabel)) == ["only in A"]


def test_using_refuses_every_write(
    a_and_b: tuple[lr.Instance, lr.Instance], other_url: str
) -> None:
    a, b = a_and_b
    with a.using(other_url).session() as reader:
        t_cell = reader.get(lr.ULabel, name="T cell")
        attempts = [
            lambda: reader.save(lr.ULabel(name="new")),
            lambda: reader.save([lr.ULabel(name="n1"), lr.ULabel(name="n2")]),
            lambda: reader.delete(t_cell),
            lambda: reader.filter(lr.ULabel).delete(),
            lambda: reader.restore(t_cell),
            lambda: reader.archive(t_cell),
            lambda: reader.grant("alice", 1, "read"),
            lambda: reader.revoke("alice", 1),
            lambda: reader.create_branch("x"),
            lambda: reader.merge_branch("main"),
            lambda: reader.set_abbr(t_cell, "T"),
            lambda: reader.get_or_create_feature_value(None, 1),
            lambda: lr.ULabel(name="via sugar").save(),
        ]
        for attempt in attempts:
            with pytest.raises(NoWriteAccess, match="read-only"):
                attempt()
        with pytest.raises(NoWriteAccess, match="read-only"):
            reader.track(lr.Transform(key="x"))
        t_cell.name = "renamed"
        with pytest.raises(NoWriteAccess, match="read-only"):
            reader.session.flush()  # a plain session write is refused too
        reader.session.rollback()
        reader.session.add(lr.ULabel(name="added"))
        with pytest.raises(NoWriteAccess):
            reader.session.commit()
    with b.session() as bob:
        assert names(bob.filter(lr.ULabel, space_id=1)) == ["B cell", "T cell"]
        assert bob.filter(lr.Branch).count() == 5


def test_database_itself_refuses_writes(
    a_and_b: tuple[lr.Instance, lr.Instance], other_url: str
) -> None:
    """Below the ORM guard: the read connections cannot write (raw SQL included)."""
    a, b = a_and_b
    engine = a.using(other_url).engine
    with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError):
        connection.exec_driver_sql("DELETE FROM lamindb_ulabel")
    with b.session() as bob:
        assert bob.filter(lr.ULabel, branch_id=None).count() == 3


def test_unknown_handle_reads_as_an_unregistered_user(
    a_and_b: tuple[lr.Instance, lr.Instance], other_url: str
) -> None:
    a, b = a_and_b
    shared = a.using(other_url)
    with a.session(user="zed") as zed:
        with zed.using(other_url) as reader:
            assert reader.user.handle == "zed" and reader.user_id == 0
            assert names(reader.filter(lr.ULabel)) == ["B cell", "T cell"]
        assert zed.using(other_url).filter(lr.ULabel, name="secret").count() == 0
    with b.session() as bob:
        assert bob.filter(lr.User, handle="zed").count() == 0  # not registered there
    assert a.using(other_url) is shared and shared.user == "alice"  # zed only borrowed it


def test_owner_reads_their_spaces_there(fresh_url: str, backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as other_url:
        check_owner_reads_their_spaces(fresh_url, other_url)


def check_owner_reads_their_spaces(fresh_url: str, other_url: str) -> None:
    b = lr.connect(other_url, user="bob")
    with b.session() as bob:
        lab = bob.save(lr.Space(name="lab"))
        bob.save(lr.ULabel(name="secret", space=lab))
    b.close()
    a = lr.connect(fresh_url, user="bob")  # bob has a handle in both instances
    try:
        with a.session() as bob_in_a:
            assert bob_in_a.using(other_url).get(lr.ULabel, name="secret").space_id == lab.id
    finally:
        a.close()


# -- Repository.using ----------------------------------------------------------------------


def test_repository_using_and_session_lifetime(
    a_and_b: tuple[lr.Instance, lr.Instance], other_url: str
) -> None:
    a, _ = a_and_b
    with a.session() as alice:
        reader = alice.using(other_url)
        assert reader is alice.using(other_url)  # one per URL per session
        assert alice.using(other_url).session is not alice.session
        t_cell = reader.get(lr.ULabel, name="T cell")
        assert t_cell.type is None  # relationships load while the block is open
        assert names(alice.filter(lr.ULabel)) == ["only in A"]  # this instance is unchanged
        shared = a.using(other_url)
        assert connections_checked_out(shared) == 1
    assert connections_checked_out(shared) == 0  # closed with alice's transaction
    assert t_cell.name == "T cell"  # still loaded, now detached
    assert a.using(other_url) is shared
    a.close()
    assert a._using == {}
    with a.session() as alice:  # a closed instance reconnects on use
        assert alice.using(other_url).filter(lr.ULabel).count() == 2


def test_records_from_another_instance_cannot_be_attached(
    a_and_b: tuple[lr.Instance, lr.Instance], other_url: str
) -> None:
    a, _ = a_and_b
    with a.session() as alice:
        foreign = alice.using(other_url).get(lr.ULabel, name="T cell")
        mine = alice.get(lr.ULabel, name="only in A")
        for attempt in (  # still attached to the read session
            lambda: alice.save(foreign),
            lambda: alice.delete(foreign),
            lambda: alice.archive(foreign),
            lambda: alice.save(lr.ULabel(name="child", parents=[foreign])),
        ):
            with pytest.raises(InvalidArgument, match="using"):
                attempt()
    with a.session() as alice:
        foreign.name = "edited"
        for attempt in (
            lambda: alice.save(foreign),
            lambda: alice.refresh(foreign),
            lambda: alice.session.add(foreign),
            lambda: alice.delete(foreign),
            lambda: alice.delete(foreign, permanent=True),
            lambda: alice.restore(foreign),
            lambda: alice.archive(foreign),
            # its id would name a row of this database: a wrong or dangling type
            lambda: alice.save(lr.ULabel(name="child", parents=[foreign])),
            lambda: alice.save([lr.ULabel(name=f"child {i}", parents=[foreign]) for i in range(3)]),
        ):
            with pytest.raises(InvalidArgument, match="using"):
                attempt()
        mine = alice.get(lr.ULabel, mine.id)
        with pytest.raises(InvalidArgument, match="using"):
            mine.parents.append(foreign)  # the relationship cascade would attach it
            alice.session.flush()
    with a.session() as alice:
        assert names(alice.filter(lr.ULabel)) == ["only in A"]
        assert alice.get(lr.ULabel, name="only in A").type_id is None


def test_bare_repository_shares_a_process_cache(
    a_and_b: tuple[lr.Instance, lr.Instance], other_url: str
) -> None:
    from lamin_registry import using

    a, _ = a_and_b
    with a.engine.connect() as connection:
        session = sa.orm.Session(bind=connection)
        repo = lr.Repository(session, user="alice")
        assert names(repo.using(other_url).filter(lr.ULabel)) == ["B cell", "T cell"]
        assert len(using._shared) == 1
        session.close()
    using.close_shared()
    assert using._shared == {}


# -- names ----------------------------------------------------------------------------------


def test_using_a_name_from_the_environment(
    a_and_b: tuple[lr.Instance, lr.Instance], other_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = a_and_b
    monkeypatch.setenv("LAMIN_REGISTRY_INSTANCE_MY_LAB", other_url)
    monkeypatch.setenv(config.CONFIG_ENV, "")
    with a.session() as alice:
        assert names(alice.using("my-lab").filter(lr.ULabel)) == ["B cell", "T cell"]
        assert alice.using("MY_LAB") is alice.using("my-lab")
    assert a.using("my-lab") is a.using(other_url)  # names and URLs share the engine


def test_using_a_name_from_the_config_file(
    a_and_b: tuple[lr.Instance, lr.Instance],
    other_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, _ = a_and_b
    path = tmp_path / "instances.toml"
    path.write_text(f'[instances]\nlab = "{other_url}"\nhome = "{url_of(a)}"\n')
    monkeypatch.setenv(config.CONFIG_ENV, str(path))
    with a.using("lab").session() as reader:
        assert names(reader.filter(lr.ULabel)) == ["B cell", "T cell"]
    with a.using("home").session() as reader:  # the env variable would win over the file
        assert names(reader.filter(lr.ULabel)) == ["only in A"]
    monkeypatch.setenv("LAMIN_REGISTRY_INSTANCE_HOME", other_url)
    with a.using("home").session() as reader:
        assert names(reader.filter(lr.ULabel)) == ["B cell", "T cell"]


def test_unknown_name_lists_the_known_ones(
    a_and_b: tuple[lr.Instance, lr.Instance], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = a_and_b
    path = tmp_path / "instances.toml"
    path.write_text('[instances]\nlab = "sqlite:///lab.db"\n')
    monkeypatch.setenv(config.CONFIG_ENV, str(path))
    monkeypatch.setenv("LAMIN_REGISTRY_INSTANCE_PROD", "sqlite:///prod.db")
    with pytest.raises(InvalidArgument, match=r"known: lab, prod") as raised:
        a.using("staging")
    assert "LAMIN_REGISTRY_INSTANCE_STAGING" in str(raised.value)
    assert str(path) in str(raised.value)
    with a.session() as alice, pytest.raises(InvalidArgument, match="staging"):
        alice.using("staging")
    monkeypatch.setenv(config.CONFIG_ENV, str(tmp_path / "missing.toml"))
    with pytest.raises(InvalidArgument, match="not a file"):
        a.using("lab")
    path.write_text("[instances\n")
    monkeypatch.setenv(config.CONFIG_ENV, str(path))
    with pytest.raises(InvalidArgument, match="Cannot read"):
        a.using("lab")


# -- what using() will not open ---------------------------------------------------------------


def test_using_never_migrates(
    a_and_b: tuple[lr.Instance, lr.Instance], backend: str, tmp_path: Path
) -> None:
    a, _ = a_and_b
    with fresh_database(backend, tmp_path) as old:
        migrate.upgrade(old, revision="0001_baseline")
        with pytest.raises(SchemaOutOfDate, match="never upgrades"):
            a.using(old)
        assert migrate.current(old) == "0001_baseline"
    with fresh_database(backend, tmp_path) as empty:
        if backend == "postgresql":
            with pytest.raises(SchemaOutOfDate, match="no lamin_registry schema"):
                a.using(empty)
        else:
            with pytest.raises(InvalidArgument, match="No SQLite database"):
                a.using(empty)
            assert not Path(sa.make_url(empty).database or "").exists()  # not created
        assert not any(key.endswith(sa.make_url(empty).database or "") for key in a._using)


@pytest.mark.parametrize("bad", ["", "mysql://u@h/db", "postgresql+nodriver://u@h/db"])
def test_bad_urls(a_and_b: tuple[lr.Instance, lr.Instance], bad: str) -> None:
    a, _ = a_and_b
    with pytest.raises(InvalidArgument):
        a.using(bad)


def test_unreachable_instance(a_and_b: tuple[lr.Instance, lr.Instance]) -> None:
    a, _ = a_and_b
    with pytest.raises(InvalidArgument, match="Cannot connect"):
        a.using("postgresql+psycopg://nobody:pw@127.0.0.1:1/none")


# -- async ------------------------------------------------------------------------------------


def test_async_instance_using(a_and_b: tuple[lr.Instance, lr.Instance], other_url: str) -> None:
    a, _ = a_and_b

    async def main() -> list[str]:
        inst = await lr.connect_async(url_of(a), user="alice")
        try:
            other = await inst.using(other_url)
            assert await inst.using(other_url) is other
            async with other.session() as reader:
                with pytest.raises(NoWriteAccess, match="read-only"):
                    await reader.save(lr.ULabel(name="x"))
                async with inst.session() as arepo:
                    via_repo = await arepo.using(other_url)
                    assert await arepo.using(other_url) is via_repo
                    assert await via_repo.filter(lr.ULabel).count() == 2
                return sorted(await reader.filter(lr.ULabel).to_list("name"))
        finally:
            await inst.close()
            assert inst._using == {}

    assert asyncio.run(main()) == ["B cell", "T cell"]


# -- name rules (no database) --------------------------------------------------------------------

NAMES = st.text(alphabet=string.ascii_letters + string.digits + "-_. ", min_size=1, max_size=20)


@given(name=NAMES)
def test_env_name_is_a_valid_variable_and_case_insensitive(name: str) -> None:
    variable = config.env_name(name)
    assert variable.startswith(config.INSTANCE_ENV_PREFIX)
    suffix = variable.removeprefix(config.INSTANCE_ENV_PREFIX)
    assert len(suffix) == len(name) and set(suffix) <= set(
        string.ascii_uppercase + string.digits + "_"
    )
    assert config.env_name(name.lower()) == config.env_name(name.upper()) == variable


@given(name=NAMES, url=st.sampled_from(["sqlite:///a.db", "postgresql://u@h/db"]))
def test_resolution_rules(name: str, url: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in __import__("os").environ if k.startswith("LAMIN_REGISTRY_")]:
            patch.delenv(key)
        patch.setenv(config.CONFIG_ENV, "")
        with pytest.raises(InvalidArgument, match="Unknown instance"):
            config.resolve(name)
        patch.setenv(config.env_name(name), url)
        assert config.resolve(name) == url
        assert config.resolve(name.swapcase()) == url
        assert config.resolve(url) == url  # a URL is never looked up as a name
        assert config.resolve(None) == config.default_url()


def test_resolve_rejects_non_strings() -> None:
    for bad in ("", 3, b"sqlite://"):
        with pytest.raises(LaminRegistryError):
            config.resolve(bad)  # type: ignore[arg-type]
