"""The search-index revision: created, checked clean, reversible, on both backends."""

from __future__ import annotations

import sqlalchemy as sa

import lamin_registry.models.search_index as search_index
from lamin_registry import migrate


def test_search_index_revision(fresh_url: str, backend: str) -> None:
    engine = sa.create_engine(fresh_url, poolclass=sa.pool.NullPool)
    try:
        migrate.upgrade(engine)
        assert migrate.current(engine) == migrate.head()
        assert migrate.check(engine) is None  # the indexes are declared on the metadata
        declared = {index.name for index in search_index.TRIGRAM_INDEXES}
        assert "ix_lamindb_feature_synonyms_trgm" in declared
        with engine.connect() as connection:
            if backend == "sqlite":
                rows = connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE name LIKE 'lamin_registry_search_%'"
                ).scalars().all()
                assert {"lamin_registry_search_feature", "lamin_registry_search_feature_ai",
                        "lamin_registry_search_feature_ad",
                        "lamin_registry_search_feature_au"} <= set(rows)
            else:
                definitions = connection.execute(sa.text(
                    "SELECT indexdef FROM pg_indexes WHERE right(indexname, 5) = '_trgm'"
                )).scalars().all()
                assert len(definitions) == len(declared)
                assert all("gin" in d and "gin_trgm_ops" in d for d in definitions)
        migrate.downgrade(engine, "0002_access")  # below 0003_search_indexes
        with engine.connect() as connection:
            indexes = {ix["name"] for ix in sa.inspect(connection).get_indexes("lamindb_feature")}
            assert not indexes & declared
            if backend == "sqlite":
                assert connection.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_master WHERE name LIKE 'lamin_registry_search%'"
                ).scalar() == 0
        migrate.upgrade(engine)
        assert migrate.check(engine) is None
    finally:
        engine.dispose()


def test_existing_rows_are_indexed_by_the_upgrade(fresh_url: str, backend: str) -> None:
    """Rows stored before the revision are searchable after it (FTS5 'rebuild')."""
    import lamin_registry as lr

    engine = sa.create_engine(fresh_url, poolclass=sa.pool.NullPool)
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, "0002_access")  # below 0003_search_indexes
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO lamindb_space (id, uid, name) VALUES (1, 'aaaaaaaaaaaa', 'all')"
            )
            connection.exec_driver_sql(
                "INSERT INTO lamindb_user (id, uid, handle) VALUES (1, '00000000', 'alice')"
            )
            for code, name in [(-1, "trash"), (0, "archive"), (1, "main"), (2, "locked"),
                               (3, "template")]:
                connection.execute(sa.text(
                    "INSERT INTO lamindb_branch (id, uid, name, space_id, created_by_id) "
                    "VALUES (:id, :uid, :name, 1, 1)"
                ), {"id": code, "uid": f"branch{code + 1:06d}", "name": name})
            connection.exec_driver_sql(
                "INSERT INTO lamindb_ulabel (uid, name, created_by_id) VALUES ('abcdefgh', "
                "'preexisting label', 1)"
            )
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    inst = lr.connect(fresh_url, user="alice")
    try:
        with inst.session() as repo:
            assert [r.name for r in repo.search(lr.ULabel, "preexisting")] == ["preexisting label"]
            assert [r.name for r in repo.search(lr.ULabel, "preexistnig")] == ["preexisting label"]
    finally:
        inst.close()
