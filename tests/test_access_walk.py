"""Access control on every public path, for a user with no access, read, write and admin.

One world per backend: alice (user 1, the instance's creator) owns a space ``lab`` that holds
a secret label (a child of a public label), a secret type (of a public label), a secret
artifact (linked to a public label), a secret feature value (of a public feature, linked to
a public artifact) and a secret record. Four users act on it: ``nobody`` (no role on
``lab``), ``reader``, ``writer`` and ``labadmin``. On PostgreSQL the library connects
through ``lamin_app``, a role that owns nothing and is subject to row-level security.

Read paths walked (each must show the secret rows exactly to users who may read ``lab``):
  filter / exclude / Q / raw SQLAlchemy conditions (relationship ``any``/``has`` and a
  non-correlated EXISTS), relationship paths of every kind (to-many ``children__``, to-one
  ``type__``, through a link table ``artifacts__``, nested ``children__parents__``), order_by
  with a subquery, include= paths, to_dataframe(features=True), get by id / uid / uid prefix
  / name, search (SQL and, on SQLite, the in-process copy), lookup, validate (and its
  copy of visible values), inspect,
  standardize, from_values, feature values
  (get_or_create_feature_value, get_values, feature keywords in filter, to_dataframe
  features=[...]), hierarchies (query_parents/children, view_parents, query_types),
  Query.values_list, relationship traversal (lazy collections), related managers
  (``children.all/filter/count/exists``, ``repo.related`` of a record loaded elsewhere,
  ``space.ulabel_set``) and ``Model.objects``, refresh, blocks (attached
  blocks through their owner's space: filter, get, relationship paths, space.blocks, notes,
  describe(include="comments");
  a Block in the space),
  using(), the async facade, the CLI (search).
Write paths walked (each refused with a lamin_registry.errors class unless the role allows):
  save into the space, edit of a record loaded elsewhere, move by ``space=`` (relationship)
  and ``space_id``, link append/remove (``children``, ``artifacts``), related managers
  (``add`` by record and by id, ``remove``, ``set``, ``clear``, ``space.ulabel_set.add``),
  bulk save, soft delete / archive / restore of records and of queries (version families
  too), permanent delete, merge of a branch (into main and into a named branch),
  feature values in the space, feature annotation (a hidden host, a hidden label value),
  blocks (readme/comment on a hidden record and on the space, a Block in the space, a new
  readme version, deleting an attached block, merging a branch with blocks),
  grant/revoke, user edits (own name, own handle, another
  user's handle), space edits (rename, creator), teams and memberships, SpaceAccess rows,
  ORM UPDATE/DELETE statements through the session, query deletes of governance rows.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry.errors import (
    DoesNotExist,
    IntegrityError,
    InvalidArgument,
    LaminRegistryError,
)
from lamin_registry.models.core import SpaceAccess
from tests.conftest import fresh_database, rolled_back_repository

ROLES = ("nobody", "reader", "writer", "labadmin")
READS = {"reader", "writer", "labadmin"}
WRITES = {"writer", "labadmin"}
ADMINS = {"labadmin"}


@dataclass
class World:
    inst: lr.Instance
    url: str
    lab_id: int
    ids: dict[str, int]
    uids: dict[str, str]


def _as_application_role(url: str) -> str:
    """Let ``lamin_app`` (no owner, no superuser, RLS applies) use the database."""
    lr.rls.grant_application_role(url, "lamin_app")
    return (
        sa.make_url(url)
        .set(username="lamin_app", password="lamin_app")
        .render_as_string(hide_password=False)
    )


@pytest.fixture(scope="module")
def world(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with fresh_database(backend, tmp_path_factory.mktemp("walk")) as url:
        lr.connect(url, user="alice").close()  # the owner migrates and seeds
        app_url = _as_application_role(url) if backend == "postgresql" else url
        inst = lr.connect(app_url, user="alice")
        with inst.session() as alice:
            lab = alice.save(lr.Space(name="lab"))
            parent = alice.save(lr.ULabel(name="public parent"))
            secret = alice.save(lr.ULabel(name="secret child", space=lab))
            secret.parents.append(parent)
            secret_feature = alice.save(lr.Feature(name="secret feat", dtype=str, space=lab))
            alice.add_synonym(secret_feature, "hush")
            grandchild = alice.save(lr.ULabel(name="public grandchild"))
            grandchild.parents.append(secret)
            sectype = alice.save(lr.ULabel(name="secret type", is_type=True, space=lab))
            typed = alice.save(lr.ULabel(name="public typed", type=sectype))
            storage = alice.save(lr.Storage(root="/walk", type="local"))
            artifact = alice.save(lr.Artifact(key="secret.csv", storage=storage, space=lab))
            tagged = alice.save(lr.ULabel(name="public tagged"))
            artifact.ulabels.append(tagged)
            public_artifact = alice.save(lr.Artifact(key="public.csv", storage=storage))
            feature = alice.save(lr.Feature(name="pubfeat", dtype=str))
            value, _ = alice.get_or_create_feature_value(feature, "secret value")
            value.space_id = lab.id
            value.artifacts.append(public_artifact)
            record = alice.save(lr.Record(name="secret record", space=lab))
            alice.save(lr.Feature(name="tag", dtype=lr.ULabel))
            public_record = alice.save(
                lr.Record(name="public record", features={"tag": "secret child"})
            )
            team = alice.save(lr.Team(name="wetlab"))
            record_readme = alice.add_block(record, "secret readme")
            space_readme = alice.add_block(lab, "lab readme")
            block = alice.save(lr.Block(key="README.md", content="secret page", kind="readme",
                                        space=lab))
            for user in ROLES:
                alice.session.add(lr.User(handle=user))
            alice.session.flush()
            for user, role in (("reader", "read"), ("writer", "write"), ("labadmin", "admin")):
                alice.grant(user, lab, role)
            objects = {
                "parent": parent,
                "secret": secret,
                "grandchild": grandchild,
                "sectype": sectype,
                "typed": typed,
                "artifact": artifact,
                "tagged": tagged,
                "public_artifact": public_artifact,
                "feature": feature,
                "value": value,
                "record": record,
                "public_record": public_record,
                "team": team,
                "record_readme": record_readme,
                "space_readme": space_readme,
                "block": block,
            }
            alice.session.flush()
            ids = {name: obj.id for name, obj in objects.items()}
            uids = {name: obj.uid for name, obj in objects.items() if hasattr(obj, "uid")}
            lab_id = lab.id
        yield World(inst, app_url, lab_id, ids, uids)
        inst.close()


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def elsewhere(world: World) -> dict[str, Any]:
    """Secret rows as loaded by alice in a session of her own, closed since (SQLite
    sessions in one thread do not nest: this runs before the role's session opens)."""
    models = {"secret": lr.ULabel, "artifact": lr.Artifact, "record": lr.Record}
    with world.inst.session() as alice:
        return {name: alice.get(model, world.ids[name]) for name, model in models.items()}


@pytest.fixture
def repo_as(world: World, role: str, elsewhere: dict[str, Any]) -> Iterator[lr.Repository]:
    """The role's repository; whatever it writes is rolled back."""
    with rolled_back_repository(world.inst, user=role) as repository:
        repository.session.info["walk_elsewhere"] = elsewhere
        yield repository


def secret_of(world: World, repo: lr.Repository, name: str = "secret") -> Any:
    """A secret row loaded by another session (see :func:`elsewhere`)."""
    return repo.session.info["walk_elsewhere"][name]


# -- reads ----------------------------------------------------------------------------------


def names(query: Any) -> set[str]:
    return {record.name for record in query}


RELATED_FILTERS: list[tuple[str, Callable[[], dict[str, Any]], str]] = [
    ("to-many", lambda: {"children__name": "secret child"}, "public parent"),
    ("to-many prefix", lambda: {"children__name__startswith": "secret c"}, "public parent"),
    ("to-one", lambda: {"type__name__startswith": "secret"}, "public typed"),
    ("link table", lambda: {"artifacts__key": "secret.csv"}, "public tagged"),
    ("nested", lambda: {"parents__parents__name": "public parent"}, "public grandchild"),
    ("reverse nested", lambda: {"parents__name": "secret child"}, "public grandchild"),
    (
        "isnull",
        lambda: {"parents__isnull": False, "name": "public grandchild"},
        "public grandchild",
    ),
]


@pytest.mark.parametrize("case", RELATED_FILTERS, ids=[case[0] for case in RELATED_FILTERS])
def test_filters_across_relationships(repo_as: lr.Repository, role: str, case: Any) -> None:
    _, expressions, public = case
    visible = role in READS
    found = names(repo_as.filter(lr.ULabel, **expressions()))
    assert (public in found) is visible
    found_q = names(repo_as.filter(lr.ULabel, lr.Q(**expressions()) | lr.Q(name="nothing")))
    assert (public in found_q) is visible
    excluded = names(repo_as.exclude(lr.ULabel, **expressions()))
    assert (public in excluded) is not visible


def test_raw_conditions_with_subqueries(repo_as: lr.Repository, role: str) -> None:
    visible = role in READS
    child_is_secret = lr.ULabel.children.any(lr.ULabel.name == "secret child")
    assert ("public parent" in names(repo_as.filter(lr.ULabel, child_is_secret))) is visible
    type_is_secret = lr.ULabel.type.has(lr.ULabel.name.startswith("secret"))
    assert ("public typed" in names(repo_as.filter(lr.ULabel, type_is_secret))) is visible
    anywhere = sa.exists(
        sa.select(lr.ULabel.id).where(lr.ULabel.name == "secret child").correlate(None)
    )
    assert bool(names(repo_as.filter(lr.ULabel, anywhere))) is visible
    derived = sa.select(lr.ULabel.id).where(lr.ULabel.name == "secret child").subquery()
    with pytest.raises(InvalidArgument, match="cannot be checked"):
        repo_as.filter(lr.ULabel, sa.exists(sa.select(derived.c.id))).all()


def test_order_by_subquery_does_not_leak(repo_as: lr.Repository, role: str) -> None:
    secret_first = (
        sa.select(sa.func.count()).where(lr.ULabel.name == "secret child").scalar_subquery().desc()
    )
    rows = repo_as.filter(lr.ULabel, name__startswith="public").order_by(secret_first).all()
    assert {r.name for r in rows} >= {"public parent", "public typed"}


def test_include_and_features_in_dataframes(repo_as: lr.Repository, role: str) -> None:
    visible = role in READS
    frame = repo_as.to_dataframe(lr.ULabel, include=["children__name", "type__name"], limit=None)
    parent = frame[frame["name"] == "public parent"].iloc[0]
    assert ("secret child" in parent["children__name"]) is visible
    typed = frame[frame["name"] == "public typed"].iloc[0]
    assert (typed["type__name"] == "secret type") is visible
    artifacts = repo_as.to_dataframe(lr.Artifact, features=True, limit=None)
    assert ("secret.csv" in set(artifacts["key"])) is visible
    values = artifacts.get("pubfeat")
    shown = set() if values is None else {v for v in values if isinstance(v, str)}
    assert ("secret value" in shown) is visible


def test_get_by_id_uid_prefix_and_name(world: World, repo_as: lr.Repository, role: str) -> None:
    visible = role in READS
    lookups = [
        (world.ids["secret"],),
        (world.uids["secret"],),
        (world.uids["secret"][:5],),
    ]
    for args in lookups:
        if visible:
            assert repo_as.get(lr.ULabel, *args).name == "secret child"
        else:
            with pytest.raises(DoesNotExist):
                repo_as.get(lr.ULabel, *args)
    if visible:
        assert repo_as.get(lr.ULabel, name="secret child").id == world.ids["secret"]
    else:
        with pytest.raises(DoesNotExist):
            repo_as.get(lr.ULabel, name="secret child")


def test_curation_paths(
    repo_as: lr.Repository, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    visible = role in READS
    assert ("secret child" in {r.name for r in repo_as.search(lr.ULabel, "secret")}) is visible
    from lamin_registry.curation import search_memory

    monkeypatch.setattr(search_memory, "BUILD_AT_ONCE", True)  # SQLite: the in-process copy
    for text in ("secret", "secret child", "secrte chlid"):
        found = {r.name for r in repo_as.search(lr.ULabel, text)}
        assert ("secret child" in found) is visible
    lookup = repo_as.lookup(lr.ULabel)
    assert hasattr(lookup, "secret_child") is visible
    for _ in range(2):  # the second from the copy of visible values (curation/value_cache.py)
        assert bool(repo_as.validate(lr.ULabel, ["secret child"], mute=True)[0]) is visible
    inspected = repo_as.inspect(lr.ULabel, ["secret child"], mute=True)
    assert (inspected.validated == ["secret child"]) is visible
    standardized = repo_as.standardize(lr.Feature, ["hush", "HUSH"], mute=True)  # synonyms
    assert (standardized == ["secret feat", "secret feat"]) is visible
    found = repo_as.from_values(lr.ULabel, ["secret child"], mute=True)
    assert ([r.name for r in found] == ["secret child"]) is visible


def test_feature_values(world: World, repo_as: lr.Repository, role: str) -> None:
    feature = repo_as.get(lr.Feature, world.ids["feature"])
    if role in READS:
        value, existed = repo_as.get_or_create_feature_value(feature, "secret value")
        assert existed and value.id == world.ids["value"]
    else:
        with pytest.raises(IntegrityError, match="cannot read"):
            repo_as.get_or_create_feature_value(feature, "secret value")
    value, existed = repo_as.get_or_create_feature_value(feature, "public value")
    assert not existed and value.space_id == 1


def test_feature_values_of_a_public_record(
    world: World, repo_as: lr.Repository, role: str
) -> None:
    visible = role in READS
    record = repo_as.get(lr.Record, world.ids["public_record"])
    assert (record.features.get_values() == {"tag": "secret child"}) is visible
    found = repo_as.filter(lr.Record, tag="secret child")
    assert (found.count() == 1) is visible
    frame = repo_as.to_dataframe(lr.Record, features=["tag"], limit=None)
    cell = frame.loc[world.ids["public_record"]].get("tag") if "tag" in frame else None
    assert (cell == "secret child") is visible


def test_feature_annotation(world: World, repo_as: lr.Repository, role: str) -> None:
    secret = secret_of(world, repo_as, "record")
    expect(role, WRITES, lambda: repo_as.update_feature_values(secret, {"tag": "public parent"}))
    mine = repo_as.save(lr.Record(name=f"mine {role}"))
    hidden_label = lambda: repo_as.update_feature_values(mine, {"tag": "secret child"})  # noqa: E731
    expect(role, READS, hidden_label, ("ValidationError",))  # a label he cannot read: absent
    expect(role, ROLES_SET, lambda: repo_as.update_feature_values(mine, {"tag": "public parent"}))


def test_hierarchies(world: World, repo_as: lr.Repository, role: str) -> None:
    visible = role in READS
    grandchild = repo_as.get(lr.ULabel, world.ids["grandchild"])
    expected = {"secret child", "public parent"} if visible else set()
    assert names(grandchild.query_parents()) == expected
    parent = repo_as.get(lr.ULabel, world.ids["parent"])
    assert ("secret child" in names(parent.query_children())) is visible
    tree = parent.view_parents(with_children=True, return_str=True) or ""
    assert ("secret child" in tree) is visible
    typed = repo_as.get(lr.ULabel, world.ids["typed"])
    assert ([t.name for t in typed.query_types()] == ["secret type"]) is visible
    values = repo_as.filter(lr.ULabel, name__startswith="secret").values_list("name", flat=True)
    assert ("secret child" in values) is visible


def test_relationship_traversal(world: World, repo_as: lr.Repository, role: str) -> None:
    visible = role in READS
    parent = repo_as.get(lr.ULabel, world.ids["parent"])
    assert ("secret child" in {c.name for c in parent.children}) is visible
    tagged = repo_as.get(lr.ULabel, world.ids["tagged"])
    assert ("secret.csv" in {a.key for a in tagged.artifacts}) is visible


def test_related_managers_read(world: World, repo_as: lr.Repository, role: str) -> None:
    visible = role in READS
    parent = repo_as.get(lr.ULabel, world.ids["parent"])
    assert ("secret child" in names(parent.children.all())) is visible
    assert parent.children.filter(name="secret child").count() == (1 if visible else 0)
    assert parent.children.exists() is visible  # its only child is the secret one
    tagged = repo_as.get(lr.ULabel, world.ids["tagged"])
    assert tagged.artifacts.count() == (1 if visible else 0)
    lab = lab_of(world, repo_as)
    assert ("secret child" in lab.ulabel_set.values_list("name", flat=True)) is visible
    hidden_host = repo_as.related(secret_of(world, repo_as), "parents")  # loaded by alice
    assert names(hidden_host) == ({"public parent"} if visible else set())
    assert lr.ULabel.objects.filter(name="secret child").count() == (1 if visible else 0)


def test_blocks_are_read_through_their_owner(
    world: World, repo_as: lr.Repository, role: str
) -> None:
    visible = role in READS
    contents = set(repo_as.filter(lr.RecordBlock).values_list("content", flat=True))
    assert ("secret readme" in contents) is visible
    assert (repo_as.filter(lr.RecordBlock, record__name="secret record").count() == 1) is visible
    through = repo_as.filter(lr.Record, ablocks__content="secret readme", branch_id=None)
    assert (through.count() == 1) is visible
    lab = lab_of(world, repo_as)  # spaces themselves are readable by every user
    assert ("lab readme" in {b.content for b in lab.blocks}) is visible
    assert (repo_as.notes(lab) == "lab readme") is visible
    assert ("lab readme" in repo_as.describe(lab, include="comments")) is visible
    for model, name in ((lr.RecordBlock, "record_readme"), (lr.SpaceBlock, "space_readme"),
                        (lr.Block, "block")):
        if visible:
            assert repo_as.get(model, world.ids[name]).uid == world.uids[name]
        else:
            with pytest.raises(DoesNotExist):
                repo_as.get(model, world.ids[name])
            with pytest.raises(DoesNotExist):
                repo_as.get(model, world.uids[name])
    pages = set(repo_as.filter(lr.Block, key="README.md").values_list("content", flat=True))
    assert ("secret page" in pages) is visible


def test_blocks_are_written_through_their_owner(
    world: World, repo_as: lr.Repository, role: str
) -> None:
    record = secret_of(world, repo_as, "record")
    expect(role, WRITES, lambda: repo_as.add_block(record, "a comment", kind="comment"))
    expect(role, WRITES, lambda: repo_as.add_block(record, "secret readme v2"))  # new version
    expect(role, WRITES, lambda: repo_as.save(
        lr.RecordBlock(record_id=world.ids["record"], content="by id", kind="comment")
    ))
    lab = lab_of(world, repo_as)
    expect(role, WRITES, lambda: repo_as.add_block(lab, "lab readme v2"))
    expect(role, WRITES, lambda: repo_as.save(
        lr.Block(key="__lamindb_record__", content=f"page {role}", kind="readme", space=lab)
    ))
    mine = repo_as.save(lr.Record(name=f"own {role}"))
    expect(role, ROLES_SET, lambda: repo_as.add_block(mine, "my readme"))
    branch = repo_as.get(lr.Branch, 1)
    expect(role, ROLES_SET, lambda: repo_as.add_block(branch, f"main readme {role}"))

    def delete_readme() -> None:
        with world.inst.session() as alice:
            block = alice.get(lr.RecordBlock, world.ids["record_readme"])
        repo_as.delete(block)

    expect(role, WRITES, delete_readme)


def test_merge_of_a_branch_with_blocks(world: World, repo_as: lr.Repository, role: str) -> None:
    branch = repo_as.create_branch(f"k{uuid.uuid4().hex[:6]}")
    repo_as.switch_branch(branch)
    if role in WRITES:
        repo_as.add_block(secret_of(world, repo_as, "record"), "comment on branch", "comment")
    repo_as.add_block(repo_as.save(lr.Record(name=f"public {role}")), "public on branch")
    expect(role, ROLES_SET, lambda: repo_as.merge_branch(branch))


def test_refresh_of_a_record_loaded_elsewhere(
    world: World, repo_as: lr.Repository, role: str
) -> None:
    secret = secret_of(world, repo_as)
    if role in READS:
        repo_as.refresh(secret)
    else:
        with pytest.raises(DoesNotExist, match="not readable"):
            repo_as.refresh(secret)


def test_using_and_async(world: World, role: str) -> None:
    visible = role in READS
    with world.inst.session(user=role) as repo:
        other = repo.using(world.url)
        related = other.filter(lr.ULabel, children__name="secret child")
        assert ("public parent" in names(related)) is visible
        assert (other.filter(lr.ULabel, name="secret child").count() == 1) is visible

    async def walk() -> tuple[int, int]:
        inst = await lr.connect_async(world.url, user="alice")
        try:
            async with inst.session(user=role) as arepo:
                direct = await arepo.filter(lr.ULabel, name="secret child").count()
                related = await arepo.filter(lr.ULabel, children__name="secret child").count()
        finally:
            await inst.close()
        return direct, related

    try:
        direct, related = asyncio.run(walk())
    except AttributeError:
        pytest.fail("the async facade lost its query methods")
    assert direct == related == (1 if visible else 0)


def test_cli_search(world: World, role: str) -> None:
    env = {**os.environ, "LAMIN_REGISTRY_USER": role}
    out = subprocess.run(
        [sys.executable, "-m", "lamin_registry", "search", "ULabel", "secret", "--url", world.url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode in (0, 1), out.stderr
    assert ("secret child" in out.stdout) is (role in READS)
    assert "Traceback" not in out.stderr


# -- writes ---------------------------------------------------------------------------------


def outcome(action: Callable[[], object]) -> str:
    """``"ok"``, or the name of the library error the action raised."""
    try:
        action()
    except LaminRegistryError as error:
        return type(error).__name__
    return "ok"


def expect(
    role: str,
    allowed: set[str],
    action: Callable[[], object],
    refusals: tuple[str, ...] = ("NoWriteAccess", "DoesNotExist"),
) -> None:
    result = outcome(action)
    if role in allowed:
        assert result == "ok", f"{role}: {result}"
    else:
        assert result in refusals, f"{role}: {result}"


def lab_of(world: World, repo: lr.Repository) -> lr.Space:
    return repo.get(lr.Space, world.lab_id)


def test_save_into_the_space(world: World, repo_as: lr.Repository, role: str) -> None:
    expect(role, WRITES, lambda: repo_as.save(lr.ULabel(name="new", space_id=world.lab_id)))
    expect(role, WRITES, lambda: repo_as.save(lr.ULabel(name="new2", space=lab_of(world, repo_as))))
    bulk = [lr.ULabel(name=f"bulk {i}", space_id=world.lab_id) for i in range(3)]
    expect(role, WRITES, lambda: repo_as.save(bulk))
    expect(role, WRITES, lambda: repo_as.save(lr.Record(name="r", space_id=world.lab_id)))


def test_move_into_the_space(world: World, repo_as: lr.Repository, role: str) -> None:
    own = repo_as.save(lr.ULabel(name="mine"))

    def by_relationship() -> None:
        own.space = lab_of(world, repo_as)
        repo_as.save(own)

    expect(role, WRITES, by_relationship)


def test_move_by_column(world: World, repo_as: lr.Repository, role: str) -> None:
    own = repo_as.save(lr.ULabel(name="mine too"))

    def by_column() -> None:
        own.space_id = world.lab_id
        repo_as.save(own)

    expect(role, WRITES, by_column)


def test_edit_of_a_record_loaded_elsewhere(world: World, repo_as: lr.Repository, role: str) -> None:
    secret = secret_of(world, repo_as)
    secret.description = "edited"
    expect(role, WRITES, lambda: repo_as.save(secret))


def test_links(world: World, repo_as: lr.Repository, role: str) -> None:
    parent = repo_as.get(lr.ULabel, world.ids["typed"])
    secret = secret_of(world, repo_as)

    def append() -> None:
        parent.children.append(secret)  # the child owns the link: write on lab
        repo_as.session.flush()

    expect(role, WRITES, append)


def test_link_to_a_readable_label(world: World, repo_as: lr.Repository, role: str) -> None:
    own = repo_as.save(lr.ULabel(name="my child"))
    secret = secret_of(world, repo_as)

    def append() -> None:
        own.parents.append(secret)  # own owns the link; the other end needs reading only
        repo_as.session.flush()

    expect(role, READS, append)


def test_link_of_an_artifact(world: World, repo_as: lr.Repository, role: str) -> None:
    artifact = secret_of(world, repo_as, "artifact")
    own = repo_as.save(lr.ULabel(name="my tag"))

    def append() -> None:
        own.artifacts.append(artifact)  # the artifact owns lamindb_artifactulabel
        repo_as.session.flush()

    expect(role, WRITES, append)


def test_related_manager_writes(world: World, repo_as: lr.Repository, role: str) -> None:
    secret = secret_of(world, repo_as)
    typed = repo_as.get(lr.ULabel, world.ids["typed"])
    expect(role, WRITES, lambda: typed.children.add(secret))  # the child owns the link
    own = repo_as.save(lr.ULabel(name="my managed child"))
    expect(role, READS, lambda: own.parents.add(world.ids["secret"]))  # by id: reading suffices
    artifact = secret_of(world, repo_as, "artifact")
    expect(role, WRITES, lambda: own.artifacts.add(artifact))
    parent = repo_as.get(lr.ULabel, world.ids["parent"])
    expect(role, WRITES, lambda: parent.children.remove(secret))
    # nobody sees no child of the public parent: clearing or setting it is a no-op for him
    expect(role, WRITES | {"nobody"}, lambda: parent.children.set([]))
    expect(role, WRITES | {"nobody"}, parent.children.clear)
    mine = repo_as.save(lr.ULabel(name="moving by manager"))
    expect(role, WRITES, lambda: lab_of(world, repo_as).ulabel_set.add(mine))


def test_moves_and_deletes(world: World, repo_as: lr.Repository, role: str) -> None:
    secret = secret_of(world, repo_as)
    for action in ("delete", "archive", "restore"):
        expect(role, WRITES, lambda: getattr(repo_as, action)(secret))  # noqa: B023
    record = secret_of(world, repo_as, "record")
    expect(role, WRITES, lambda: repo_as.delete(record, permanent=True))


def test_query_moves_see_only_readable_rows(
    world: World, repo_as: lr.Repository, role: str
) -> None:
    query = repo_as.filter(lr.ULabel, name="secret child")
    expect(role, WRITES | {"nobody"}, query.delete)  # nobody's query is empty: a no-op
    count = repo_as.filter(lr.ULabel, name="secret child", branch_id=None).count()
    assert count == (1 if role in READS else 0)


def test_merge_of_a_branch(world: World, repo_as: lr.Repository, role: str) -> None:
    repo_as.create_branch(f"b{uuid.uuid4().hex[:6]}")
    branch = repo_as.switch_branch(
        repo_as.session.scalars(sa.select(lr.Branch).order_by(lr.Branch.id.desc())).first()
    )
    if role in WRITES:
        repo_as.save(lr.ULabel(name="on branch", space_id=world.lab_id))
    repo_as.save(lr.ULabel(name="public on branch"))
    expect(role, ROLES_SET, lambda: repo_as.merge_branch(branch))


ROLES_SET = set(ROLES)


def test_merge_into_a_named_branch(world: World, repo_as: lr.Repository, role: str) -> None:
    tag = uuid.uuid4().hex[:6]
    source, target = repo_as.create_branch(f"s{tag}"), repo_as.create_branch(f"t{tag}")
    repo_as.switch_branch(source)
    if role in WRITES:
        repo_as.save(lr.ULabel(name="in lab on source", space_id=world.lab_id))
    label = repo_as.save(lr.ULabel(name="public on source"))
    expect(role, ROLES_SET, lambda: repo_as.merge_branch(source, target=target))
    assert label.branch_id == target.id and repo_as.current_branch_id == source.id


def test_versioned_query_moves_in_the_space(
    world: World, repo_as: lr.Repository, role: str
) -> None:
    """A query delete and restore of a version family (``is_latest`` handed over and
    reconciled): the secret artifact's family moves only for writers."""
    query = repo_as.filter(lr.Artifact, key="secret.csv")
    expect(role, WRITES | {"nobody"}, query.delete)  # nobody's query is empty: a no-op
    trashed = repo_as.filter(lr.Artifact, key="secret.csv", branch_id=-1)
    assert trashed.count() == (1 if role in WRITES else 0)
    expect(role, ROLES_SET, trashed.restore)  # only writers have something to restore
    count = repo_as.filter(lr.Artifact, key="secret.csv", is_latest=True).count()
    assert count == (1 if role in READS else 0)


def test_feature_value_in_the_space(world: World, repo_as: lr.Repository, role: str) -> None:
    def create() -> None:
        feature = repo_as.get(lr.Feature, world.ids["feature"])
        value, _ = repo_as.get_or_create_feature_value(feature, f"v {role}")
        value.space_id = world.lab_id
        repo_as.save(value)

    expect(role, WRITES, create)


def test_grant_and_revoke(world: World, repo_as: lr.Repository, role: str) -> None:
    expect(role, ADMINS, lambda: repo_as.grant("nobody", world.lab_id, "read"))
    expect(role, ADMINS, lambda: repo_as.revoke("reader", world.lab_id))


def test_user_edits(world: World, repo_as: lr.Repository, role: str) -> None:
    me = repo_as.user

    def own_name() -> None:
        me.name = f"{role} the user"
        me.email = f"{role}@example.org"
        repo_as.save(me)

    expect(role, ROLES_SET, own_name)

    def own_handle() -> None:
        me.handle = "alice2"
        repo_as.save(me)

    expect(role, set(), own_handle)
    repo_as.session.rollback()


def test_others_handles(world: World, repo_as: lr.Repository, role: str) -> None:
    def steal() -> None:
        alice = repo_as.get(lr.User, handle="alice")
        alice.handle = "old alice"
        repo_as.user.handle = "alice"
        repo_as.save([alice, repo_as.user])

    expect(role, set(), steal)


def test_new_users_and_deletes(world: World, repo_as: lr.Repository, role: str) -> None:
    expect(role, set(), lambda: repo_as.save(lr.User(handle=f"made by {role}")))
    expect(role, set(), lambda: repo_as.filter(lr.User, handle="alice").delete(permanent=True))


def test_space_edits(world: World, repo_as: lr.Repository, role: str) -> None:
    def rename() -> None:
        lab = lab_of(world, repo_as)
        lab.description = "renamed"
        repo_as.save(lab)

    expect(role, ADMINS, rename)

    def take_over() -> None:
        lab = lab_of(world, repo_as)
        lab.created_by_id = repo_as.user_id
        repo_as.save(lab)

    expect(role, ADMINS, take_over)


def test_new_space_is_own(world: World, repo_as: lr.Repository, role: str) -> None:
    mine = repo_as.save(lr.Space(name=f"space of {role}"))
    assert mine.created_by_id == repo_as.user_id
    expect(role, set(), lambda: repo_as.save(lr.Space(name=f"forged {role}", created_by_id=1)))


def test_teams(world: World, repo_as: lr.Repository, role: str) -> None:
    expect(role, set(), lambda: repo_as.save(lr.Team(name=f"team of {role}")))

    def join() -> None:
        team = repo_as.get(lr.Team, world.ids["team"])
        team.members.append(repo_as.user)
        repo_as.session.flush()

    expect(role, set(), join)


def test_access_rows(world: World, repo_as: lr.Repository, role: str) -> None:
    def forge() -> None:
        nobody = repo_as.get(lr.User, handle="nobody")
        repo_as.save(SpaceAccess(space_id=world.lab_id, user_id=nobody.id, role="admin"))

    expect(role, ADMINS, forge)


def test_statements_through_the_session(repo_as: lr.Repository, role: str) -> None:
    def update() -> None:
        repo_as.session.execute(sa.update(lr.User).values(name="x"))

    expect(role, set(), update)

    def delete() -> None:
        repo_as.session.execute(sa.delete(SpaceAccess))

    expect(role, set(), delete)


def test_instance_creator_may_do_all(world: World) -> None:
    with rolled_back_repository(world.inst) as alice:
        team = alice.get(lr.Team, world.ids["team"])
        team.members.append(alice.get(lr.User, handle="nobody"))
        alice.save(lr.User(handle="made by alice"))
        bob = alice.get(lr.User, handle="nobody")
        bob.handle = "nobody2"
        alice.save(bob)
        alice.session.execute(sa.update(lr.User).where(lr.User.handle == "x").values(name="x"))


def test_relationship_path_visibility_obeys_branches(repo: lr.Repository) -> None:
    parent = repo.save(lr.ULabel(name="p"))
    child = repo.save(lr.ULabel(name="trashed child"))
    child.parents.append(parent)
    repo.session.flush()
    assert names(repo.filter(lr.ULabel, children__name="trashed child")) == {"p"}
    repo.delete(child)
    assert names(repo.filter(lr.ULabel, children__name="trashed child")) == set()
    in_trash = repo.filter(lr.ULabel, children__name="trashed child", children__branch_id=-1)
    assert names(in_trash) == {"p"}
    # naming the outer branch shows every outer branch; related rows keep their own rule
    assert names(repo.filter(lr.ULabel, branch_id=None, name="trashed child")) == {"trashed child"}
