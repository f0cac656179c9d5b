"""Where each host's feature values live, in lamindb's own tables (reference §1.1).

* Record: JSON values inline in ``lamindb_recordjson`` (one row per record and feature);
  categorical values in ``lamindb_record<target>`` (``record_id``, ``feature_id``, ``value_id``).
* Run: JSON values in the shared ``lamindb_jsonvalue`` linked by ``lamindb_runjsonvalue``;
  categorical values only in ``lamindb_runrecord`` (``run_id``, ``record_id``, ``feature_id``).
* Artifact: JSON values like Run's (``lamindb_artifactjsonvalue``); categorical values in
  ``lamindb_artifact<target>`` (``artifact_id``, ``<target>_id``, ``feature_id``).

Everything here is derived from the link metadata, so readers, writers and queries share one
description of the shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from ..errors import InvalidArgument

HOSTS = ("Record", "Run", "Artifact")


@dataclass(frozen=True)
class CatLink:
    """A categorical value table: ``table.c[host_column]`` -> ``table.c[value_column]``."""

    table: Any
    host_column: str
    value_column: str
    target: str  # the registry name of the value


@dataclass(frozen=True)
class HostTables:
    """The value tables of one host registry."""

    host: str
    json_table: Any  # recordjson, or the host-jsonvalue link table
    json_host_column: str
    inline_json: bool  # True: json_table holds value + feature_id (Record)
    cat_links: dict[str, CatLink]  # by target registry name

    def cat_link(self, target: str, feature_name: str) -> CatLink:
        link = self.cat_links.get(target)
        if link is None:
            raise InvalidArgument(
                f"A {self.host} cannot hold {target} values (feature {feature_name!r}): lamindb "
                f"stores categorical {self.host} values only for "
                f"{', '.join(sorted(self.cat_links)) or 'no registry'}"
            )
        return link


@cache
def host_tables(host: str) -> HostTables:
    """The :class:`HostTables` of ``Record``, ``Run`` or ``Artifact``."""
    from ..models import links  # noqa: F401 - the link tables are defined there
    from ..models.base import metadata
    from .dtypes import CAT_REGISTRIES

    if host not in HOSTS:
        raise InvalidArgument(f"Features annotate Record, Run and Artifact only, not {host}")
    tables = metadata.tables
    name = host.lower()
    cat_links: dict[str, CatLink] = {}
    for target in CAT_REGISTRIES:
        lower = target.lower()
        if host == "Record":
            table = tables.get(f"lamindb_record{lower}")
            if table is not None:
                cat_links[target] = CatLink(table, "record_id", "value_id", target)
            continue
        table = tables.get(f"lamindb_{name}{lower}")
        if table is None or "feature_id" not in table.c or lower == name:
            continue
        cat_links[target] = CatLink(table, f"{name}_id", f"{lower}_id", target)
    if host == "Record":
        return HostTables(host, tables["lamindb_recordjson"], "record_id", True, cat_links)
    return HostTables(host, tables[f"lamindb_{name}jsonvalue"], f"{name}_id", False, cat_links)


def host_name(model: type) -> str:
    """``"Record"``/``"Run"``/``"Artifact"`` for a host class (subclasses included)."""
    for klass in model.__mro__:
        if klass.__name__ in HOSTS and klass.__module__.startswith("lamin_registry.models"):
            return klass.__name__
    raise InvalidArgument(f"Features annotate Record, Run and Artifact only, not {model.__name__}")
