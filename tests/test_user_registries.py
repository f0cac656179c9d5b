"""User-defined registries (issue 5): a subclass of ``lr.SQLRecord`` gets the whole API.

``myapp.models`` (next to this file) defines ``Study`` (``lr.SQLRecord`` + mixins, explicit
table name) and ``Protocol`` (``lamin_registry.core.Record`` + ``fields``, default table name).
Their tables are not in lamin_registry's history, so the test databases get them from
``metadata.create_all`` or, in the last tests, from a migration that
``alembic revision --autogenerate`` wrote.
"""

from __future__ import annotations

import re
import shutil
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

import lamin_registry as lr
from lamin_registry.errors import DoesNotExist, InvalidArgument, NoWriteAccess
from tests.conftest import fresh_database, rolled_back_repository

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the user's package `myapp`
from myapp.models import TABLES, Protocol, Study

REPO_ROOT = Path(__file__).resolve().parent.parent


def connect_with_user_tables(url: str) -> lr.Instance:
    """A lamin_registry instance whose database also holds myapp's tables."""
    inst = lr.connect(url, user="alice")
    lr.metadata.create_all(inst.engine, tables=TABLES)
    return inst


@pytest.fixture(scope="module")
def user_instance(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[lr.Instance]:
    """One instance per backend for this module (alice), with myapp's tables."""
    with fresh_database(backend, tmp_path_factory.mktemp(f"user_{backend}")) as url:
        inst = connect_with_user_tables(url)
        yield inst
        inst.close()


@pytest.fixture
def urepo(user_instance: lr.Instance) -> Iterator[lr.Repository]:
    """Alice's active repository; everything it writes is rolled back after the test."""
    with rolled_back_repository(user_instance) as repository:
        yield repository


@pytest.fixture
def inst(fresh_url: str) -> Iterator[lr.Instance]:
    """A fresh instance for tests in which several users commit."""
    instance = connect_with_user_tables(fresh_url)
    yield instance
    instance.close()


# -- definition -------------------------------------------------------------------------------


def test_registries_get_lamindb_columns_and_table_names(user_instance: lr.Instance) -> None:
    assert Study.__tablename__ == "myapp_study"
    assert Protocol.__tablename__ == "myapp_protocol"  # <package>_<lowercased class name>
    mixin_columns = {
        "id", "uid", "branch_id", "created_on_id", "space_id", "is_locked", "_aux",
        "created_at", "created_by_id", "run_id",
    }
    assert mixin_columns <= set(Protocol.__table__.c.keys())
    assert mixin_columns | {"updated_at", "is_type", "type_id"} <= set(Study.__table__.c.keys())
    inspector = sa.inspect(user_instance.engine)
    assert mixin_columns <= {column["name"] for column in inspector.get_columns("myapp_protocol")}
    assert len(Study(name="x").uid) == 12
    assert Protocol.__table__.c.name.type.length == 255  # fields.CharField's default
    assert not Protocol.__table__.c.name.nullable
    # the key takes the referenced key's type, and SET NULL
    (fk,) = Protocol.__table__.c.study_id.foreign_keys
    assert (fk.target_fullname, fk.ondelete) == ("myapp_study.id", "SET NULL")
    with pytest.raises(lr.errors.FieldValidationError, match="required"):
        Protocol(n_steps=3)


def test_same_class_name_in_two_packages_is_refused_clearly() -> None:
    """A second ``Study`` would claim ``space.study_set`` too and break every mapper."""
    with pytest.raises(InvalidArgument, match=r"space\.study_set.*_space_backref"):

        class Study(lr.SQLRecord):
            __tablename__ = "otherapp_study"
            name: sa.orm.Mapped[str]

    assert "otherapp_study" not in lr.metadata.tables
    sa.orm.configure_mappers()  # the registry is still usable


# -- the repository API -------------------------------------------------------------------------


def test_save_is_idempotent_by_name_and_get_by_uid_prefix(urepo: lr.Repository) -> None:
    study = urepo.save(Study(name="Heart atlas", description="v1"))
    again = urepo.save(Study(name="Heart atlas"))
    assert again is study
    assert urepo.filter(Study, name="Heart atlas").count() == 1
    protocols = urepo.save([Protocol(name="fixation", study=study), Protocol(name="fixation")])
    assert protocols[0].id == protocols[1].id
    assert urepo.get(Study, study.uid[:6]).id == study.id
    assert urepo.get(Study, study.id) is study
    assert urepo.get(Protocol, name="fixation").study_id == study.id
    assert study.created_by.handle == "alice"
    with pytest.raises(DoesNotExist):
        urepo.get(Study, "zzzzzzzzzzzz")


def test_filter_lookups_and_relationship_paths(urepo: lr.Repository) -> None:
    heart = urepo.save(Study(name="Heart atlas"))
    urepo.save(Study(name="Lung atlas"))
    urepo.save([Protocol(name="stain", n_steps=4, study=heart), Protocol(name="wash", n_steps=1)])
    assert urepo.filter(Study, name__istartswith="heart").to_list("name") == ["Heart atlas"]
    assert sorted(urepo.filter(Study, name__contains="atlas").to_list("name")) == [
        "Heart atlas",
        "Lung atlas",
    ]
    assert urepo.filter(Study, name__contains="ATLAS").count() == 0  # case-sensitive
    assert urepo.filter(Protocol, n_steps__gt=2).to_list("name") == ["stain"]
    assert urepo.filter(Protocol, study__name="Heart atlas").to_list("name") == ["stain"]
    assert urepo.filter(Study, created_by__handle="alice").count() == 2
    assert urepo.filter(Protocol, lr.Q(study__isnull=True) | lr.Q(n_steps=4)).count() == 2
    with urepo:  # record-level sugar on the active repository
        assert Study.filter(name__endswith="Lung atlas").one().name == "Lung atlas"
    with pytest.raises(InvalidArgument, match="description"):
        urepo.filter(Study, nam="x")


def test_search_validate_standardize(urepo: lr.Repository) -> None:
    urepo.save(
        [
            Study(name="Heart atlas", synonyms="cardiac atlas|HA"),
            Study(name="Lung atlas"),
            Study(name="Kidney survey"),
        ]
    )
    result = urepo.search(Study, "heart atlas")
    assert result[0].name == "Heart atlas" and result.scores[0] == 100
    assert urepo.search(Study, "cardiac atlas")[0].name == "Heart atlas"  # by synonym
    assert "Kidney survey" not in [record.name for record in urepo.search(Study, "lung")]
    assert urepo.validate(Study, ["Heart atlas", "Brain atlas"], mute=True).tolist() == [
        True,
        False,
    ]
    assert urepo.standardize(Study, ["cardiac atlas", "Lung atlas", "Brain"], mute=True) == [
        "Heart atlas",
        "Lung atlas",
        "Brain",
    ]
    assert urepo.inspect(Study, ["HA", "nope"], mute=True).non_validated == ["HA", "nope"]
    study = urepo.get(Study, name="Lung atlas")
    urepo.add_synonym(study, "pulmonary atlas")
    assert urepo.standardize(Study, ["pulmonary atlas"], mute=True) == ["Lung atlas"]


def test_delete_restore_and_permanent_delete(urepo: lr.Repository) -> None:
    study = urepo.save(Study(name="Heart atlas"))
    protocol = urepo.save(Protocol(name="stain", study=study))
    urepo.delete(study)
    assert study.branch_id == -1
    assert urepo.filter(Study, name="Heart atlas").count() == 0
    assert urepo.get(Study, study.uid).id == study.id  # by uid on any branch, as in lamindb
    urepo.restore(study)
    assert urepo.filter(Study, name="Heart atlas").count() == 1
    urepo.delete(study, permanent=True)
    assert urepo.filter(Study, branch_id=None, name="Heart atlas").count() == 0
    urepo.refresh(protocol)
    assert protocol.study_id is None  # on_delete=SET_NULL


def test_named_branch_visibility(urepo: lr.Repository) -> None:
    urepo.create_branch("draft")
    urepo.switch_branch("draft")
    study = urepo.save(Study(name="Draft study"))
    assert study.branch_id > 3
    assert urepo.filter(Study, name="Draft study").count() == 1  # visible on its branch
    urepo.switch_branch("main")
    assert urepo.filter(Study, name="Draft study").count() == 0  # not on main
    urepo.merge_branch("draft")
    assert urepo.filter(Study, name="Draft study").one().branch_id == 1


def test_track_stamps_run_id(urepo: lr.Repository) -> None:
    with urepo.track(lr.Transform(key="pipeline.py")) as run:
        study = urepo.save(Study(name="Tracked"))
        protocol = urepo.save(Protocol(name="tracked step"))
    untracked = urepo.save(Study(name="Untracked"))
    assert study.run_id == run.id and protocol.run_id == run.id
    assert untracked.run_id is None
    assert run.status == "completed"
    assert urepo.filter(Study, run__transform__key="pipeline.py").to_list("name") == ["Tracked"]


def test_space_access(inst: lr.Instance) -> None:
    with inst.session() as alice:
        lab = alice.save(lr.Space(name="lab"))
        alice.save([Study(name="Public study"), Study(name="Secret study", space_id=lab.id)])
    with inst.session(user="bob") as bob:
        assert bob.filter(Study).to_list("name") == ["Public study"]
        assert bob.search(Study, "secret study") == []
        with pytest.raises(DoesNotExist):
            bob.get(Study, name="Secret study")
    with pytest.raises(NoWriteAccess), inst.session(user="bob") as bob:
        bob.save(Study(name="Intruder", space_id=lab.id))
    with inst.session() as alice:
        alice.grant("bob", "lab", "read")
    with inst.session(user="bob") as bob:
        assert sorted(bob.filter(Study).to_list("name")) == ["Public study", "Secret study"]
        assert [s.name for s in bob.get(lr.Space, name="lab").study_set] == ["Secret study"]
    with inst.session() as alice:
        assert alice.filter(Study, name="Intruder").count() == 0  # refused, nothing written


def test_dataframe_of_a_user_registry(urepo: lr.Repository) -> None:
    urepo.save([Study(name="A"), Study(name="B")])
    frame = urepo.to_dataframe(Study, include=["created_by__handle"])
    assert sorted(frame["name"]) == ["A", "B"]
    assert set(frame["created_by__handle"]) == {"alice"}


# -- autogenerate in a host history ------------------------------------------------------------

MYAPP_ENV = '''\
"""myapp's Alembic environment: its registries, after lamin_registry, on one connection."""
from alembic import context

import lamin_registry as lr
import myapp.models  # noqa: F401 - defines the registries in lr.metadata


def mine(name):
    return name is not None and name.startswith("myapp_")


def include_name(name, type_, parent_names):
    return mine(name) if type_ == "table" else True


def include_object(obj, name, type_, reflected, compare_to):
    return mine(name) if type_ == "table" else True


connection = context.config.attributes["connection"]
lr.migrate.upgrade(connection)
context.configure(
    connection=connection,
    target_metadata=lr.metadata,
    include_name=include_name,
    include_object=include_object,
    compare_type=True,
    render_item=lr.migrate.render_item,
)
with context.begin_transaction():
    context.run_migrations()
'''


def myapp_config(directory: Path, connection: sa.Connection) -> Config:
    (directory / "versions").mkdir(parents=True)
    (directory / "env.py").write_text(MYAPP_ENV)
    shutil.copy(REPO_ROOT / "alembic" / "script.py.mako", directory / "script.py.mako")
    config = Config()
    config.set_main_option("script_location", str(directory))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def myapp_differences(connection: sa.Connection) -> list[object]:
    def mine(name: str | None, type_: str) -> bool:
        return type_ != "table" or (name or "").startswith("myapp_")

    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_name": lambda name, type_, _parents: mine(name, type_),
            "include_object": lambda _obj, name, type_, _reflected, _to: mine(name, type_),
        },
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        return list(compare_metadata(context, lr.metadata))


# SQLite cannot reflect the expression indexes of the registry tables myapp's keys point to
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_autogenerate_writes_the_registries_migration(fresh_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(fresh_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            lr.migrate.begin_sqlite_transaction(connection)
            config = myapp_config(tmp_path / "migrations", connection)
            command.revision(config, message="myapp registries", autogenerate=True, rev_id="0001")
        (script,) = (tmp_path / "migrations" / "versions").glob("0001_*.py")
        text = script.read_text()
        assert "op.create_table('myapp_study'" in text
        assert "op.create_table('myapp_protocol'" in text
        assert "op.create_table('lamindb_" not in text  # lamin_registry's own history
        for column in ("uid", "branch_id", "space_id", "created_by_id", "run_id", "_aux"):
            assert f"sa.Column('{column}'" in text
        assert "['lamindb_run.id']" in text and "use_alter" not in text
        assert "UTCDateTime" not in text  # frozen: plain SQLAlchemy types, no model imports
        assert not re.search(r"^(import|from) (lamin_registry|myapp)", text, re.MULTILINE)

        with engine.begin() as connection:
            lr.migrate.begin_sqlite_transaction(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        with engine.connect() as connection:
            assert myapp_differences(connection) == []
            tables = set(sa.inspect(connection).get_table_names())
        assert {"myapp_study", "myapp_protocol", "alembic_version"} <= tables
        assert lr.migrate.check(engine) is None  # lamin_registry's side is clean too
    finally:
        engine.dispose()

    inst = lr.connect(fresh_url, user="alice")
    try:
        with inst.session() as repo:
            study = repo.save(Study(name="Migrated"))
            repo.save(Protocol(name="step", study=study))
        with inst.session() as repo:
            assert repo.get(Protocol, name="step").study.name == "Migrated"
    finally:
        inst.close()


def test_space_delete_in_database_without_the_registry_tables(repo: lr.Repository) -> None:
    """The shared ``instance`` has no myapp tables: deleting a Space must not look for them."""
    assert "myapp_study" not in sa.inspect(repo.session.connection()).get_table_names()
    space = repo.save(lr.Space(name="scratch"))
    repo.delete(space, permanent=True)
    with pytest.raises(DoesNotExist):
        repo.get(lr.Space, name="scratch")


def test_space_with_user_registry_rows_is_protected(urepo: lr.Repository) -> None:
    space = urepo.save(lr.Space(name="lab"))
    urepo.save(Study(name="In the lab", space_id=space.id))
    with pytest.raises(lr.errors.IntegrityError, match=r"myapp_study\.space_id"):
        urepo.delete(space, permanent=True)
    assert urepo.get(Study, name="In the lab").space_id == space.id
