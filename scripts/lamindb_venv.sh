#!/usr/bin/env bash
# Create (or reuse) a virtual environment holding the real lamindb, for the interop tests
# (tests/test_lamindb_interop.py, marker `lamindb`). lamindb runs there in subprocesses; it is
# never installed into the project's own .venv.
#   usage: scripts/lamindb_venv.sh        prints the venv's python on the last line
# Env: LR_LAMINDB_VENV (default /tmp/lamindb-venv), LR_LAMINDB_VERSION (default 2.12.1).
set -euo pipefail
venv=${LR_LAMINDB_VENV:-/tmp/lamindb-venv}
version=${LR_LAMINDB_VERSION:-2.12.1}
python=$venv/bin/python
if [ -x "$python" ] && "$python" -c "import importlib.metadata as m, sys; sys.exit(m.version('lamindb') != '$version')" 2>/dev/null; then
  echo "lamindb $version already in $venv" >&2
else
  [ -x "$python" ] || python3 -m venv "$venv"
  "$python" -m pip install -q --disable-pip-version-check "lamindb==$version" >&2
fi
echo "$python"
