"""Messages a new user meets (issue 13): newer databases, masked passwords, plain paths,
missing drivers, ``connect(migrate=False)`` that changes nothing, full and broken SQLite
files, the downgrade guard and ``lamin-registry alembic-ini``.

Every test runs on SQLite and PostgreSQL (``fresh_url``); the SQLite-only behaviours (files,
journal mode) take the PostgreSQL run to check that the URL form of the same call is fine.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

import lamin_registry as lr
from lamin_registry.cli import main

ROOT = Path(__file__).resolve().parent.parent
NEWER = "0099_from_the_future"


@pytest.fixture(autouse=True)
def _no_ambient_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LAMIN_REGISTRY_URL", raising=False)
    monkeypatch.delenv("LAMIN_REGISTRY_USER", raising=False)
    monkeypatch.setenv("LAMIN_REGISTRY_CONFIG", str(tmp_path / "instances.toml"))
    (tmp_path / "instances.toml").write_text("[instances]\n")
    monkeypatch.chdir(tmp_path)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def set_revision(url: str, revision: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE {lr.migrate.VERSION_TABLE} SET version_num = '{revision}'"
        )
    engine.dispose()


def with_password(url: str, password: str) -> str:
    return sa.make_url(url).set(password=password).render_as_string(hide_password=False)


# -- a database newer than this lamin_registry -------------------------------------------------


def test_newer_database_says_upgrade_the_package_everywhere(
    fresh_url: str, backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lr.connect(fresh_url).close()
    reader = lr.connect(f"sqlite:///{tmp_path / 'reader.db'}")  # using() the newer one
    set_revision(fresh_url, NEWER)
    said = "newer than lamin_registry"
    for call in (
        lambda: lr.connect(fresh_url),
        lambda: lr.connect(fresh_url, migrate=False),
        lambda: reader.using(fresh_url),
        lambda: lr.migrate.upgrade(fresh_url),
        lambda: lr.migrate.downgrade(fresh_url, "base"),
        lambda: lr.migrate.check(fresh_url),
    ):
        with pytest.raises(lr.errors.SchemaOutOfDate) as caught:
            call()
        message = str(caught.value)
        assert said in message and NEWER in message
        assert "upgrade the lamin_registry package" in message
        assert "lamin-registry upgrade" not in message and "Unknown or unreachable" not in message
    for argv in (["upgrade"], ["downgrade", "-1"], ["check"], ["info"], ["search", "ulabel", "x"]):
        code, _, err = cli(capsys, "--url", fresh_url, *argv)
        assert code == 1, argv
        assert said in err and "upgrade the lamin_registry package" in err, argv
        assert "lamin-registry upgrade`" not in err and "Traceback" not in err, argv
    assert lr.migrate.current(fresh_url) == NEWER  # nothing was changed
    reader.close()


# -- passwords ----------------------------------------------------------------------------------


def test_passwords_are_masked_in_connect_errors_and_the_cli(
    fresh_url: str, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "s3cr3t-Pw"
    if backend == "sqlite":  # no server: a PostgreSQL URL that nothing listens on
        url = f"postgresql+psycopg://alice:{secret}@127.0.0.1:1/nowhere"
    else:  # the test server, with a password, and a database that does not exist
        url = sa.make_url(with_password(fresh_url, secret)).set(database="lr_no_such_db")
        url = url.render_as_string(hide_password=False)
    with pytest.raises(lr.errors.LaminRegistryError) as caught:
        lr.connect(url, connect_args={"connect_timeout": 5})
    assert secret not in str(caught.value) and "***" in str(caught.value)
    for argv in (["--url", url, "info"], ["init", url], ["--url", url, "upgrade"]):
        code, out, err = cli(capsys, *argv)
        assert code != 0 and secret not in out + err and "***" in err, argv
    with pytest.raises(lr.errors.InvalidArgument) as caught:
        lr.connect(f"postgresql+nodriver://alice:{secret}@localhost/db")
    assert secret not in str(caught.value)


def test_passwords_are_masked_in_log_lines(
    fresh_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "hunter2-secret"
    logger = logging.getLogger("lamin_registry")
    with caplog.at_level(logging.INFO, logger="lamin_registry"):
        logger.warning("using %s", f"postgresql+psycopg://bob:{secret}@db.example.org/x")
    assert secret not in caplog.text and "bob:***@db.example.org" in caplog.text


MISSING_DRIVER = """
import sys
for name in sys.argv[2].split(","):
    sys.modules[name] = None  # import of it fails as if it were not installed
import lamin_registry as lr
try:
    if sys.argv[3] == "async":
        import asyncio
        asyncio.run(lr.connect_async(sys.argv[1]))
    else:
        lr.connect(sys.argv[1])
except lr.errors.LaminRegistryError as error:
    print(type(error).__name__, error)
"""


@pytest.mark.parametrize(
    ("url", "missing", "kind", "extra"),
    [
        ("postgresql+psycopg://bob:pw-secret@127.0.0.1:1/db", "psycopg", "sync", "[postgres]"),
        ("sqlite:///{tmp}/a.db", "aiosqlite", "async", "[async]"),
        ("postgresql+psycopg://bob:pw-secret@127.0.0.1:1/db", "greenlet", "async", "[async]"),
    ],
)
def test_a_missing_driver_names_the_extra(
    backend: str, tmp_path: Path, url: str, missing: str, kind: str, extra: str
) -> None:
    out = subprocess.run(
        [sys.executable, "-c", MISSING_DRIVER, url.format(tmp=tmp_path), missing, kind],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert out.stdout.startswith("InvalidArgument"), out.stdout + out.stderr
    assert f"lamin_registry{extra}" in out.stdout and missing in out.stdout
    assert "pw-secret" not in out.stdout + out.stderr


def test_the_cli_names_the_extra_of_a_missing_driver(backend: str) -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from lamin_registry.cli import main\n"
        "sys.exit(main(['--url', 'postgresql+psycopg://bob:pw-secret@127.0.0.1:1/db', 'info']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    assert "lamin_registry[postgres]" in done.stderr and "Traceback" not in done.stderr
    assert "pw-secret" not in done.stdout + done.stderr


def test_the_async_extra_does_not_pull_psycopg(backend: str) -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert not any("psycopg" in requirement for requirement in extras["async"])
    assert any("psycopg" in requirement for requirement in extras["postgres"])
    assert {"aiosqlite", "greenlet"} <= {r.split(">")[0].split("[")[0] for r in extras["async"]}


# -- URLs and paths -----------------------------------------------------------------------------


def test_a_plain_path_is_refused_with_the_url_to_use(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path, url in (("registry.db", "sqlite:///registry.db"),
                      (str(tmp_path / "r.db"), f"sqlite:///{tmp_path / 'r.db'}")):
        for call in (lr.connect, lr.migrate.upgrade):
            with pytest.raises(lr.errors.InvalidArgument, match="not a database URL") as caught:
                call(path)
            assert repr(url) in str(caught.value)
        assert not Path(path).exists()
    code, _, err = cli(capsys, "--url", "registry.db", "info")
    assert code == 2 and "sqlite:///registry.db" in err
    assert not Path("registry.db").exists()


def test_connect_without_migrate_changes_nothing(
    fresh_url: str, backend: str, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(lr.errors.SchemaOutOfDate, match=r"missing\.db.*does not exist"):
        lr.connect(f"sqlite:///{missing}", migrate=False)
    assert not missing.exists()
    if backend == "postgresql":
        lr.connect(fresh_url).close()
        lr.connect(fresh_url, migrate=False).close()
        return
    # a database in rollback-journal mode, as another tool may have left it
    lr.connect(fresh_url).close()
    path = Path(str(sa.make_url(fresh_url).database))
    engine = sa.create_engine(fresh_url)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    lr.connect(fresh_url, migrate=False).close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not Path(f"{path}-wal").exists()
    engine = sa.create_engine(fresh_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
    engine.dispose()


# -- broken and full SQLite files ---------------------------------------------------------------


def test_a_file_that_is_no_database_is_named(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 200)
    url = f"sqlite:///{path}"
    for call in (lambda: lr.connect(url), lambda: lr.connect(url, migrate=False)):
        with pytest.raises(lr.errors.InvalidArgument, match="not a SQLite database") as caught:
            call()
        assert str(path) in str(caught.value)
    code, _, err = cli(capsys, "--url", url, "info")
    assert code == 2 and str(path) in err and "not a SQLite database" in err
    assert path.read_text().startswith("these are my notes")


def test_a_full_database_raises_storage_full_and_loses_nothing(
    backend: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'small.db'}"
    inst = lr.connect(url, user="alice")
    with inst.session() as repo:
        repo.save(lr.ULabel(name="kept"))
    inst.engine.dispose()

    @event.listens_for(inst.engine, "connect")
    def _small(dbapi_connection: object, record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages + 2}")
        cursor.close()

    names = [f"label {i} {'x' * 100}" for i in range(1000)]
    with pytest.raises(lr.errors.StorageFull, match=r"small\.db.*is full"), inst.session() as repo:
        repo.save([lr.ULabel(name=name) for name in names])  # bulk: one savepoint
    with pytest.raises(lr.errors.StorageFull, match="is full"), inst.session() as repo:
        for name in names:
            repo.save(lr.ULabel(name=name))
    with inst.session() as repo:
        assert repo.filter(lr.ULabel).to_list("name") == ["kept"]
    inst.close()


# -- the command line: downgrade guard, alembic-ini --------------------------------------------


def test_a_downgrade_that_drops_data_needs_the_flag(
    fresh_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "init", fresh_url)[0] == 0
    head = lr.migrate.head()
    code, _, err = cli(capsys, "--url", fresh_url, "downgrade", "0001_baseline")
    assert code == 2 and "--yes-drop-data" in err
    assert "lamindb_spaceaccess" in err and "grant" in err
    code, _, err = cli(capsys, "--url", fresh_url, "downgrade", "base")
    assert code == 2 and "every lamin_registry table" in err and "--yes-drop-data" in err
    assert lr.migrate.current(fresh_url) == head  # refused: nothing changed
    code, _, err = cli(capsys, "--url", fresh_url, "downgrade", "0005_visibility_indexes")
    assert code == 2 and "lamindb_schemacomponent" in err  # 0006 drops lamindb's columns
    assert cli(capsys, "--url", fresh_url, "downgrade", "0005_visibility_indexes",
               "--yes-drop-data")[0] == 0
    code, out, _ = cli(capsys, "--url", fresh_url, "downgrade", "0002_access")
    assert code == 0 and "Downgraded" in out  # indexes and policies only: no flag needed
    code, out, _ = cli(capsys, "--url", fresh_url, "downgrade", "base", "--yes-drop-data")
    assert code == 0 and lr.migrate.current(fresh_url) is None


def test_every_revision_says_whether_its_downgrade_drops_data(backend: str) -> None:
    from lamin_registry.cli_setup import DATA_DROPPED, NO_DATA_LOSS

    revisions = {rev.revision for rev in lr.migrate._script().walk_revisions()}
    assert revisions <= set(DATA_DROPPED) | set(NO_DATA_LOSS)  # every shipped one is listed
    assert not set(DATA_DROPPED) & set(NO_DATA_LOSS)


def test_alembic_ini_writes_a_working_config(
    fresh_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "alembic-ini")
    assert code == 0 and "alembic -x url=" in out
    text = (tmp_path / "alembic.ini").read_text()
    assert "script_location = " in text
    code, _, err = cli(capsys, "alembic-ini")
    assert code == 2 and "--force" in err
    assert cli(capsys, "alembic-ini", "--force")[0] == 0

    def alembic(*argv: str) -> None:  # in a process of its own: its ini configures logging
        done = subprocess.run(
            [sys.executable, "-m", "alembic", *argv], capture_output=True, text=True,
            timeout=120, check=False,
        )
        assert done.returncode == 0, done.stderr

    alembic("-x", f"url={fresh_url}", "upgrade", "head")
    assert lr.migrate.current(fresh_url) == lr.migrate.head()
    # a minimal ini (no logging sections) works too
    minimal = tmp_path / "minimal.ini"
    location = next(line for line in text.splitlines() if line.startswith("script_location"))
    minimal.write_text(f"[alembic]\n{location}\n")
    alembic("-c", str(minimal), "-x", f"url={fresh_url}", "downgrade", "-1")
    assert lr.migrate.current(fresh_url) != lr.migrate.head()


def test_docs_point_only_to_files_in_the_repository(backend: str) -> None:
    api = (ROOT / "docs" / "api.md").read_text()
    assert "shared/API.md" not in api
    readme = (ROOT / "README.md").read_text()
    scripts = (ROOT / "scripts" / "pg.sh").read_text() + (ROOT / "scripts" / "test.sh").read_text()
    for variable in ("LR_PG_DIR", "LR_PG_PORT", "LR_PG_STOP"):
        assert variable in readme and variable in scripts
    assert "keeps running" in readme
    assert os.path.exists(ROOT / "docs" / "cli.md")
