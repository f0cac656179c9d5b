"""Interop proof with the real lamindb 2.12.1 (issue 12), on SQLite and PostgreSQL.

lamindb runs in its own virtual environment (``scripts/lamindb_venv.sh``), in subprocesses
(``tests/lamindb_interop/lamindb_side.py``). One walk per backend:

1. ``lamin init`` creates the instance; lamindb writes a realistic dataset (typed labels
   with parents, features and values, typed records with feature values, a project, a
   transform and its run, a reference, a schema, a trashed and an archived record, a user
   branch ``dev`` = branch 2);
2. ``lr.connect`` adopts it: only additions (lamindb's rows and ``django_migrations`` are
   unchanged), ``check()`` is clean, and every registry reads cell for cell like lamindb's
   own ``to_dataframe`` (every branch);
3. lamin_registry writes, updates, soft- and permanently deletes (a lamindb label with
   parent links; a record with feature values);
4. lamindb reads those rows, writes new ones, deletes one of ours and restores another;
5. lamin_registry reads every registry again, cell for cell.

Marker ``lamindb``: the default suite deselects it (``pyproject.toml``); ``.ci/run`` runs
``pytest -m lamindb tests/test_lamindb_interop.py`` after it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry import adopt
from tests.conftest import pg_admin_url
from tests.lamindb_interop.harness import LamindbInstance

pytestmark = pytest.mark.lamindb

REGISTRIES = {  # lamindb's name -> lamin_registry's model
    "ULabel": lr.ULabel,
    "Record": lr.Record,
    "Feature": lr.Feature,
    "JsonValue": lr.FeatureValue,
    "Project": lr.Project,
    "Transform": lr.Transform,
    "Run": lr.Run,
    "Schema": lr.Schema,
    "Reference": lr.Reference,
    "User": lr.User,
    "Branch": lr.Branch,
    "Space": lr.Space,
    "Storage": lr.Storage,
    "Collection": lr.Collection,
    "Artifact": lr.Artifact,
}


@pytest.fixture
def lamindb(backend: str, tmp_path: Path) -> Iterator[LamindbInstance]:
    admin = pg_admin_url() if backend == "postgresql" else None
    instance = LamindbInstance(tmp_path, backend, admin)
    try:
        yield instance
    finally:
        instance.drop()


def our_dump(inst: lr.Instance) -> dict[str, list[dict[str, Any]]]:
    """Every registry's ``to_dataframe`` over every branch, serialised as lamindb_side does."""
    out: dict[str, list[dict[str, Any]]] = {}
    with inst.session() as repo:
        for name, model in REGISTRIES.items():
            query = (
                repo.filter(model, branch_id=None)
                if hasattr(model, "branch_id") else repo.filter(model)
            )
            frame = query.to_dataframe(limit=None).reset_index()
            out[name] = json.loads(frame.to_json(orient="records", date_format="iso"))
    return out


def assert_same_cells(theirs: dict[str, Any], ours: dict[str, Any], where: str) -> None:
    """Every cell lamindb shows, lamin_registry shows identically (rows matched by id)."""
    for name, rows in theirs.items():
        mine = {row["id"]: row for row in ours[name]}
        assert set(mine) == {row["id"] for row in rows}, f"{where}: {name} ids differ"
        for row in rows:
            for column, value in row.items():
                assert column in mine[row["id"]], f"{where}: {name}.{column} is missing"
                assert mine[row["id"]][column] == value, (
                    f"{where}: {name} id {row['id']} {column}: lamindb {value!r}, "
                    f"lamin_registry {mine[row['id']][column]!r}"
                )


def table_rows(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            names = [
                name for name in sa.inspect(connection).get_table_names()
                if name.startswith(("lamindb_", "django_", "bionty_"))
            ]
            return {
                name: connection.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one()
                for name in names
            }
    finally:
        engine.dispose()


def lamin_registry_writes(inst: lr.Instance) -> None:
    with inst.session() as repo:
        t_cell = repo.get(lr.ULabel, name="T cell")
        written = repo.save(lr.ULabel(name="written by lamin_registry"))
        written.parents.append(t_cell)
        victim = repo.save(lr.ULabel(name="lr victim"))
        victim.parents.append(t_cell)
        sample = repo.get(lr.Record, name="Sample")
        repo.save(lr.Record(name="lr sample", type=sample, features={"age": 33, "score": 1.5}))
        trashed = repo.save(lr.Record(name="lr trashed", type=sample))
        repo.delete(trashed)  # soft: branch -1
        cd8 = repo.get(lr.ULabel, name="CD8 T cell")
        cd8.description = "updated by lamin_registry"
        repo.save(cd8)
        annotated = repo.get(lr.Record, name="sample 1")  # lamindb's blocks (0007_blocks)
        assert annotated.notes == "# by lamindb"
        assert repo.get(lr.Block, key="README.md").content == "# instance"
        assert repo.add_block(annotated, "# by lamin_registry").uid.endswith("0001")
        repo.add_block(annotated, "lr comment", kind="comment")
        repo.save(lr.Feature(name="lr feature", dtype="str"))
        score = repo.get(lr.Feature, name="score")
        _, existed = repo.get_or_create_feature_value(score, 2.5)
        assert existed, "lamindb's value (hash NULL) must be found, not duplicated"
        _, existed = repo.get_or_create_feature_value(score, 4.25)
        assert not existed
    with inst.session() as repo:  # permanent deletes, Django's cascade rules
        repo.delete(repo.get(lr.ULabel, name="CD4 T cell"), permanent=True)  # parent links
        repo.filter(lr.Record, name="sample 0").delete(permanent=True)  # feature values
        with pytest.raises(lr.errors.IntegrityError, match="protected foreign keys"):
            repo.delete(repo.get(lr.ULabel, name="T cell"), permanent=True)
    with inst.session() as repo:  # the failed delete left the session usable
        assert repo.filter(lr.ULabel, name="CD4 T cell").count() == 0
        assert repo.filter(lr.Record, name="sample 0", branch_id=None).count() == 0
        dev = repo.switch_branch("dev")  # lamindb's branch 2 is a branch here, not "locked"
        assert dev.id == 2
        assert "on dev" in repo.filter(lr.ULabel).to_list("name")


def test_lamindb_and_lamin_registry_share_a_database(lamindb: LamindbInstance) -> None:
    lamindb.phase("write")
    before = table_rows(lamindb.url)
    theirs = lamindb.phase("dump")

    with pytest.raises(lr.errors.SchemaOutOfDate, match="created by lamindb"):
        lr.connect(lamindb.url, migrate=False)
    assert table_rows(lamindb.url) == before  # migrate=False changed nothing
    assert adopt.adopt(lamindb.url, dry_run=True)
    inst = lr.connect(lamindb.url)
    try:
        after = table_rows(lamindb.url)
        assert {name: after[name] for name in before} == before  # no lamindb row touched
        assert set(after) - set(before) == set(adopt.OWN_TABLES)
        assert adopt.adopt(lamindb.url) == []  # adopted once
        lr.migrate.check(lamindb.url)  # structure, not names: clean
        assert lamindb.phase("dump") == theirs  # lamindb reads what it read before
        assert_same_cells(theirs, our_dump(inst), "after adoption")

        lamin_registry_writes(inst)
        seen = lamindb.phase("touch")
        assert seen["parents"] == ["T cell"]
        assert seen["features"] == {"age": 33, "score": 1.5}
        assert seen["notes"] == "# by lamin_registry"

        theirs = lamindb.phase("dump")
        assert_same_cells(theirs, our_dump(inst), "after lamindb's second round")
        with inst.session() as repo:
            names = set(repo.filter(lr.ULabel, branch_id=None).to_list("name"))
            assert "lamindb after adoption" in names and "lr victim" not in names
            assert repo.get(lr.Record, name="lr trashed").branch_id == 1
            written = repo.get(lr.ULabel, name="written by lamin_registry")
            assert written.description == "updated by lamindb"
            later = repo.get(lr.Record, name="lamindb sample after")
            assert later.features.get_values() == {"age": 77, "score": 37.5}
            assert repo.filter(lr.Branch, id__in=[3]).count() == 0  # no seeded template
            assert repo.get(lr.User, 1).uid == "00000000"
            annotated = repo.get(lr.Record, name="sample 1")
            readmes = sorted((b.uid[-4:], b.is_latest) for b in annotated.ablocks
                             if b.kind == "readme")
            assert readmes == [("0000", False), ("0001", False), ("0002", True)]
            assert annotated.notes == "# lamindb again"
            assert {b.content for b in annotated.ablocks if b.kind == "comment"} == {
                "lamindb comment", "lr comment"}
        lr.migrate.check(lamindb.url)
    finally:
        inst.close()
