"""``import lamin_registry`` stays light (issue 2): everything heavy loads on first use.

Backend-independent: a fresh interpreter runs the code and reports ``sys.modules``.
"""

from __future__ import annotations

import pytest
from loaded_modules import loaded_after

import lamin_registry as lr

# imported by the curation, DataFrame, migration and validation code paths only
LAZY = ("pandas", "numpy", "rapidfuzz", "alembic", "pydantic")
# defined on first use of a registry, a connection or a repository
MODELS = ("lamin_registry.models", "lamin_registry.instance", "lamin_registry.repository")


def _modules_after(code: str, *, names: tuple[str, ...] = LAZY + MODELS) -> dict[str, bool]:
    return loaded_after(code, names)


def test_import_loads_only_the_errors() -> None:
    loaded = _modules_after(
        "import lamin_registry as lr\nassert issubclass(lr.errors.DoesNotExist, Exception)",
        names=(*LAZY, *MODELS, "sqlalchemy"),
    )
    assert loaded == dict.fromkeys((*LAZY, *MODELS, "sqlalchemy"), False)


def test_first_use_defines_the_models_but_no_heavy_library() -> None:
    loaded = _modules_after(
        "import lamin_registry as lr\n"
        "assert lr.ULabel.__table__.name == 'lamindb_ulabel'\n"
        "assert 'lamindb_artifactulabel' in lr.metadata.tables"
    )
    assert loaded == {**dict.fromkeys(LAZY, False), "lamin_registry.models": True} | {
        "lamin_registry.instance": False,
        "lamin_registry.repository": False,
    }


def test_connecting_to_an_up_to_date_database_imports_no_alembic(fresh_url: str) -> None:
    url = fresh_url
    lr.connect(url).close()  # creates the schema (this one runs Alembic)
    loaded = _modules_after(
        "import lamin_registry as lr\n"
        f"inst = lr.connect({url!r})\n"
        "with inst.session() as repo:\n"
        "    repo.save(lr.ULabel(name='T cell'))\n"
        "    assert repo.get(lr.ULabel, name='T cell').name == 'T cell'\n"
    )
    assert loaded == {**dict.fromkeys(LAZY, False), **dict.fromkeys(MODELS, True)}


@pytest.mark.parametrize("module", ["pandas", "rapidfuzz"])
def test_the_check_sees_a_loaded_library(module: str) -> None:
    """The subprocess check itself works: a library the code imports is reported."""
    assert _modules_after(f"import lamin_registry\nimport {module}")[module] is True


def test_every_public_name_resolves() -> None:
    """``__all__``, ``dir()`` and ``from lamin_registry import X`` agree with the lazy table."""
    assert set(lr.__all__) <= set(dir(lr))
    for name in lr.__all__:
        assert getattr(lr, name) is not None, name
    from lamin_registry import ULabel, connect

    assert ULabel is lr.models.ULabel
    assert connect is lr.instance.connect
    assert lr.fields.__name__ == "lamin_registry.fields"  # submodules resolve too


@pytest.mark.parametrize("name", ["not_a_name", "_private", "__wrapped__"])
def test_an_unknown_name_is_an_attribute_error(name: str) -> None:
    with pytest.raises(AttributeError, match=name):
        getattr(lr, name)
    assert not hasattr(lr, name)


def test_the_lazy_table_covers_the_public_names() -> None:
    """``__all__`` and the lazy table name the same things; the registries are the models'."""
    assert set(lr.__all__) == {"errors", *lr._LAZY}
    # the registries and the block registries (lamindb-features.md §8) are the models' names
    assert {*lr._MODELS, *lr._BLOCKS} == set(lr.models.__all__) - {"SpaceAccess"}  # a link
