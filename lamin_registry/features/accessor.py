"""``obj.features``: lamindb's feature manager on a Record, Run or Artifact.

It delegates to the repository of the object's session (or the active one), so the same
checks apply as to ``repo.add_feature_values(obj, ...)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import InvalidArgument, ValidationError

if TYPE_CHECKING:
    from ..repository import Repository


def repository_of(record: Any) -> Repository:
    """The repository whose session holds ``record``, else the active one."""
    from .._context import active_repository
    from ..hooks import REPOSITORY_KEY

    session = sa.inspect(record).session
    repo = session.info.get(REPOSITORY_KEY) if session is not None else None
    return repo if repo is not None else active_repository()


class FeatureManager:
    """Feature values of one host record (``record.features``)."""

    __slots__ = ("_host",)

    def __init__(self, host: Any) -> None:
        self._host = host

    @property
    def _repo(self) -> Repository:
        return repository_of(self._host)

    def add_values(self, values: Mapping[Any, Any]) -> None:
        """Add values (a Record: ``list[...]`` features only; a Run/Artifact accumulates)."""
        self._repo.add_feature_values(self._host, values)

    def set_values(self, values: Mapping[Any, Any]) -> None:
        """Replace every feature annotation of the host with ``values``."""
        self._repo.set_feature_values(self._host, values)

    def update_values(self, values: Mapping[Any, Any]) -> None:
        """Replace the values of the given features (None removes one)."""
        self._repo.update_feature_values(self._host, values)

    def remove_values(self, feature: Any = None, *, value: Any = None) -> None:
        """Remove the values of ``feature`` (a name, a Feature, a list or a dict; None: all)."""
        self._repo.remove_feature_values(self._host, feature, value=value)

    def get_values(self, external_only: bool = False) -> dict[str, Any]:
        """``{feature name: value}``: categorical features first, then the others, by name."""
        return self._repo.get_feature_values(self._host)

    def __getitem__(self, name: str) -> Any:
        """The stored value; categorical values as records (a list for ``list[...]``)."""
        if not isinstance(name, str):
            raise InvalidArgument(f"features[...] takes a feature name, got {name!r}")
        values = self._repo.get_feature_values(self._host, objects=True)
        if name not in values:
            from ..models.features import Feature

            if not self._repo.filter(Feature, name=name).exists():
                raise ValidationError(f"Feature with name {name} not found")
            return None
        return values[name]

    def describe(self, return_str: bool = False) -> str | None:
        """The host's header and its Features section (``describe()`` without the fields)."""
        from .describe import describe

        text = describe(self._repo, self._host, fields=False)
        if return_str:
            return text
        print(text)
        return None

    def __repr__(self) -> str:
        from .describe import describe

        return describe(self._repo, self._host, fields=False)


class HasFeatures:
    """Mixin of the hosts (Record, Run, Artifact): ``features`` and ``Model(features=...)``."""

    _init_extra: Any = frozenset({"aux", "features"})

    @property
    def features(self) -> FeatureManager:
        """The feature manager: ``add_values``, ``set_values``, ``get_values``, ..."""
        return FeatureManager(self)

    def _prepare_kwargs(self, kwargs: dict[str, Any]) -> None:
        pending = kwargs.pop("features", None)
        if pending is not None and not isinstance(pending, Mapping):
            raise ValidationError(f"features= takes a dict of feature values, got {pending!r}")
        super()._prepare_kwargs(kwargs)  # type: ignore[misc]
        if pending is not None:
            self.__dict__["_pending_features"] = dict(pending)
