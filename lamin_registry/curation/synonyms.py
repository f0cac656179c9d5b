"""Synonyms (``|``-separated, insertion order) and abbreviations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import InvalidArgument, ValidationError
from ._common import has_column, row_conditions, split

if TYPE_CHECKING:
    from ..repository import Repository


def _as_list(synonym: str | Iterable[str]) -> list[str]:
    items = [synonym] if isinstance(synonym, str) else list(synonym)
    for item in items:
        if not isinstance(item, str):
            raise InvalidArgument(f"A synonym must be a string, got {item!r}")
    return [item for item in items if item != ""]


def _require_synonyms(record: Any) -> None:
    if not has_column(type(record), "synonyms"):
        raise AttributeError(f"{type(record).__name__} has no synonyms field")


def _save_if_persisted(repo: Repository, record: Any) -> None:
    if sa.inspect(record).key is not None:
        repo.save(record)


def _used_by_others(repo: Repository, record: Any, synonyms: list[str]) -> bool:
    """Whether a visible record other than ``record`` lists one of ``synonyms``."""
    model = type(record)
    column = model.synonyms
    position = sa.func.instr if repo.dialect == "sqlite" else sa.func.strpos
    haystack = sa.literal("|") + column + "|"
    matches = sa.or_(*(position(haystack, f"|{item}|") > 0 for item in synonyms))
    conditions = [column.isnot(None), matches, *row_conditions(repo, model, None)]
    identity = sa.inspect(record).identity
    if identity is not None:
        conditions.append(model.id != identity[0])
    stmt = sa.select(sa.exists(sa.select(model.id).where(*conditions)))
    return bool(repo._execute(stmt).scalar())


def add_synonym(
    repo: Repository, record: Any, synonym: str | Iterable[str], *, force: bool = False
) -> None:
    """Append synonyms (existing ones first, then the new ones in the given order).

    ``|`` is refused; a synonym another visible record already lists is refused unless
    ``force``. Saves the record if it is stored.
    """
    _require_synonyms(record)
    items = _as_list(synonym)
    if not items:
        return
    if any("|" in item for item in items):
        raise ValidationError("a synonym can't contain '|'!")
    if not force and _used_by_others(repo, record, items):
        raise ValidationError(
            f"you are trying to assign a synonym to record: {record}\n    → consider "
            "removing the synonym from existing records or using a different synonym."
        )
    merged = list(dict.fromkeys([*split(record.synonyms), *items]))
    record.synonyms = "|".join(merged)
    _save_if_persisted(repo, record)


def remove_synonym(repo: Repository, record: Any, synonym: str | Iterable[str]) -> None:
    """Remove synonyms; an empty list of synonyms is stored as None. Saves if stored."""
    _require_synonyms(record)
    drop = set(_as_list(synonym))
    if not drop:
        return
    kept = [item for item in split(record.synonyms) if item not in drop]
    record.synonyms = "|".join(kept) if kept else None
    _save_if_persisted(repo, record)


def set_abbr(repo: Repository, record: Any, value: str) -> None:
    """Set ``abbr``; where the registry has synonyms and ``value`` is not the name, add it."""
    model = type(record)
    if not has_column(model, "abbr"):
        raise AttributeError(f"{model.__name__} has no abbr field")
    if not isinstance(value, str):
        raise InvalidArgument(f"abbr must be a string, got {value!r}")
    record.abbr = value
    if has_column(model, "synonyms") and value != getattr(record, "name", None):
        add_synonym(repo, record, value)
        return
    _save_if_persisted(repo, record)
