"""Link tables between registries, named and shaped as in lamindb (reference §1.16).

They are plain ``Table`` objects: relationships reach them through ``secondary=`` by table
name, so the model modules only say which link a collection uses.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .actor import current_run_id, current_user_id
from .base import metadata
from .types import JSONType, PortableIndex, UTCDateTime, fk, partial_index_where, utcnow

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The id type of each registry's primary key (lamindb: bigint for Run and JsonValue).
_ID_TYPES: dict[str, type[sa.types.TypeEngine[int]]] = {
    "run": sa.BigInteger,
    "block": sa.BigInteger,
    "jsonvalue": sa.BigInteger,
    "space": sa.SmallInteger,
}


def _ref(
    model: str,
    column: str | None = None,
    *,
    cascade: bool,
    nullable: bool = False,
    use_alter: bool = False,
    default: Any = None,
) -> sa.Column[int]:
    """A foreign key column ``<model>_id`` (or ``column``) to ``lamindb_<model>.id``."""
    return sa.Column(
        column or f"{model}_id",
        _ID_TYPES.get(model, sa.Integer)(),
        fk(f"lamindb_{model}.id", cascade=cascade, use_alter=use_alter),
        nullable=nullable,
        index=True,
        default=default,
    )


def _tracking(run: bool) -> list[sa.Column[object]]:
    columns: list[sa.Column[object]] = [
        sa.Column(
            "created_at",
            UTCDateTime,
            nullable=False,
            index=True,
            default=utcnow,
            server_default=sa.func.now(),
        ),
        sa.Column(
            "created_by_id",
            sa.Integer,
            fk("lamindb_user.id"),
            nullable=False,
            index=True,
            default=current_user_id,  # the acting repository's user (models/actor.py)
        ),
    ]
    if run:
        run_id = _ref("run", cascade=False, nullable=True, use_alter=True, default=current_run_id)
        columns.append(run_id)  # type: ignore[arg-type]
    return columns


def annotation_link(
    owner: str, target: str, *, target_cascade: bool = False, name: str | None = None
) -> sa.Table:
    """(a) An owner-target link with an optional feature and two partial unique indexes."""
    name = name or f"lamindb_{owner}{target}"
    owner_col, target_col = f"{owner}_id", f"{target}_id"
    table = sa.Table(
        name,
        metadata,
        sa.Column("id", _BIG_ID, primary_key=True),
        *_tracking(run="run" not in (owner, target)),
        _ref(owner, cascade=True),
        _ref(target, cascade=target_cascade),
        _ref("feature", cascade=False, nullable=True),
    )
    with_feature = table.c.feature_id.isnot(None)
    without_feature = table.c.feature_id.is_(None)
    PortableIndex(
        f"unique_{name}",
        table.c[owner_col],
        table.c[target_col],
        table.c.feature_id,
        unique=True,
        dialect_options=partial_index_where(with_feature),
    )
    PortableIndex(
        f"unique_{name}_null_feature",
        table.c[owner_col],
        table.c[target_col],
        unique=True,
        dialect_options=partial_index_where(without_feature),
    )
    return table


def tracked_link(owner: str, target: str, *, feature: bool = False) -> sa.Table:
    """(b) A tracked owner-target pair, unique on the pair."""
    extra = [_ref("feature", cascade=False, nullable=True)] if feature else []
    return sa.Table(
        f"lamindb_{owner}{target}",
        metadata,
        sa.Column("id", _BIG_ID, primary_key=True),
        *_tracking(run="run" not in (owner, target)),
        _ref(owner, cascade=True),
        _ref(target, cascade=False),
        *extra,
        sa.UniqueConstraint(f"{owner}_id", f"{target}_id"),
    )


def record_value_link(target: str) -> sa.Table:
    """(c) A record's feature value pointing at a record of another registry."""
    return sa.Table(
        f"lamindb_record{target}",
        metadata,
        sa.Column("id", _BIG_ID, primary_key=True),
        _ref("record", cascade=True),
        _ref("feature", cascade=False),
        _ref(target, "value_id", cascade=False),
        sa.UniqueConstraint("record_id", "feature_id", "value_id"),
    )


def plain_link(name: str, a: sa.Column[int], b: sa.Column[int]) -> sa.Table:
    """(d) An untracked pair of cascading keys, unique on the pair."""
    return sa.Table(
        f"lamindb_{name}",
        metadata,
        sa.Column("id", _BIG_ID, primary_key=True),
        a,
        b,
        sa.UniqueConstraint(a.name, b.name),
    )


# (a) annotation links
for _owner, _target in [
    ("artifact", "ulabel"),
    ("artifact", "record"),
    ("artifact", "project"),
    ("artifact", "reference"),
    ("artifact", "user"),
    ("run", "record"),
    ("transform", "record"),
    ("collection", "record"),
]:
    annotation_link(_owner, _target)
# lamindb names these two after the target first
annotation_link("record", "project", name="lamindb_projectrecord")
annotation_link("record", "reference", name="lamindb_referencerecord")
annotation_link("artifact", "run", target_cascade=True)

# (b) tracked pairs
for _owner, _target in [
    ("artifact", "jsonvalue"),
    ("run", "jsonvalue"),
    ("transform", "ulabel"),
    ("run", "ulabel"),
    ("collection", "artifact"),
    ("transform", "reference"),
    ("collection", "reference"),
    ("ulabel", "project"),
    ("transform", "project"),
    ("run", "project"),
    ("feature", "project"),
    ("schema", "project"),
    ("collection", "project"),
]:
    tracked_link(_owner, _target)
tracked_link("collection", "ulabel", feature=True)

# (c) record value links
for _target in [
    "ulabel",
    "record",
    "user",
    "run",
    "transform",
    "artifact",
    "collection",
    "reference",
    "project",
]:
    record_value_link(_target)

recordjson = sa.Table(
    "lamindb_recordjson",
    metadata,
    sa.Column("id", _BIG_ID, primary_key=True),
    _ref("record", cascade=True),
    _ref("feature", cascade=False),
    sa.Column("value", JSONType, nullable=False),
    sa.UniqueConstraint("record_id", "feature_id"),
)

# (d) plain many-to-many tables (the ``*_parents`` tables come from HasParents)
plain_link(
    "project_predecessors",
    _ref("project", "from_project_id", cascade=True),
    _ref("project", "to_project_id", cascade=True),
)
plain_link("project_references", _ref("project", cascade=True), _ref("reference", cascade=True))
for _model in ["record", "artifact", "collection"]:
    plain_link(f"{_model}_input_of_runs", _ref(_model, cascade=True), _ref("run", cascade=True))

# team membership (lamin_registry's own; lamindb leaves teams to its hosted service)
sa.Table(
    "lamindb_teamuser",
    metadata,
    sa.Column("id", _BIG_ID, primary_key=True),
    _ref("team", cascade=True),
    _ref("user", cascade=True),
    sa.UniqueConstraint("team_id", "user_id"),
)

# (e) other links
sa.Table(
    "lamindb_schemafeature",
    metadata,
    sa.Column("id", _BIG_ID, primary_key=True),
    _ref("schema", cascade=True),
    _ref("feature", cascade=False),
    sa.UniqueConstraint("schema_id", "feature_id"),
)
for _owner in ["branch", "project"]:
    sa.Table(
        f"lamindb_{_owner}user",
        metadata,
        sa.Column("id", _BIG_ID, primary_key=True),
        _ref(_owner, cascade=True),
        _ref("user", cascade=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.UniqueConstraint(f"{_owner}_id", "user_id", "role"),
    )
for _target in ["ulabel", "project"]:
    plain_link(f"branch{_target}", _ref("branch", cascade=True), _ref(_target, cascade=True))
sa.Table(
    "lamindb_transformtransform",
    metadata,
    sa.Column("id", _BIG_ID, primary_key=True),
    *_tracking(run=True),
    _ref("transform", "successor_id", cascade=True),
    _ref("transform", "predecessor_id", cascade=True),
    sa.Column("config", JSONType),
    sa.UniqueConstraint("successor_id", "predecessor_id"),
)
sa.Table(
    "lamindb_schemacomponent",
    metadata,
    sa.Column("id", _BIG_ID, primary_key=True),
    *_tracking(run=True),  # lamindb's columns (0006_lamindb_columns)
    _ref("schema", "composite_id", cascade=True),
    _ref("schema", "component_id", cascade=False),
    sa.Column("slot", sa.String(255)),
    sa.UniqueConstraint("composite_id", "slot"),
    sa.UniqueConstraint("composite_id", "slot", "component_id"),
)
sa.Table(
    "lamindb_artifactschema",
    metadata,
    sa.Column("id", _BIG_ID, primary_key=True),
    *_tracking(run=True),
    _ref("artifact", cascade=True),
    _ref("schema", cascade=False),
    sa.Column("slot", sa.String(255)),
    sa.Column("feature_ref_is_semantic", sa.Boolean),
    sa.UniqueConstraint("artifact_id", "slot"),
    sa.UniqueConstraint("artifact_id", "slot", "schema_id"),
)
