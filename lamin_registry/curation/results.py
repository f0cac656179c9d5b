"""The result objects of search and inspect.

pandas is imported inside the methods that build DataFrames: this module is loaded lazily
(``lamin_registry.SearchResult``), but even then it must stay cheap.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")


class SearchResult(Sequence[T], Generic[T]):
    """Records best first, with ``scores`` (0-100, same order).

    A plain sequence: ``result[0]``, ``len(result)``, iteration and slicing work as on a
    list; ``to_dataframe()`` adds a ``score`` column to the records' fields.
    """

    __slots__ = ("_records", "_scores")

    def __init__(self, records: Sequence[T], scores: Sequence[float]) -> None:
        if len(records) != len(scores):
            raise ValueError("records and scores must have the same length")
        self._records: list[T] = list(records)
        self._scores: list[float] = [float(score) for score in scores]

    @property
    def scores(self) -> list[float]:
        """The score of each record (100 = exact match of the name or a synonym)."""
        return list(self._scores)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> SearchResult[T]: ...

    def __getitem__(self, index: int | slice) -> T | SearchResult[T]:
        if isinstance(index, slice):
            return SearchResult(self._records[index], self._scores[index])
        return self._records[index]

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[T]:
        return iter(self._records)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SearchResult):
            return self._records == other._records and self._scores == other._scores
        if isinstance(other, list):
            return self._records == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        pairs = zip(self._records, self._scores, strict=True)
        items = ", ".join(f"{record!r}: {score:g}" for record, score in pairs)
        return f"SearchResult([{items}])"

    def to_dataframe(self) -> pd.DataFrame:
        """The records' fields (index ``id``, lamindb's column order) plus a ``score`` column."""
        import pandas as pd

        if not self._records:
            return pd.DataFrame(columns=["score"])
        from ..query.dataframe import base_columns

        columns = base_columns(type(self._records[0]))
        rows = [{key: getattr(record, key) for key in columns} for record in self._records]
        frame = pd.DataFrame(rows, columns=columns)
        frame["score"] = self._scores
        return frame.set_index("id")

    def df(self) -> pd.DataFrame:
        """Alias of :meth:`to_dataframe`."""
        return self.to_dataframe()


@dataclass
class InspectResult:
    """What ``inspect`` found: validated and non-validated values, and a synonyms mapper.

    ``frac_validated`` is a percentage; ``n_empty`` counts the inputs that are not among the
    unique non-empty values (empties, None *and* duplicates), as in lamindb.
    """

    validated: list[Any]
    non_validated: list[Any]
    frac_validated: float
    n_empty: int
    n_unique: int
    synonyms_mapper: dict[Any, Any] = field(default_factory=dict)
    _inputs: list[Any] = field(default_factory=list, repr=False)
    _flags: list[bool] = field(default_factory=list, repr=False)

    @property
    def df(self) -> pd.DataFrame:
        """One row per input (index = the inputs) with a bool column ``__validated__``."""
        import pandas as pd

        return pd.DataFrame({"__validated__": self._flags}, index=pd.Index(self._inputs))

    def __getitem__(self, key: str) -> list[Any]:
        if key in ("validated", "mapped"):
            return self.validated
        if key in ("non_validated", "not_mapped"):
            return self.non_validated
        raise KeyError("invalid key")


__all__ = ["InspectResult", "SearchResult"]
