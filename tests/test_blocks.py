"""Blocks (lamindb-features.md §8): readmes and comments attached to records, standalone
Blocks, their versioning rules, visibility through the owner, merge, bad input."""

from __future__ import annotations

import logging

import pytest

import lamin_registry as lr
from lamin_registry.errors import DoesNotExist, InvalidArgument


def test_readmes_are_versioned_per_owner(repo: lr.Repository) -> None:
    record = repo.save(lr.Record(name="sample"))
    first = repo.save(lr.RecordBlock(record=record, content="# v1", kind="readme"))
    assert first.uid.endswith("0000") and len(first.uid) == 20 and first.is_latest
    assert first.hash is not None and len(first.hash) == 22
    assert repo.save(lr.RecordBlock(record=record, content="# v1", kind="readme")) is first
    second = repo.save(lr.RecordBlock(record=record, content="# v2", kind="readme", version="2"))
    assert second.uid == first.uid[:16] + "0001" and second.version == "2"
    assert second.is_latest and not first.is_latest
    assert record.notes == "# v2" and repo.notes(record) == "# v2"
    with pytest.raises(InvalidArgument, match="'2' is already taken"):
        repo.save(lr.RecordBlock(record=record, content="# v3", kind="readme", version="2"))
    other = repo.save(lr.Record(name="other"))  # another owner: another family
    assert repo.add_block(other, "# v1").uid[:16] != first.uid[:16]
    assert other.notes == "# v1"
    assert repo.save(lr.Record(name="blank")).notes is None


def test_an_empty_readme_takes_the_content(
    repo: lr.Repository, caplog: pytest.LogCaptureFixture
) -> None:
    label = repo.save(lr.ULabel(name="empty readme"))
    empty = repo.save(lr.ULabelBlock(ulabel=label, kind="readme"))
    assert empty.content == "" and empty.hash is None
    with caplog.at_level(logging.INFO, logger="lamin_registry"):
        filled = repo.save(lr.ULabelBlock(ulabel=label, content="now", kind="readme"))
    assert filled is empty and filled.content == "now" and filled.uid.endswith("0000")
    assert "no content was yet saved" in caplog.text  # lamindb drops the content: we keep it
    repo.refresh(filled)
    assert filled.content == "now"


def test_comments_are_never_versioned(repo: lr.Repository) -> None:
    project = repo.save(lr.Project(name="comments"))
    one = repo.add_block(project, "looks good", kind="comment")
    two = repo.add_block(project, "looks good", kind="comment")
    assert one is not two and one.uid[:16] != two.uid[:16]
    assert one.uid.endswith("0000") and two.uid.endswith("0000")
    assert one.is_latest and two.is_latest
    assert {b.content for b in project.ablocks} == {"looks good"} and len(project.ablocks) == 2
    assert project.notes is None  # comments are no readme


def test_standalone_blocks_version_by_key_then_content(repo: lr.Repository) -> None:
    page = repo.save(lr.Block(key="README.md", content="hello", kind="readme"))
    assert page.uid.endswith("0000") and page.space_id == 1 and page.branch_id == 1
    again = repo.save(lr.Block(key="README.md", content="hello", kind="readme"))
    assert again is page
    newer = repo.save(lr.Block(key="README.md", content="hello again", kind="readme"))
    assert newer.uid == page.uid[:16] + "0001" and newer.is_latest and not page.is_latest
    same = repo.save(lr.Block(key="__lamindb_record__", content="hello again", kind="readme"))
    assert same is newer and same.key == "README.md"  # the same content is that block
    blank = repo.save(lr.Block(key="__lamindb_ulabel__", kind="readme"))
    filled = repo.save(lr.Block(key="__lamindb_ulabel__", content="labels", kind="readme"))
    assert filled is blank and filled.content == "labels"
    child = repo.save(lr.Block(content="a reply", kind="readme", anchor=newer))
    assert child.anchor is newer and child in newer.children
    project = repo.save(lr.Project(name="pages"))
    newer.projects.append(project)
    repo.session.flush()
    assert newer in project.blocks  # lamindb's many-to-many of blocks on Project
    repo.delete(newer)  # soft delete hands is_latest back
    assert newer.branch_id == -1
    repo.refresh(page)
    assert page.is_latest


def test_accessors_and_deletes(repo: lr.Repository) -> None:
    space = repo.get(lr.Space, 1)
    readme = repo.add_block(space, "welcome")
    assert readme in space.blocks and space.blocks == space.ablocks
    assert not hasattr(lr.Space, "notes")  # as in lamindb
    branch = repo.get(lr.Branch, 1)
    assert repo.add_block(branch, "main notes").branch_id == 1 and branch.notes == "main notes"
    transform = repo.save(lr.Transform(key="blocks.py"))
    line = repo.save(lr.TransformBlock(transform=transform, content="todo", kind="comment",
                                       line_number=3))
    assert line.line_number == 3 and transform.blocks == [line]
    record = repo.save(lr.Record(name="cascade"))
    comment = repo.add_block(record, "bye", kind="comment")
    repo.delete(comment)  # an attached block has no trash: gone at once
    assert repo.filter(lr.RecordBlock, id=comment.id).count() == 0
    kept = repo.add_block(record, "kept")
    block_id = kept.id
    repo.delete(record, permanent=True)  # the owner takes its blocks along
    repo.session.expire_all()
    assert repo.filter(lr.RecordBlock, id=block_id).count() == 0


BAD_INPUT = [
    (lambda r: lr.RecordBlock(r, content="x", kind="readme"), "only use keyword arguments"),
    (lambda r: lr.RecordBlock(record=r, kind="readme", title="x"), "Only branch, "),
    (lambda r: lr.RecordBlock(content="x", kind="readme"), "record is required for RecordBlock"),
    (lambda r: lr.RecordBlock(record=r, content="x"), "kind is required for RecordBlock"),
    (lambda r: lr.RecordBlock(record=r, kind="issue"), "kind must be 'readme' or 'comment'"),
    (lambda r: lr.RecordBlock(record=r, kind="readme", content=3), "content must be a str"),
    (lambda r: lr.RecordBlock(record=r, kind="readme", version=2), "`version` parameter"),
    (lambda r: lr.Block(content="x"), "Only kind = 'readme' is supported"),
    (lambda r: lr.Block(key="notes.md", kind="readme"), "key must be one of RegistryId"),
    (lambda r: lr.Block(kind="readme", revises=r), "`revises` has to be of type `Block`"),
    (lambda r: lr.Block(kind="readme", colour="red"), "Only key, content, kind"),
    (lambda r: lr.Block("x"), "only use keyword arguments"),
]


@pytest.mark.parametrize("case", BAD_INPUT, ids=[str(i) for i in range(len(BAD_INPUT))])
def test_bad_input_is_a_value_error(repo: lr.Repository, case: tuple[object, str]) -> None:
    build, message = case
    record = repo.save(lr.Record(name="bad input"))
    with pytest.raises(InvalidArgument, match=message) as raised:
        build(record)  # type: ignore[operator]
    assert isinstance(raised.value, ValueError)


def test_bad_input_at_save(repo: lr.Repository) -> None:
    record = repo.save(lr.Record(name="saved"))
    comment = repo.add_block(record, "c", kind="comment")
    with pytest.raises(InvalidArgument, match="revises is not allowed for kind='comment'"):
        lr.RecordBlock(record=record, content="x", kind="comment", revises=comment)
    with pytest.raises(InvalidArgument, match="Save the record"):
        repo.save(lr.RecordBlock(record=lr.Record(name="unsaved"), content="x", kind="readme"))
    with pytest.raises(DoesNotExist):
        repo.save(lr.RecordBlock(record_id=10**9, content="x", kind="readme"))
    with pytest.raises(InvalidArgument, match="Two readmes of one record"):
        repo.save([lr.RecordBlock(record=record, content=t, kind="readme") for t in "ab"])
    with pytest.raises(InvalidArgument, match="Blocks attach to"):
        repo.add_block(repo.save(lr.Reference(name="ref")), "x")
    assert repo.filter(lr.RecordBlock, record=record).count() == 1  # nothing half-written


def test_merge_carries_blocks_and_reconciles_readmes(repo: lr.Repository) -> None:
    record = repo.save(lr.Record(name="merged"))
    old = repo.add_block(record, "on main")
    branch = repo.create_branch("blocks-dev")
    repo.switch_branch(branch)
    new = repo.add_block(record, "on the branch")
    comment = repo.add_block(record, "branch comment", kind="comment")
    page = repo.save(lr.Block(key="README.md", content="branch page", kind="readme"))
    branch_note = repo.add_block(branch, "about this branch")
    assert new.branch_id == branch.id and new.created_on_id == branch.id
    assert new.uid == old.uid[:16] + "0001" and new.is_latest and old.is_latest  # per branch
    repo.switch_branch("main")
    assert record.notes == "on main"  # main does not see the branch's readme
    assert repo.filter(lr.RecordBlock, record=record).count() == 1
    repo.merge_branch(branch)
    repo.session.expire_all()
    for block in (new, comment, page):
        assert block.branch_id == 1 and block.created_on_id == branch.id
    assert branch_note.branch_id == branch.id  # the branch's own notes stay with it
    assert new.is_latest and not old.is_latest
    assert repo.notes(record) == "on the branch"


# Visibility and write access through the owner, by role (nobody, reader, writer, admin):
# tests/test_access_walk.py (test_blocks_are_read_through_their_owner, ..._written_...).


def test_describe_includes_notes_and_comments(repo: lr.Repository) -> None:
    record = repo.save(lr.Record(name="described"))
    plain = record.describe(return_str=True)
    assert plain is not None and "Notes:" not in plain
    repo.save(lr.RecordBlock(record=record, content="# readme v1", kind="readme"))
    repo.save(lr.RecordBlock(record=record, content="# readme v2\nsecond line", kind="readme"))
    repo.save(lr.RecordBlock(record=record, content="first", kind="comment"))
    repo.save(lr.RecordBlock(record=record, content="second", kind="comment"))
    text = record.describe(return_str=True, include="comments")
    assert text is not None and text.startswith(plain)
    tail = text[len(plain) :].strip("\n").splitlines()
    assert tail[:3] == ["Notes:", "  # readme v2", "  second line"]  # the latest readme only
    assert [line.split(" at ")[0] for line in tail[3::2]] == ["comment by alice"] * 2
    assert tail[4::2] == ["  first", "  second"]  # oldest first
    assert repo.describe(record, include="comments") == text
    with pytest.raises(InvalidArgument, match="'notes'"):
        record.describe(return_str=True, include="notes")
    assert "Notes:" not in repo.describe(repo.save(lr.ULabel(name="bare")), include="comments")
