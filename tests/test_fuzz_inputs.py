"""Generated bad input (issue 13): only ``lamin_registry.errors`` classes may escape.

Search strings with any character (NUL included), limits up to 2**70, ``include=`` of any
shape, and any value assigned to a boolean or date/time field after construction, on SQLite
and PostgreSQL. Each example runs in a repository of its own whose writes are rolled back, so
one example's failure cannot hide (or cause) another's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lamin_registry as lr
from tests.conftest import fresh_database, rolled_back_repository

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

limits = st.one_of(
    st.none(),
    st.integers(min_value=-3, max_value=50),
    st.integers(min_value=2**62, max_value=2**70),
    st.sampled_from([2**63 - 1, 2**63, 2**64, 10**20]),
    st.floats(allow_nan=True),
    st.booleans(),
    st.text(max_size=3),
)
includes = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=12),
    st.sampled_from(["created_by__handle", "parents", "privates", "branch", "nope__x"]),
    st.lists(st.one_of(st.text(max_size=8), st.integers(), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
any_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    st.dates(),
    st.lists(st.integers(), max_size=2),
)


def only_library_errors(instance: lr.Instance, action: Callable[[lr.Repository], Any]) -> None:
    """Run ``action`` on a fresh rolled-back repository; anything but a library error fails."""
    with rolled_back_repository(instance) as repo:
        try:
            action(repo)
        except lr.errors.LaminRegistryError as error:
            assert str(error)  # a message, never an empty one


@pytest.fixture(scope="module")
def labelled(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[lr.Instance]:
    """An instance of this module's own with three labels (the shared ``instance`` stays
    empty: other modules count its rows)."""
    with fresh_database(backend, tmp_path_factory.mktemp("fuzz")) as url:
        instance = lr.connect(url, user="alice")
        with instance.session() as repo:
            repo.save([lr.ULabel(name=name) for name in ("T cell", "B cell", "fuzz label")])
        yield instance
        instance.close()


@FUZZ
@given(text=st.text(max_size=20), limit=limits, case_sensitive=st.booleans())
def test_search_raises_only_library_errors(
    labelled: lr.Instance, text: str, limit: Any, case_sensitive: bool
) -> None:
    only_library_errors(
        labelled,
        lambda repo: list(
            repo.search(lr.ULabel, text, limit=limit, case_sensitive=case_sensitive)
        ),
    )


@FUZZ
@given(limit=limits, include=includes)
def test_to_dataframe_and_limit_raise_only_library_errors(
    labelled: lr.Instance, limit: Any, include: Any
) -> None:
    only_library_errors(labelled, lambda repo: repo.to_dataframe(lr.ULabel, limit=limit))
    only_library_errors(labelled, lambda repo: repo.to_dataframe(lr.ULabel, include=include))
    only_library_errors(labelled, lambda repo: repo.filter(lr.ULabel).limit(limit).all())


@FUZZ
@given(
    field=st.sampled_from(["is_type", "is_locked", "created_at", "updated_at"]),
    value=any_value,
)
def test_assigning_any_value_raises_only_library_errors(
    labelled: lr.Instance, field: str, value: Any
) -> None:
    def assign_and_save(repo: lr.Repository) -> None:
        label = repo.save(lr.ULabel(name="assigned"))
        try:
            setattr(label, field, value)
        except lr.errors.FieldValidationError as error:
            assert field in str(error)
            repo.save(label)  # the refused value was never set: the record still saves
            return
        repo.save(label)

    only_library_errors(labelled, assign_and_save)


@FUZZ
@given(
    key=st.sampled_from(
        ["name", "name__contains", "name__in", "id", "id__gt", "created_at__lt", "is_type",
         "uid__startswith", "name__regex", "name__iexact", "created_by__handle"]
    ),
    value=any_value | st.binary(max_size=4) | st.integers(min_value=-(2**70), max_value=2**70),
)
def test_filter_get_and_search_field_raise_only_library_errors(
    labelled: lr.Instance, key: str, value: Any
) -> None:
    only_library_errors(labelled, lambda repo: repo.filter(lr.ULabel, **{key: value}).all())
    only_library_errors(labelled, lambda repo: repo.get(lr.ULabel, value))
    only_library_errors(labelled, lambda repo: list(repo.search(lr.ULabel, "x", field=value)))


def test_limit_and_search_messages_name_the_input(repo: lr.Repository) -> None:
    for call in (
        lambda: repo.filter(lr.ULabel).limit(2**64),
        lambda: repo.search(lr.ULabel, "cell", limit=2**64),
        lambda: repo.to_dataframe(lr.ULabel, limit=2**64),
    ):
        with pytest.raises(lr.errors.InvalidArgument, match=str(2**64)):
            call()
    assert len(repo.to_dataframe(lr.ULabel, limit=2**63 - 1)) >= 0  # the largest is fine
    assert isinstance(list(repo.search(lr.ULabel, "cell", limit=2**63 - 1)), list)
    with pytest.raises(lr.errors.InvalidArgument, match="NUL"):
        repo.search(lr.ULabel, "T\x00cell")
    with pytest.raises(lr.errors.InvalidArgument, match="include must be"):
        repo.to_dataframe(lr.ULabel, include=1)  # type: ignore[arg-type]


def test_assigned_bool_and_datetime_are_checked(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name="checked on assignment"))
    with pytest.raises(lr.errors.FieldValidationError, match="is_type expects bool"):
        label.is_type = "yes"  # type: ignore[assignment]
    with pytest.raises(lr.errors.FieldValidationError, match="created_at expects datetime"):
        label.created_at = "not a date"  # type: ignore[assignment]
    label.is_type = True
    assert repo.save(label).is_type is True  # the session is usable afterwards


def test_assigned_text_is_checked(repo: lr.Repository) -> None:
    """Text the database cannot hold is refused when assigned, naming the field: NUL, a lone
    surrogate (no UTF-8 form), too long; the record and the session stay usable."""
    label = repo.save(lr.ULabel(name="text checked on assignment"))
    for bad, message in (("a\x00b", "NUL"), ("bad\udc80", "not valid Unicode"),
                         ("x" * 151, "at most 150")):
        with pytest.raises(lr.errors.FieldValidationError, match=f"ULabel.name .*{message}"):
            label.name = bad
        with pytest.raises(lr.errors.FieldValidationError, match="not valid Unicode"):
            lr.ULabel(name="fine", description="\ud800")
    assert label.name == "text checked on assignment"
    for bad_json in ({"a": ["x\x00"]}, {"\udc80": 1}):
        with pytest.raises(lr.errors.FieldValidationError, match=r"ULabel\.aux cannot hold"):
            label.aux = bad_json
        with pytest.raises(lr.errors.FieldValidationError, match=r"Record\.extra_data cannot"):
            lr.Record(name="json checked", extra_data=bad_json)
        record = lr.Record(name="json checked", extra_data={"k": "ü"})
        with pytest.raises(lr.errors.FieldValidationError, match=r"Record\.extra_data cannot"):
            record.extra_data = bad_json
        assert record.extra_data == {"k": "ü"}
    label.description = "ünïcode ✓ 𝄞"
    repo.save(label)
    repo.session.expire(label)
    assert label.description == "ünïcode ✓ 𝄞"


@FUZZ
@given(text=st.text(max_size=20))
def test_any_assigned_text_is_stored_or_refused_by_the_library(
    instance: lr.Instance, text: str
) -> None:
    """Whatever text a user assigns, the save stores it exactly or a library error says why
    (never a driver's ``UnicodeEncodeError`` or ``ValueError``)."""

    def assign_and_save(repo: lr.Repository) -> None:
        label = repo.save(lr.ULabel(name="fuzzed text"))
        label.description = text
        repo.save(label)
        repo.session.expire(label)
        assert label.description == text

    only_library_errors(instance, assign_and_save)


@FUZZ
@given(text=st.text(max_size=12), key=st.text(max_size=4))
def test_any_text_feature_value_is_stored_or_refused_by_the_library(
    instance: lr.Instance, text: str, key: str
) -> None:
    """A str feature's value and a dict feature's keys and values: stored and read back
    exactly, or a library error naming the feature, on either backend."""

    def annotate(repo: lr.Repository) -> None:
        repo.save([lr.Feature(name="fuzz_note", dtype=str),
                   lr.Feature(name="fuzz_meta", dtype=dict)])
        record = repo.save(lr.Record(name="fuzzed features"))
        try:
            record.features.set_values({"fuzz_note": text, "fuzz_meta": {key: [text]}})
        except lr.errors.ValidationError as error:
            assert "'fuzz_note'" in str(error) or "'fuzz_meta'" in str(error)
            raise
        assert record.features.get_values() == {"fuzz_note": text, "fuzz_meta": {key: [text]}}

    only_library_errors(instance, annotate)


def test_cli_search_limit_out_of_range_is_a_usage_error(
    instance: lr.Instance, capsys: pytest.CaptureFixture[str]
) -> None:
    from lamin_registry.cli import main

    url = instance.engine.url.render_as_string(hide_password=False)
    code = main(["--url", url, "search", "ulabel", "cell", "--limit", "99999999999999999999"])
    err = capsys.readouterr().err
    assert code == 2 and "--limit" in err and "Traceback" not in err
