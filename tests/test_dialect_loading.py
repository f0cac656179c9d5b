"""Defining the models loads no SQL dialect; a SQLite workflow never loads PostgreSQL's.

The PostgreSQL dialect costs about 50 ms to import (``pg_catalog``, the asyncpg and psycopg
modules). ``JSONType`` resolves to ``jsonb`` only when a PostgreSQL dialect asks, and
``PortableIndex`` validates its per-dialect options (each of which would import its dialect)
on first read. The DDL tests pin that the deferred options are all still there: partial
``WHERE`` clauses on both backends, the GIN trigram indexes on PostgreSQL, in copies too.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import _repr_type
from alembic.migration import MigrationContext
from loaded_modules import loaded_after
from sqlalchemy.dialects import postgresql, sqlite

import lamin_registry as lr
from lamin_registry.models.search_index import TRIGRAM_INDEXES
from lamin_registry.models.types import JSONType, PortableIndex, partial_index_where

DIALECTS = ("sqlalchemy.dialects.postgresql", "sqlalchemy.dialects.sqlite")
DDL_DIALECTS = {"postgresql": postgresql.dialect(), "sqlite": sqlite.dialect()}


def _loaded_after(code: str) -> dict[str, bool]:
    return loaded_after(code, DIALECTS)


def test_defining_the_models_loads_no_dialect() -> None:
    loaded = _loaded_after(
        "import lamin_registry.models as models\n"
        "assert 'lamindb_artifactulabel' in models.metadata.tables\n"
        "assert models.search_index.TRIGRAM_INDEXES"
    )
    assert loaded == dict.fromkeys(DIALECTS, False)


def test_a_workflow_loads_only_its_own_dialect(backend: str, fresh_url: str) -> None:
    url = fresh_url
    lr.connect(url).close()  # creates the schema: Alembic's scripts import postgresql
    loaded = _loaded_after(
        "import lamin_registry as lr\n"
        f"inst = lr.connect({url!r})\n"
        "with inst.session() as repo:\n"
        "    assert repo.filter(lr.ULabel).count() == 0\n"
        "    repo.save(lr.ULabel(name='T cell', aux={'source': 'test'}))\n"
        "    repo.save(lr.Record(name='r', extra_data={'n': [1, None]}))\n"
        "    assert repo.get(lr.Record, name='r').extra_data == {'n': [1, None]}\n"
        "inst.close()"
    )
    assert loaded == {
        "sqlalchemy.dialects.postgresql": backend == "postgresql",
        "sqlalchemy.dialects.sqlite": backend == "sqlite",
    }


def test_the_check_sees_a_loaded_dialect() -> None:
    """The subprocess check itself works: a dialect the code imports is reported."""
    loaded = _loaded_after("import lamin_registry.models\nfrom sqlalchemy.dialects import sqlite")
    assert loaded == {"sqlalchemy.dialects.postgresql": False, "sqlalchemy.dialects.sqlite": True}


# -- the deferred index options ----------------------------------------------------------------


def _ddl(index: sa.Index, dialect: str) -> str:
    return str(sa.schema.CreateIndex(index).compile(dialect=DDL_DIALECTS[dialect]))


def _portable_indexes(metadata: sa.MetaData) -> list[sa.Index]:
    return [
        index
        for table in metadata.tables.values()
        for index in table.indexes
        if index.name and index.name.startswith("unique_") and index.dialect_kwargs
    ]


PARTIAL = {
    "unique_spaceaccess_user": "WHERE user_id IS NOT NULL",
    "unique_spaceaccess_team": "WHERE team_id IS NOT NULL",
    "unique_artifact_storage_key_hash_not_null": "WHERE key IS NOT NULL",
    "unique_artifact_storage_hash_null_key": "WHERE key IS NULL",
    "unique_lamindb_artifactulabel": "WHERE feature_id IS NOT NULL",
    "unique_lamindb_artifactulabel_null_feature": "WHERE feature_id IS NULL",
}


def _by_name(metadata: sa.MetaData) -> dict[str, sa.Index]:
    return {str(i.name): i for t in metadata.tables.values() for i in t.indexes}


@pytest.mark.parametrize("copied", [False, True], ids=["declared", "to_metadata"])
@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_partial_indexes_keep_their_where_clause(dialect: str, copied: bool) -> None:
    metadata = lr.models.metadata
    if copied:
        metadata = sa.MetaData()
        for table in lr.models.metadata.sorted_tables:
            table.to_metadata(metadata)
    indexes = _by_name(metadata)
    for name, where in PARTIAL.items():
        assert _ddl(indexes[name], dialect).endswith(where), name
    partial = _portable_indexes(metadata)
    assert len(partial) > len(PARTIAL)  # every annotation link table has two
    for index in partial:
        assert " WHERE " in _ddl(index, dialect), index.name


@pytest.mark.parametrize("copied", [False, True], ids=["declared", "to_metadata"])
def test_trigram_indexes_are_gin_on_postgresql_and_empty_on_sqlite(copied: bool) -> None:
    indexes = _by_name(lr.models.metadata)
    if copied:
        metadata = sa.MetaData()
        for table in lr.models.metadata.sorted_tables:
            table.to_metadata(metadata)
        indexes = _by_name(metadata)
    assert len(TRIGRAM_INDEXES) == 8
    for declared in TRIGRAM_INDEXES:
        index = indexes[str(declared.name)]
        column = next(iter(index.columns)).name
        assert f"USING gin ({column} gin_trgm_ops)" in _ddl(index, "postgresql")
        assert _ddl(index, "sqlite").endswith(f"({column}) WHERE 0")


def test_portable_index_equals_the_keyword_form() -> None:
    table = sa.Table("t", sa.MetaData(), sa.Column("a", sa.Integer), sa.Column("b", sa.Text))
    where = table.c.a.isnot(None)
    keyword = sa.Index(
        "k",
        table.c.a,
        unique=True,
        postgresql_where=where,
        sqlite_where=where,
        postgresql_using="btree",
        postgresql_ops={"a": "int4_ops"},
    )
    portable = PortableIndex(
        "p",
        table.c.a,
        unique=True,
        dialect_options={
            "postgresql": {"where": where, "using": "btree", "ops": {"a": "int4_ops"}},
            "sqlite": {"where": where},
        },
    )
    assert dict(portable.dialect_kwargs) == dict(keyword.dialect_kwargs)
    assert set(portable.dialect_options) == set(keyword.dialect_options)
    for dialect in DDL_DIALECTS:
        assert _ddl(portable, dialect) == _ddl(keyword, dialect).replace("INDEX k", "INDEX p")
    assert portable.unique and list(portable.columns) == [table.c.a]


def test_portable_index_reports_an_unknown_option_on_first_read() -> None:
    table = sa.Table("t", sa.MetaData(), sa.Column("a", sa.Integer))
    index = PortableIndex("p", table.c.a, dialect_options={"sqlite": {"wehre": sa.text("1")}})
    with pytest.raises(sa.exc.ArgumentError, match="'sqlite_wehre' is not accepted"):
        dict(index.dialect_kwargs)


def test_partial_index_where_gives_both_backends() -> None:
    options = partial_index_where("key IS NULL")
    assert set(options) == {"postgresql", "sqlite"}
    assert {str(opts["where"]) for opts in options.values()} == {"key IS NULL"}


# -- JSONType ----------------------------------------------------------------------------------


def test_json_type_is_jsonb_on_postgresql_and_json_on_sqlite() -> None:
    type_ = JSONType()
    assert type_.compile(dialect=postgresql.dialect()) == "JSONB"
    assert type_.compile(dialect=sqlite.dialect()) == "JSON"
    assert isinstance(type_._unwrapped_dialect_impl(postgresql.psycopg.dialect()), postgresql.JSONB)
    # what the former JSON().with_variant(JSONB(), "postgresql") answered
    assert type_.should_evaluate_none is True and type_.hashable is False
    assert isinstance(lr.Record.__table__.c.extra_data.type, JSONType)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_autogenerate_renders_json_type_with_its_jsonb_variant(dialect: str) -> None:
    opts: dict[str, Any] = {
        "render_item": lr.migrate.render_item,
        "sqlalchemy_module_prefix": "sa.",
        "user_module_prefix": None,
    }
    context = AutogenContext(MigrationContext.configure(dialect_name=dialect, opts={}), opts=opts)
    context.imports = set()
    rendered = _repr_type(JSONType(), context)
    assert rendered == (
        "sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')"
    )
    assert context.imports == {"from sqlalchemy.dialects import postgresql"}


def test_json_none_is_sql_null_unless_set(repo: lr.Repository) -> None:
    """Unset stays SQL NULL; None set explicitly is JSON 'null' (JSON's ``none_as_null=False``)."""
    unset = lr.Record(name="json-unset")
    explicit = lr.Record(name="json-none", extra_data=None)
    value = lr.Record(name="json-value", extra_data={"n": [1, None]})
    repo.save([unset, explicit, value])
    table = lr.Record.__table__
    rows = dict(
        repo.session.execute(
            sa.select(table.c.name, table.c.extra_data.is_(None)).where(
                table.c.id.in_([unset.id, explicit.id, value.id])
            )
        ).all()
    )
    assert rows == {"json-unset": True, "json-none": False, "json-value": False}
    repo.session.expire_all()
    assert repo.get(lr.Record, name="json-value").extra_data == {"n": [1, None]}
    assert repo.get(lr.Record, name="json-none").extra_data is None
    assert repo.filter(lr.Record, name__startswith="json-", extra_data__isnull=True).count() == 1
