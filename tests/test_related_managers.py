"""Related managers (``record.parents.add/remove/set/clear/all/filter/count``) and
``Model.objects`` (issue 11, lamindb-features.md §5), next to SQLAlchemy's list behaviour."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, configure_mappers, selectinload

import lamin_registry as lr
from lamin_registry.errors import (
    DoesNotExist,
    InvalidArgument,
    NoActiveSession,
    NoWriteAccess,
)
from lamin_registry.models.base import BaseSQLRecord
from lamin_registry.models.related import RelatedList


def names(items: Any) -> list[str]:
    return sorted(item.name for item in items)


def labels(repo: lr.Repository, *names_: str) -> list[lr.ULabel]:
    return [repo.save(lr.ULabel(name=name)) for name in names_]


# -- the collection: every to-many relationship, SQLAlchemy's behaviour kept -------------------


def test_every_to_many_relationship_holds_a_related_list() -> None:
    configure_mappers()
    missing = [
        f"{mapper.class_.__name__}.{prop.key}"
        for mapper in BaseSQLRecord.registry.mappers
        for prop in mapper.relationships
        if prop.uselist
        and mapper.class_manager[prop.key].impl.collection_factory is not RelatedList
    ]
    assert missing == []
    for scalar in (lr.ULabel.type, lr.ULabel.space, lr.Run.transform):
        assert not scalar.property.uselist


def test_list_behaviour_and_class_attributes(repo: lr.Repository) -> None:
    parent, other, child = labels(repo, "p", "o", "c")
    assert isinstance(child.parents, list) and child.parents == []
    child.parents.append(parent)
    child.parents += [other]
    assert len(child.parents) == 2 and child.parents[0] is parent
    assert [p.name for p in child.parents] == ["p", "o"]
    assert child.parents.count(parent) == 1  # list.count with an argument
    assert child.parents.index(other) == 1
    assert type(copy.copy(child.parents)) is list and len(child.parents) == 2
    repo.session.flush()
    assert names(parent.children) == ["c"]
    # the class attribute is SQLAlchemy's: expressions, loader options, keyword paths
    assert names(repo.filter(lr.ULabel, lr.ULabel.parents.any(lr.ULabel.name == "p"))) == ["c"]
    assert names(repo.filter(lr.ULabel, parents__name="o")) == ["c"]
    repo.session.expire_all()
    loaded = repo.session.scalars(
        sa.select(lr.ULabel).where(lr.ULabel.name == "c").options(selectinload(lr.ULabel.parents))
    ).one()
    assert "parents" in loaded.__dict__ and isinstance(loaded.parents, RelatedList)
    assert names(loaded.parents) == ["o", "p"]
    loaded.parents = [parent]  # assignment replaces the list, written at the next flush
    repo.session.flush()
    assert child.parents.count() == 1


def test_unsaved_record_keeps_list_semantics(repo: lr.Repository) -> None:
    (parent,) = labels(repo, "p")
    new = lr.ULabel(name="new")
    new.parents.append(parent)
    new.parents.remove(parent)
    with pytest.raises(ValueError):
        new.parents.remove(parent)  # list.remove of an absent item
    new.parents.append(parent)
    new.parents.clear()
    assert new.parents == []
    new.parents.append(parent)
    stored = repo.save(new)
    assert names(stored.parents.all()) == ["p"]


def test_a_plain_session_keeps_list_semantics(instance: lr.Instance) -> None:
    with instance.engine.connect() as connection, connection.begin() as transaction:
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        parent, child = lr.ULabel(name="plain p"), lr.ULabel(name="plain c")
        child.parents.append(parent)
        session.add(child)
        session.flush()
        child.parents.remove(parent)  # no repository: the list changes, the flush writes
        session.flush()
        link = sa.inspect(lr.ULabel).relationships["parents"].secondary
        assert session.scalar(sa.select(sa.func.count()).select_from(link).where(
            link.c.from_ulabel_id == child.id
        )) == 0
        with pytest.raises(InvalidArgument, match="not a lamin_registry repository"):
            child.parents.add(parent)
        session.close()
        transaction.rollback()


# -- many-to-many ----------------------------------------------------------------------------


def test_add_remove_set_clear(repo: lr.Repository) -> None:
    a, b, c, child = labels(repo, "a", "b", "c", "child")
    child.parents.add(a, b.id)  # records or ids
    assert names(child.parents) == ["a", "b"] and names(a.children) == ["child"]
    assert child.parents.count() == 2 and child.parents.exists()
    child.parents.add(a)  # already linked: nothing happens (no duplicate link row)
    assert child.parents.count() == 2
    child.parents.remove(a, c)  # c is no member: ignored
    assert names(child.parents.all()) == ["b"] and a.children == []
    child.parents.set([a, c])
    assert names(child.parents) == ["a", "c"] and b.children == []
    child.parents.set([a], clear=True)
    assert names(child.parents.all()) == ["a"]
    child.parents.clear()
    assert child.parents == [] and child.parents.count() == 0 and not child.parents.exists()
    assert a.children.count() == 0


def test_reads_are_queries_with_visibility(repo: lr.Repository) -> None:
    kept, trashed, child = labels(repo, "kept", "trashed", "child")
    child.parents.add(kept, trashed)
    query = child.parents.all()
    assert isinstance(query, lr.Query) and query.count() == 2
    assert child.parents.filter(name__startswith="tr").one().name == "trashed"
    assert names(child.parents.exclude(name="kept")) == ["trashed"]
    assert child.parents.order_by("-name").first().name == "trashed"
    assert sorted(child.parents.values_list("name", flat=True)) == ["kept", "trashed"]
    assert sorted(child.parents.to_list("name")) == ["kept", "trashed"]
    assert child.parents.get(name="kept") is kept
    with pytest.raises(DoesNotExist):
        child.parents.get(name="child")
    repo.delete(trashed)
    assert names(child.parents.all()) == ["kept"] and child.parents.count() == 1
    repo.session.expire(child, ["parents"])
    assert names(child.parents) == ["kept"]  # the loaded list agrees
    assert names(child.parents.filter(branch_id=None)) == ["kept", "trashed"]
    child.parents.clear()  # the visible links; the trashed record keeps its link
    repo.restore(trashed)
    assert names(child.parents.all()) == ["trashed"]
    assert names(repo.related(child, "parents")) == ["trashed"]


def test_link_tables_between_registries(repo: lr.Repository) -> None:
    storage = repo.save(lr.Storage(root="/related", type="local"))
    artifact = repo.save(lr.Artifact(key="x.csv", storage=storage))
    tag, other = labels(repo, "tag", "other")
    artifact.ulabels.add(tag)
    assert tag.artifacts.count() == 1 and tag.artifacts.first() is artifact
    project = repo.save(lr.Project(name="proj"))
    project.ulabels.set([tag, other])
    assert names(tag.projects) == ["proj"] and project.ulabels.count() == 2
    link = lr.metadata.tables["lamindb_artifactulabel"]
    rows = repo.session.execute(sa.select(link.c.artifact_id).where(link.c.ulabel_id == tag.id))
    assert rows.scalars().all() == [artifact.id]
    assert names(repo.filter(lr.ULabel, artifacts__key="x.csv")) == ["tag"]
    tag.artifacts.remove(artifact)
    assert artifact.ulabels == [] and artifact.ulabels.count() == 0


def test_read_only_relationships_refuse_writes(repo: lr.Repository) -> None:
    record = repo.save(lr.Record(name="r"))
    (label,) = labels(repo, "l")
    assert record.linked_ulabels.count() == 0
    with pytest.raises(InvalidArgument, match="read-only"):
        record.linked_ulabels.add(label)


# -- one-to-many (reverse foreign keys) -------------------------------------------------------


def test_reverse_foreign_keys(repo: lr.Repository) -> None:
    kind = repo.save(lr.ULabel(name="Kind", is_type=True))
    a, b = labels(repo, "a", "b")
    kind.ulabels.add(a, b)
    assert a.type is kind and a.type_id == kind.id and kind.ulabels.count() == 2
    kind.ulabels.remove(a)
    assert a.type_id is None and names(kind.ulabels) == ["b"]
    kind.ulabels.clear()
    assert b.type_id is None and kind.ulabels.count() == 0
    transform = repo.save(lr.Transform(key="script.py"))
    with repo.track(transform):
        pass
    assert transform.runs.count() == 1
    with pytest.raises(InvalidArgument, match="transform_id is not nullable"):
        transform.runs.clear()
    assert transform.runs.count() == 1
    feature = repo.save(lr.Feature(name="f", dtype=str))
    value, _ = repo.get_or_create_feature_value(feature, "v")
    assert feature.values.count() == 1 and feature.values.first() is value


def test_space_set_moves_records(repo: lr.Repository) -> None:
    lab_id = repo.save(lr.Space(name="related lab")).id
    (label,) = labels(repo, "moved")
    repo.get(lr.Space, lab_id).ulabel_set.add(label)  # the list keeps its owner alive
    lab = repo.get(lr.Space, lab_id)
    assert label.space_id == lab.id and lab.ulabel_set.count() == 1
    with pytest.raises(InvalidArgument, match="space_id is not nullable"):
        lab.ulabel_set.remove(label)


# -- bad input and refusals --------------------------------------------------------------------


def test_bad_input_names_the_input(repo: lr.Repository) -> None:
    (parent,) = labels(repo, "p")
    unsaved = lr.ULabel(name="unsaved")
    with pytest.raises(InvalidArgument, match="unsaved ULabel 'unsaved'"):
        unsaved.parents.add(parent)
    with pytest.raises(InvalidArgument, match="unsaved ULabel object"):
        unsaved.parents.count()
    with pytest.raises(InvalidArgument, match=r"'unsaved'.*not saved yet"):
        parent.children.add(unsaved)
    with pytest.raises(InvalidArgument, match=r"holds ULabel records.*Space"):
        parent.children.add(repo.get(lr.Space, 1))
    with pytest.raises(InvalidArgument, match=r"one by one: children\.add\(\*records\)"):
        parent.children.add([parent])
    with pytest.raises(DoesNotExist, match="No ULabel with id 999999"):
        parent.children.add(999_999)
    with pytest.raises(InvalidArgument, match=r"no to-many relationship 'kids'.*children"):
        repo.add_related(parent, "kids", parent)
    with pytest.raises(InvalidArgument, match="list of records"):
        parent.children.set(parent)  # type: ignore[arg-type]
    other = Session(bind=repo.session.connection())
    try:
        elsewhere = other.get(lr.ULabel, parent.id)
        with pytest.raises(InvalidArgument, match="belongs to another session"):
            parent.children.add(elsewhere)
        with pytest.raises(InvalidArgument, match="belongs to another session"):
            repo.add_related(elsewhere, "children", parent)
    finally:
        other.close()
    assert parent.children.count() == 0


def test_refused_write_leaves_nothing(repo: lr.Repository) -> None:
    parent, child = labels(repo, "p", "archived child")
    repo.archive(child)
    with pytest.raises(NoWriteAccess, match="archived"):
        child.parents.add(parent)
    assert child.parents == [] and parent.children == []
    assert repo.related(child, "parents").filter(branch_id=None).count() == 0
    repo.save(lr.ULabel(name="after"))  # the session is usable
    repo.session.flush()


def test_records_of_another_instance(instance: lr.Instance, repo: lr.Repository) -> None:
    url = instance.engine.url.render_as_string(hide_password=False)
    with instance.using(url).session() as reader:  # the instance's cache, not the process's
        foreign_user = reader.get(lr.User, 1)
        team = repo.save(lr.Team(name="related team"))
        with pytest.raises(InvalidArgument, match="another session"):
            team.members.add(foreign_user)
        foreign_space = reader.get(lr.Space, 1)
        (label,) = labels(repo, "local")
        with pytest.raises(NoWriteAccess, match="read-only"):
            foreign_space.ulabel_set.add(label)
        assert foreign_space.ulabel_set.count() >= 0  # reads work there
    assert team.members.count() == 0


# -- Model.objects -------------------------------------------------------------------------------


def test_objects_is_unfiltered_by_branch(repo: lr.Repository) -> None:
    kept, trashed = labels(repo, "obj kept", "obj trashed")
    repo.delete(trashed)
    assert lr.ULabel.objects.get(name="obj trashed") is trashed
    with pytest.raises(DoesNotExist):
        lr.ULabel.get(name="obj trashed")
    assert names(lr.ULabel.objects.filter(name__startswith="obj ")) == ["obj kept", "obj trashed"]
    assert lr.ULabel.objects.count() == lr.ULabel.filter(branch_id=None).count()
    assert lr.ULabel.objects.exists() and lr.ULabel.objects.first() is not None
    made = lr.ULabel.objects.create(name="obj made")
    assert made.id is not None and lr.ULabel.objects.create(name="obj made") is made
    assert "obj kept" in lr.ULabel.objects.values_list("name", flat=True)
    assert isinstance(lr.ULabel.objects.all(), lr.Query)
    with pytest.raises(AttributeError, match="isn't accessible via ULabel instances"):
        kept.objects  # noqa: B018


def test_objects_needs_a_session() -> None:
    assert repr(lr.ULabel.objects) == "<Objects of ULabel>"  # the attribute itself never fails
    with pytest.raises(NoActiveSession):
        lr.ULabel.objects.count()


# -- async -----------------------------------------------------------------------------------


def test_async_counterparts(fresh_url: str) -> None:
    async def run() -> tuple[list[str], int]:
        inst = await lr.connect_async(fresh_url, user="alice")
        try:
            async with inst.session() as arepo:
                parent = await arepo.save(lr.ULabel(name="ap"))
                child = await arepo.save(lr.ULabel(name="ac"))
                await arepo.add_related(child, "parents", parent)
                found = await arepo.related(child, "parents").all()
                await arepo.clear_related(child, "parents")
                return [r.name for r in found], await arepo.related(child, "parents").count()
        finally:
            await inst.close()

    assert asyncio.run(run()) == (["ap"], 0)
