#!/usr/bin/env bash
# The project's test command: install into .venv, start a local PostgreSQL,
# run pytest on SQLite + PostgreSQL, the schema drift check, then ruff and mypy.
#   usage: scripts/test.sh [pytest args...]
# Env: LR_TEST_WORKERS=N runs the default suite in N processes (default: one per core; 0: one process).
#      LR_PG_STOP=1 stops the PostgreSQL server at the end (default: leave it running for reuse).
#      LR_SKIP_LAMINDB=1 skips the lamindb interop step (it installs lamindb into its own venv,
#      scripts/lamindb_venv.sh, ~5 min the first time, then runs ~4 min).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n===== %s =====\n' "$*"; }

step "venv + pip install -e .[dev]"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'

step "PostgreSQL"
bash scripts/pg.sh start
if [ "${LR_PG_STOP:-0}" = 1 ]; then trap 'bash scripts/pg.sh stop' EXIT; fi
url=$(bash scripts/pg.sh url)
export LAMIN_REGISTRY_TEST_PG_URL=$url
echo "LAMIN_REGISTRY_TEST_PG_URL=$LAMIN_REGISTRY_TEST_PG_URL"

# Run every check even if an earlier one fails; exit non-zero if any failed.
# (pytest exit code 5, "no tests collected", counts as a failure.)
failed=()
# The default suite runs on every core (pytest-xdist; LR_TEST_WORKERS=0 runs it in one process):
# every test makes its own database, so workers never share state.
step "pytest (SQLite + PostgreSQL, ${LR_TEST_WORKERS:-auto} workers)"
.venv/bin/python -m pytest -n "${LR_TEST_WORKERS:-auto}" "$@" || failed+=(pytest)
step "pytest system tests (-m system: racing processes, the built wheel, migration walks)"
.venv/bin/python -m pytest -m system "$@" || failed+=(pytest-system)
if [ "${LR_SKIP_LAMINDB:-0}" != 1 ]; then
  # the real lamindb in its own venv (never in .venv); the default run above deselects these
  step "lamindb interop (tests/test_lamindb_interop.py, -m lamindb)"
  if LR_LAMINDB_PYTHON=$(bash scripts/lamindb_venv.sh | tail -n 1); then
    export LR_LAMINDB_PYTHON
    .venv/bin/python -m pytest -m lamindb tests/test_lamindb_interop.py || failed+=(lamindb-interop)
  else
    failed+=(lamindb-venv)
  fi
fi
step "lr.migrate.check: upgraded schema matches the models (SQLite + PostgreSQL)"
.venv/bin/python scripts/check_schema.py "$url" || failed+=(migrate-check)
step "ruff check"
.venv/bin/ruff check . || failed+=(ruff)
step "mypy"
.venv/bin/mypy || failed+=(mypy)

step "summary"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all checks passed"
