"""The ``lamin-registry`` command line, in process (``main([...])``) and as the console script.

Every test runs on SQLite and PostgreSQL (``fresh_url``). Exit codes: 0 success, 1 a problem
found, 2 usage or input error.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lamin_registry as lr
from lamin_registry.cli import main

SCRIPT = Path(sys.executable).with_name("lamin-registry")
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """``run(*argv)`` -> (exit code, stdout, stderr) of ``main(argv)`` in this process."""

    def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


@pytest.fixture(autouse=True)
def _no_ambient_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may fall back to a developer's $LAMIN_REGISTRY_URL or ./lamin_registry.db."""
    monkeypatch.delenv("LAMIN_REGISTRY_URL", raising=False)
    monkeypatch.delenv("LAMIN_REGISTRY_USER", raising=False)
    monkeypatch.setenv("LAMIN_REGISTRY_CONFIG", str(tmp_path / "instances.toml"))
    (tmp_path / "instances.toml").write_text("[instances]\n")
    monkeypatch.chdir(tmp_path)


def sqlite_file(url: str) -> Path | None:
    parsed = sa.make_url(url)
    return Path(str(parsed.database)) if parsed.get_backend_name() == "sqlite" else None


def make_empty(url: str) -> None:
    """An existing database without lamin_registry's schema (PostgreSQL's fresh one is)."""
    engine = sa.create_engine(url)
    with engine.connect():
        pass
    engine.dispose()


def seed_features(url: str) -> None:
    inst = lr.connect(url, user="alice")
    with inst.session() as repo:
        repo.save(
            [
                lr.Feature(name="T cell", dtype="str", synonyms="T-cell|tcell"),
                lr.Feature(name="B cell", dtype="str"),
                lr.Feature(name="T cell receptor", dtype="str"),
            ]
        )
    inst.close()


def user_handles(url: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        handles = connection.execute(sa.select(lr.User.handle).order_by(lr.User.id)).scalars()
        result = list(handles)
    engine.dispose()
    return result


# -- help and usage --------------------------------------------------------------------------

COMMANDS = ["init", "upgrade", "downgrade", "current", "check", "info", "search", "standardize"]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_for_every_command_touches_no_database(
    run: Run, fresh_url: str, command: str | None
) -> None:
    code, out, _ = run("--url", fresh_url, *([command] if command else []), "--help")
    assert code == 0
    assert "usage: lamin-registry" in out
    if command is None:
        assert all(name in out for name in COMMANDS)
    else:
        assert f"lamin-registry {command}" in out
    path = sqlite_file(fresh_url)
    assert path is None or not path.exists()


def test_usage_errors_exit_2(run: Run, fresh_url: str) -> None:
    code, _, err = run("--url", fresh_url)
    assert code == 2 and "COMMAND" in err
    code, _, err = run("--url", fresh_url, "frobnicate")
    assert code == 2 and "invalid choice" in err
    code, _, err = run("--url", fresh_url, "downgrade")
    assert code == 2 and "REV" in err
    code, _, err = run("--url", fresh_url, "search", "feature", "x", "--limit", "0")
    assert code == 2 and "at least 1" in err
    code, _, err = run("--url", fresh_url, "standardize", "feature", "a.csv")
    assert code == 2 and "--column" in err


def test_unsupported_or_unknown_database_is_an_input_error(run: Run, backend: str) -> None:
    code, _, err = run("--url", "mysql://u:secret@host/db", "current")
    assert code == 2
    assert err.startswith("lamin-registry: error:") and "SQLite and PostgreSQL" in err
    assert "secret" not in err and "Traceback" not in err
    code, _, err = run("--url", "nosuchinstance", "info")
    assert code == 2 and "Unknown instance 'nosuchinstance'" in err


# -- init, current, upgrade, downgrade, check ----------------------------------------------------


def test_init_creates_seeds_and_is_repeatable(run: Run, fresh_url: str) -> None:
    code, out, _ = run("init", fresh_url, "--user", "alice")
    assert code == 0, out
    head = lr.migrate.head()
    assert "Initialized" in out and head in out and "alice" in out
    assert lr.migrate.current(fresh_url) == head
    assert user_handles(fresh_url) == ["alice"]
    code, out, _ = run("init", fresh_url, "--user", "bob")
    assert code == 0 and "already initialized" in out and "creator: alice" in out
    assert user_handles(fresh_url) == ["alice"]


def test_init_refuses_a_different_global_url(run: Run, fresh_url: str, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    code, _, err = run("--url", other, "init", fresh_url)
    assert code == 2 and "drop --url" in err
    assert not (tmp_path / "other.db").exists()


def test_missing_sqlite_file_is_never_created(run: Run, backend: str, tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    url = f"sqlite:///{missing}"
    for argv in (
        ["current"], ["check"], ["info"], ["upgrade"], ["downgrade", "base"],
        ["search", "feature", "x"],
    ):
        code, out, err = run("--url", url, *argv)
        assert code == 2, argv
        assert "does not exist" in err and "lamin-registry init" in err and out == ""
    (tmp_path / "a.csv").write_text("c\nx\n")
    code, _, err = run("--url", url, "standardize", "feature", "a.csv", "--column", "c")
    assert code == 2 and "does not exist" in err
    assert not missing.exists()


def test_empty_database(run: Run, fresh_url: str) -> None:
    make_empty(fresh_url)
    code, out, err = run("--url", fresh_url, "current")
    assert code == 0 and out == "None\n" and "no lamin_registry schema" in err
    code, out, err = run("--url", fresh_url, "check")
    assert code == 1 and "no lamin_registry schema" in err and out == ""
    code, out, err = run("--url", fresh_url, "info")
    assert code == 1 and "revision:  None" in out and "init" in err
    code, _, err = run("--url", fresh_url, "search", "feature", "x")
    assert code == 1 and "no lamin_registry schema" in err
    assert lr.migrate.current(fresh_url) is None  # nothing migrated behind the user's back


def test_downgrade_check_upgrade_cycle(run: Run, fresh_url: str) -> None:
    assert run("init", fresh_url)[0] == 0
    head = lr.migrate.head()
    code, out, _ = run("--url", fresh_url, "downgrade", "-1", "--yes-drop-data")  # 0006's columns
    assert code == 0 and "Downgraded" in out
    previous = lr.migrate.current(fresh_url)
    assert previous is not None and previous != head
    assert run("--url", fresh_url, "current")[1] == f"{previous}\n"

    code, _, err = run("--url", fresh_url, "check")
    assert code == 1 and "lamin-registry upgrade" in err and "Traceback" not in err
    # a command that needs the schema refuses, and migrates nothing
    code, _, err = run("--url", fresh_url, "search", "feature", "x")
    assert code == 1 and previous in err and "upgrade" in err
    code, _, err = run("--url", fresh_url, "info")
    assert code == 1
    assert lr.migrate.current(fresh_url) == previous

    code, out, _ = run("--url", fresh_url, "upgrade")
    assert code == 0 and f"from revision {previous} to {head}" in out
    code, out, _ = run("--url", fresh_url, "upgrade")
    assert code == 0 and "already at revision" in out
    code, out, _ = run("--url", fresh_url, "check")
    assert code == 0 and "up to date" in out


def test_unknown_revision_exits_2_and_changes_nothing(run: Run, fresh_url: str) -> None:
    assert run("init", fresh_url)[0] == 0
    code, _, err = run("--url", fresh_url, "downgrade", "nope")
    assert code == 2 and "Unknown or unreachable revision 'nope'" in err
    code, _, err = run("--url", fresh_url, "upgrade", "nope")
    assert code == 2 and "Known revisions" in err
    assert lr.migrate.current(fresh_url) == lr.migrate.head()


def test_check_lists_schema_drift(run: Run, fresh_url: str) -> None:
    assert run("init", fresh_url)[0] == 0
    engine = sa.create_engine(fresh_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE INDEX ix_cli_extra ON lamindb_ulabel (description)")
    engine.dispose()
    code, out, err = run("--url", fresh_url, "check")
    assert code == 1 and out == ""
    assert "ix_cli_extra" in err and "differs" in err


def test_url_from_environment_and_named_instance(
    run: Run, fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("init", fresh_url)[0] == 0
    monkeypatch.setenv("LAMIN_REGISTRY_URL", fresh_url)
    assert run("current") == (0, f"{lr.migrate.head()}\n", "")
    monkeypatch.delenv("LAMIN_REGISTRY_URL")
    monkeypatch.setenv("LAMIN_REGISTRY_INSTANCE_MY_LAB", fresh_url)
    code, out, _ = run("check", "--url", "my-lab")  # options after the command work too
    assert code == 0 and "up to date" in out


def test_unreachable_server_exits_1_without_traceback(run: Run, backend: str) -> None:
    url = "postgresql+psycopg://lamin:hidden@127.0.0.1:1/nothing"
    code, _, err = run("--url", url, "current")
    assert code == 1 and "Cannot connect" in err
    assert "hidden" not in err and "Traceback" not in err


# -- info ----------------------------------------------------------------------------------


def test_info_shows_url_without_password_revision_user_and_counts(
    run: Run, fresh_url: str
) -> None:
    seed_features(fresh_url)
    code, out, _ = run("--url", fresh_url, "info")
    assert code == 0, out
    assert f"revision:  {lr.migrate.head()} (head: {lr.migrate.head()}, up to date)" in out
    assert "user:      alice (id 1; instance creator: alice)" in out
    password = sa.make_url(fresh_url).password
    if password:
        assert f":{password}@" not in out and "***" in out
    counts = dict(
        line.split()[:2] for line in out.splitlines() if line[:1].isupper() and " " in line
    )
    assert counts["Feature"] == "3" and counts["Branch"] == "5" and counts["ULabel"] == "0"


def test_read_commands_write_nothing(run: Run, fresh_url: str, tmp_path: Path) -> None:
    seed_features(fresh_url)
    (tmp_path / "in.csv").write_text("c\nt cell\n")
    for argv in (
        ["info"], ["search", "feature", "cell"],
        ["standardize", "feature", "in.csv", "--column", "c", "-o", "out.csv"],
    ):
        code, out, err = run("--url", fresh_url, "--user", "newcomer", *argv)
        assert code == 0, err
    code, out, _ = run("--url", fresh_url, "--user", "newcomer", "info")
    assert "user:      newcomer" in out
    assert user_handles(fresh_url) == ["alice"]  # newcomer existed only in rolled-back sessions


# -- search --------------------------------------------------------------------------------


def test_search_prints_a_ranked_table(run: Run, fresh_url: str) -> None:
    seed_features(fresh_url)
    code, out, err = run("--url", fresh_url, "search", "feature", "T cell")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["name", "uid", "score"]
    assert lines[2].startswith("T cell ") and lines[2].endswith("100.0")
    assert lines[3].startswith("T cell receptor ")
    code, out, _ = run("--url", fresh_url, "search", "FEATURE", "tcell", "--limit", "1")
    assert code == 0 and len(out.splitlines()) == 3 and "T cell" in out  # via the synonym
    code, out, err = run("--url", fresh_url, "search", "Feature", "zzzzzz")
    assert code == 0 and out == "" and "No Feature record matches 'zzzzzz'" in err


def test_search_with_field_shows_it(run: Run, fresh_url: str) -> None:
    seed_features(fresh_url)
    code, out, _ = run("--url", fresh_url, "search", "user", "ali", "--field", "handle")
    assert code == 0 and out.splitlines()[0].split() == ["handle", "uid", "score"]
    assert "alice" in out
    code, out, err = run("--url", fresh_url, "search", "jsonvalue", "x")  # an alias
    assert code == 0 and out == "" and "No FeatureValue record matches 'x'" in err


def test_search_rejects_unknown_registry_and_field(run: Run, fresh_url: str) -> None:
    seed_features(fresh_url)
    code, out, err = run("--url", fresh_url, "search", "cells", "x")
    assert code == 2 and out == ""
    assert "Unknown registry 'cells'" in err and "ULabel" in err and "Feature" in err
    code, _, err = run("--url", fresh_url, "search", "feature", "x", "--field", "nope")
    assert code == 2 and "nope" in err and "Traceback" not in err


# -- standardize -----------------------------------------------------------------------------

CSV_IN = 'id,cell_type,code\n1,t cell,007\n2,T-cell,"a,b"\n3,B cell,\n4,unknown,x\n'


def files(directory: Path) -> list[str]:
    """The files in ``directory`` other than a SQLite test database (``lr_*``)."""
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("lr_"))


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as file:
        return list(csv.reader(file))


def test_standardize_writes_output_and_keeps_input(
    run: Run, fresh_url: str, tmp_path: Path
) -> None:
    seed_features(fresh_url)
    source = tmp_path / "in.csv"
    source.write_text(CSV_IN)
    code, out, err = run(
        "--url", fresh_url, "standardize", "feature", str(source), "--column", "cell_type",
        "--output", "out.csv",
    )
    assert code == 0, err
    assert "standardized 2 of 4 values" in out and "'T-cell' -> 'T cell'" in out
    assert "1 distinct value is not in Feature: 'unknown'" in out
    assert source.read_text() == CSV_IN
    assert read_rows(tmp_path / "out.csv") == [
        ["id", "cell_type", "code"],
        ["1", "T cell", "007"],
        ["2", "T cell", "a,b"],
        ["3", "B cell", ""],
        ["4", "unknown", "x"],
    ]


def test_standardize_defaults_to_stdout(run: Run, fresh_url: str, tmp_path: Path) -> None:
    seed_features(fresh_url)
    (tmp_path / "in.csv").write_text(CSV_IN)
    code, out, err = run(
        "--url", fresh_url, "standardize", "Feature", "in.csv", "--column", "cell_type",
        "--new-column", "standard",
    )
    assert code == 0 and "standardized 2 of 4" in err  # the summary leaves stdout to the CSV
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["id", "cell_type", "code", "standard"]
    assert [row[1] for row in rows[1:]] == ["t cell", "T-cell", "B cell", "unknown"]
    assert [row[3] for row in rows[1:]] == ["T cell", "T cell", "B cell", "unknown"]
    assert (tmp_path / "in.csv").read_text() == CSV_IN
    assert files(tmp_path) == ["in.csv", "instances.toml"]


def test_standardize_in_place_only_when_asked(run: Run, fresh_url: str, tmp_path: Path) -> None:
    seed_features(fresh_url)
    source = tmp_path / "in.csv"
    source.write_text(CSV_IN)
    argv = ["--url", fresh_url, "standardize", "feature", "in.csv", "--column", "cell_type"]
    code, _, err = run(*argv, "--output", str(source))
    assert code == 2 and "--in-place" in err
    code, _, err = run(*argv, "--output", "o.csv", "--in-place")
    assert code == 2
    assert source.read_text() == CSV_IN
    code, out, _ = run(*argv, "--in-place")
    assert code == 0 and "in.csv" in out
    assert [row[1] for row in read_rows(source)] == ["cell_type", "T cell", "T cell", "B cell",
                                                      "unknown"]
    assert files(tmp_path) == ["in.csv", "instances.toml"]


def test_standardize_input_errors_exit_2(run: Run, fresh_url: str, tmp_path: Path) -> None:
    seed_features(fresh_url)
    (tmp_path / "in.csv").write_text(CSV_IN)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "latin1.csv").write_bytes(b"c\ncaf\xe9\n")
    base = ["--url", fresh_url, "standardize"]
    cases = {
        ("feature", "missing.csv", "--column", "c"): "does not exist",
        ("feature", "in.csv", "--column", "nope"): "has no column 'nope'. Its columns: 'id'",
        ("feature", "empty.csv", "--column", "c"): "is empty",
        ("feature", "latin1.csv", "--column", "c"): "not UTF-8",
        ("feature", str(tmp_path), "--column", "c"): "is not a file",
        ("ulabel", "in.csv", "--column", "cell_type"): "cannot be standardized",
        ("feature", "in.csv", "--column", "cell_type", "--field", "uid"): "Only the name field",
        ("feature", "in.csv", "--column", "cell_type", "--new-column", "id"): "already has",
        ("nope", "in.csv", "--column", "cell_type"): "Unknown registry 'nope'",
    }
    for args, message in cases.items():
        code, _, err = run(*base, *args)
        assert code == 2, args
        assert message in err and "Traceback" not in err, (args, err)
    assert (tmp_path / "in.csv").read_text() == CSV_IN
    assert not (tmp_path / "missing.csv").exists()


cells = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r"),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(other=st.lists(cells, min_size=1, max_size=5))
def test_standardize_keeps_every_other_cell(
    run: Run, fresh_url: str, tmp_path: Path, other: list[str]
) -> None:
    """Quotes, commas, newlines and unicode in other columns come back as the same text."""
    if lr.migrate.current(fresh_url) is None:  # the first example seeds the database
        seed_features(fresh_url)
    source = tmp_path / "h.csv"
    values = ["t cell", "tcell", "B cell", "nope", ""]
    with source.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["other", "cell_type"])
        writer.writerows([[text, values[i % len(values)]] for i, text in enumerate(other)])
    before = read_rows(source)
    code, _, err = run(
        "--url", fresh_url, "standardize", "feature", str(source), "--column", "cell_type",
        "-o", str(tmp_path / "h_out.csv"),
    )
    assert code == 0, err
    after = read_rows(tmp_path / "h_out.csv")
    assert [row[0] for row in after] == [row[0] for row in before]
    expected = {"t cell": "T cell", "tcell": "T cell", "B cell": "B cell", "nope": "nope", "": ""}
    assert [row[1] for row in after[1:]] == [expected[row[1]] for row in before[1:]]


# -- the installed console script and python -m ----------------------------------------------


def test_console_script_exit_codes(fresh_url: str, tmp_path: Path) -> None:
    assert SCRIPT.exists(), "reinstall: .venv/bin/pip install -e ."
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMIN_REGISTRY_")}

    def script(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *argv], capture_output=True, text=True, cwd=tmp_path, env=env,
            timeout=120,
        )

    done = script("init", fresh_url, "--user", "alice")
    assert done.returncode == 0, done.stderr
    done = script("--url", fresh_url, "search", "nope", "x")
    assert done.returncode == 2
    assert done.stderr.startswith("lamin-registry: error: Unknown registry 'nope'")
    assert "Traceback" not in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "lamin_registry", "--url", fresh_url, "check"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )
    assert done.returncode == 0 and "up to date" in done.stdout
