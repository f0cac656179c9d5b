"""``search``: tiered, typo-tolerant search over a registry's name field and synonyms.

Tiers, best first: **exact** (the name or one synonym equals the query) > **prefix** >
**word-prefix** (the query starts a word) > **contained** > **fuzzy** (typos,
transpositions, word order). Scores (0-100) encode the tier: exact 100, prefix 90-99.9,
word-prefix 80-89.9, contained 70-79.9 (the rest of each band is the rapidfuzz similarity
of query and matched text, so shorter matches rank higher), fuzzy below 70
(0.7 x :func:`fuzzy_similarity`, cut off at ``FUZZY_CUTOFF``). Ties break by name, then id.

The database generates candidates, rapidfuzz ranks them:

* lexical tiers: one statement that keeps the rows containing the query (PostgreSQL:
  ``ILIKE`` on a ``pg_trgm`` GIN index; SQLite: a phrase query on the registry's FTS5
  trigram table) and orders them by tier and length, cut to a few times ``limit``;
* fuzzy tier, only when the lexical tiers leave room under ``limit``: PostgreSQL ``%`` /
  ``<%`` (trigram similarity, GIN-indexed); SQLite an FTS5 query asking for rows sharing two
  of the query's spread-out trigrams (a transposition or typo destroys at most two of them),
  best bm25 first.

On SQLite, from the second search of unchanged data on, an in-process copy of the registry's
folded texts finds and ranks the candidates instead (:mod:`.search_memory`,
:mod:`.search_copy`); the database still decides which records are returned.

Registries or fields without a trigram index fall back to the same statements without the
index (a scan) and, for fuzzy candidates, to a streamed scan ranked chunk by chunk, so
memory stays bounded by the chunk size plus the candidates.
"""

from __future__ import annotations

import contextlib
import itertools
import weakref
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from ..dberrors import translated
from ..errors import InvalidArgument
from ..query import prepared
from ..query.limits import check_limit, clamp
from . import search_copy, search_memory, search_pg
from ._common import (
    fold,
    has_column,
    name_field,
    primary_key,
    row_conditions,
    string_columns,
)
from .results import SearchResult
from .search_rank import (
    _WORDS,
    CONTAINED,
    EXACT,
    PREFIX,
    WORD,
    _is_list_field,
    _rank,
    _targets,
)

if TYPE_CHECKING:
    from ..query.query import Query
    from ..repository import Repository

R = TypeVar("R")

FUZZY_CANDIDATES = 100
MAX_GRAMS = 6  # trigrams per fuzzy query: 15 pairs
PG_THRESHOLDS = (0.2, 0.45)  # pg_trgm similarity / word similarity for candidates
FUZZY_CANDIDATES_ALL = 1_000  # with limit=None
FUZZY_CANDIDATES_WIDE = 2_000  # second try when the first candidates were cut and none fit
SCAN_CHUNK = 5_000
WORD_SEPARATORS = (" ", "-", "_", "|", "/", "(", ".", ",", ";", ":")
_IDS: Any = sa.bindparam("lr_ids", expanding=True)  # one statement whatever the number of ids

_FTS_CACHE: weakref.WeakKeyDictionary[sa.Engine, dict[str, tuple[str, ...] | None]] = (
    weakref.WeakKeyDictionary()
)
_TRGM_CACHE: weakref.WeakKeyDictionary[sa.Engine, bool] = weakref.WeakKeyDictionary()
# a registry's columns never change once mapped: its default search fields and FTS5 table
_DEFAULT_FIELDS: weakref.WeakKeyDictionary[type, tuple[str, ...]] = weakref.WeakKeyDictionary()
_FTS_NAMES: weakref.WeakKeyDictionary[type, str] = weakref.WeakKeyDictionary()


# -- which fields -------------------------------------------------------------------------------


def search_fields(model: type, field: Any) -> list[str]:
    """The columns to search.

    ``None``: the name field plus ``synonyms`` (every string column if the registry has no
    string name field); ``"all"``: every public string column; a name, a ``Model.column``
    or a list of them.
    """
    if field is None:
        default = _DEFAULT_FIELDS.get(model)
        if default is None:
            name = name_field(model)
            if name is None:
                default = tuple(string_columns(model))
            else:
                default = (name, "synonyms") if has_column(model, "synonyms") else (name,)
            _DEFAULT_FIELDS[model] = default
        return list(default)
    strings = string_columns(model)
    if isinstance(field, str) and field == "all":
        return strings
    items = [field] if isinstance(field, str | sa.orm.InstrumentedAttribute) else field
    if not isinstance(items, Sequence) or not items:
        raise InvalidArgument(
            f"field must be a field name, 'all', a column such as {model.__name__}.name, "
            f"or a list of them; got {field!r}"
        )
    names: list[str] = []
    for item in items:
        if isinstance(item, sa.orm.InstrumentedAttribute):
            item = item.key
        if not isinstance(item, str) or item not in strings:
            raise InvalidArgument(
                f"Cannot search {model.__name__} by {item!r}: pass a string field, one of "
                f"{', '.join(strings)} (or 'all')"
            )
        if item not in names:
            names.append(item)
    return names


# -- index discovery -------------------------------------------------------------------------


def _engine(repo: Repository) -> sa.Engine:
    bind = repo.session.get_bind()
    return bind.engine if isinstance(bind, sa.Connection) else bind


def fts_table(model: type) -> str:
    name = _FTS_NAMES.get(model)
    if name is None:
        table: str = sa.inspect(model).local_table.name
        name = _FTS_NAMES[model] = "lamin_registry_search_" + table.removeprefix("lamindb_")
    return name


def _fts_columns(repo: Repository, model: type) -> tuple[str, ...] | None:
    """The columns of the registry's FTS5 table on SQLite, if it exists with its triggers."""
    cache = _FTS_CACHE.setdefault(_engine(repo), {})
    name = fts_table(model)
    if name not in cache:
        triggers = set(
            repo.session.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                {"t": sa.inspect(model).local_table.name},
            ).scalars()
        )
        exists = repo.session.execute(
            sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": name}
        ).first()
        if exists and {f"{name}_ai", f"{name}_ad", f"{name}_au"} <= triggers:
            info = repo.session.execute(sa.text(f'PRAGMA table_info("{name}")')).all()
            cache[name] = tuple(row[1] for row in info)
        else:
            cache[name] = None
    return cache[name]


def _has_trgm(repo: Repository) -> bool:
    engine = _engine(repo)
    if engine not in _TRGM_CACHE:
        found = repo.session.execute(
            sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        ).first()
        _TRGM_CACHE[engine] = found is not None
    return _TRGM_CACHE[engine]


# -- candidates -----------------------------------------------------------------------------------


def _position(repo: Repository, haystack: Any, needle: Any) -> Any:
    return (sa.func.instr if repo.dialect == "sqlite" else sa.func.strpos)(haystack, needle)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts_columns_filter(fields: Sequence[str]) -> str:
    return "{" + " ".join(fields) + "} : "


def _lexical(
    repo: Repository,
    model: type,
    fields: Sequence[str],
    query: str,
    case_sensitive: bool,
    conditions: Sequence[Any],
    fts_columns: tuple[str, ...] | None,
    limit: int | None,
) -> list[Any]:
    """Rows where some field contains the query, ordered by (approximate) tier and length."""
    needle = query if case_sensitive else query.lower()
    columns = [getattr(model, name) for name in fields]
    pk = primary_key(model)

    def folded(column: Any) -> Any:
        return column if case_sensitive else sa.func.lower(column)

    exact: list[Any] = []
    prefix: list[Any] = []
    word: list[Any] = []
    for name, column in zip(fields, columns, strict=True):
        text = folded(column)
        if _is_list_field(name):
            bar = sa.literal("|")
            exact.append(_position(repo, bar + text + "|", f"|{needle}|") > 0)
            prefix.append(_position(repo, bar + text, f"|{needle}") > 0)
        else:
            exact.append(text == needle)
            prefix.append(sa.func.substr(text, 1, len(needle)) == needle)
        word.extend(_position(repo, text, sep + needle) > 0 for sep in WORD_SEPARATORS)
    tier = sa.case(
        (sa.or_(*exact), EXACT), (sa.or_(*prefix), PREFIX), (sa.or_(*word), WORD),
        else_=CONTAINED,
    )
    length = sa.func.coalesce(sa.func.length(columns[0]), 0)

    where: list[Any] = []
    if fts_columns is not None and len(query) >= 3:
        fts = fts_table(model)
        match = _fts_columns_filter(fields) + _fts_quote(query)
        hits: Any = sa.select(sa.literal_column("rowid")).select_from(sa.table(fts)).where(
            sa.literal_column(fts).op("MATCH")(match)
        )
        where.append(pk.in_(hits))
        if case_sensitive:
            where.append(sa.or_(*(_position(repo, column, query) > 0 for column in columns)))
    elif repo.dialect == "postgresql" and (
        rare := search_pg.contains_filter(repo, model, fields, query, case_sensitive)
    ):
        where.extend(rare)
    elif repo.dialect == "postgresql":
        pattern = f"%{_like_escape(query)}%"
        where.append(sa.or_(*(
            column.like(pattern, escape="\\") if case_sensitive
            else column.ilike(pattern, escape="\\")
            for column in columns
        )))
    else:
        where.append(sa.or_(*(
            _position(repo, column if case_sensitive else fold(repo, column), needle) > 0
            for column in columns
        )))
    stmt = (
        sa.select(pk, *columns)
        .where(*where, *conditions)
        .order_by(tier, length, pk)
    )
    if limit is not None:
        stmt = stmt.limit(clamp(limit * 3 + 30))
    return list(repo._execute(stmt).all())


def _spread_trigrams(text: str) -> list[str]:
    """Trigrams of each word of ``text`` for candidate generation.

    Words are taken separately so that a different word order still shares them. Words of up
    to eight characters give all their trigrams, longer ones every second (or third) one, so
    one edit destroys at most two; at most ``MAX_GRAMS``, evenly spread, keep the query small.
    """
    grams: list[str] = []
    for word in _WORDS.findall(text):
        if len(word) < 3:
            continue
        step = 1 if len(word) <= 8 else 2 if len(word) <= 14 else 3
        grams.extend(word[i : i + 3] for i in range(0, len(word) - 2, step))
        if (len(word) - 3) % step:
            grams.append(word[-3:])
    if not grams:  # no word of three letters: the raw trigrams
        grams = [text[i : i + 3] for i in range(len(text) - 2) if text[i : i + 3].strip()]
    grams = list(dict.fromkeys(grams))
    if len(grams) > MAX_GRAMS:
        picks = [round(i * (len(grams) - 1) / (MAX_GRAMS - 1)) for i in range(MAX_GRAMS)]
        grams = [grams[i] for i in dict.fromkeys(picks)]
    return grams


def _fts_fuzzy_expression(query: str, fields: Sequence[str]) -> str | None:
    grams = _spread_trigrams(query.lower())
    if not grams:
        return None
    if len(grams) <= 4:
        body = " OR ".join(_fts_quote(gram) for gram in grams)
    else:
        body = " OR ".join(
            f"({_fts_quote(a)} AND {_fts_quote(b)})" for a, b in itertools.combinations(grams, 2)
        )
    return f"{_fts_columns_filter(fields)}({body})"


def _fuzzy(
    repo: Repository,
    model: type,
    fields: Sequence[str],
    query: str,
    case_sensitive: bool,
    conditions: Sequence[Any],
    fts_columns: tuple[str, ...] | None,
    count: int,
) -> list[Sequence[Any]]:
    """Rows similar to the query (candidates only; rapidfuzz decides)."""
    columns = [getattr(model, name) for name in fields]
    pk = primary_key(model)
    if fts_columns is not None:
        expression = _fts_fuzzy_expression(query, fields)
        if expression is None:
            return []
        fts = sa.table(fts_table(model), sa.column("rowid"), sa.column("rank"))
        stmt = (
            sa.select(pk, *columns)
            .select_from(fts.join(model, pk == fts.c.rowid))
            .where(sa.literal_column(fts.name).op("MATCH")(expression), *conditions)
            .order_by(fts.c.rank)
            .limit(count)
        )
        return list(repo._execute(stmt).all())
    if repo.dialect == "postgresql" and _has_trgm(repo):
        rare = search_pg.fuzzy_statement(repo, model, fields, query, conditions, pk, count)
        rare_rows: list[Sequence[Any]] = []
        if rare is not None:
            rare_rows = list(repo._execute(rare).all())
            singles = search_pg.fuzzy_statement(
                repo, model, fields, query, conditions, pk, count, singles=True
            )
            if not rare_rows and singles is not None:
                rare_rows = list(repo._execute(singles).all())
            if not search_pg.plain_fuzzy_too(repo, model, fields, len(rare_rows)):
                return rare_rows
        lowered = query.lower()
        # pg_trgm folds case itself: ``column % q`` is ``lower(column) % q`` and uses the index
        similar = sa.or_(*(
            sa.or_(column.op("%")(lowered), sa.literal(lowered).op("<%")(column))
            for column in columns
        ))
        closeness = sa.func.greatest(*(
            sa.func.greatest(
                sa.func.coalesce(sa.func.similarity(column, lowered), 0),
                sa.func.coalesce(sa.func.word_similarity(lowered, column), 0),
            )
            for column in columns
        ))
        stmt = (
            sa.select(pk, *columns)
            .where(similar, *conditions)
            .order_by(closeness.desc(), pk)
            .limit(count)
        )
        with _trgm_thresholds(repo):
            plain_rows: list[Sequence[Any]] = list(repo._execute(stmt).all())
        if not rare_rows:
            return plain_rows
        seen = {row[0] for row in rare_rows}
        return [*rare_rows, *(row for row in plain_rows if row[0] not in seen)]
    return _scan_fuzzy(repo, model, fields, query, case_sensitive, conditions, count)


@contextlib.contextmanager
def _trgm_thresholds(repo: Repository) -> Iterator[None]:
    """Lower pg_trgm's ``%``/``<%`` thresholds for one statement, then restore them.

    The defaults (0.3 and 0.6) miss a transposition in a short word; rapidfuzz applies the
    real cut-off to the candidates anyway.
    """
    names = ("pg_trgm.similarity_threshold", "pg_trgm.word_similarity_threshold")
    get = sa.text("SELECT current_setting(:name)")
    put = sa.text("SELECT set_config(:name, :value, true)")
    previous = [repo.session.execute(get, {"name": name}).scalar_one() for name in names]
    for name, value in zip(names, PG_THRESHOLDS, strict=True):
        repo.session.execute(put, {"name": name, "value": str(value)})
    try:
        yield
    finally:
        for name, value in zip(names, previous, strict=True):
            repo.session.execute(put, {"name": name, "value": value})


def _scan_fuzzy(
    repo: Repository,
    model: type,
    fields: Sequence[str],
    query: str,
    case_sensitive: bool,
    conditions: Sequence[Any],
    count: int,
) -> list[Sequence[Any]]:
    """No trigram index: stream the rows and keep the ``count`` most similar ones."""
    import heapq

    from rapidfuzz import fuzz

    columns = [getattr(model, name) for name in fields]
    pk = primary_key(model)
    needle = query if case_sensitive else query.lower()
    stmt = sa.select(pk, *columns).where(*conditions).execution_options(yield_per=SCAN_CHUNK)
    best: list[tuple[float, int, Sequence[Any]]] = []
    counter = itertools.count()
    for row in repo._execute(stmt):
        similarity = 0.0
        for text in _targets(row, fields):
            folded = text if case_sensitive else text.lower()
            # a cheap, lenient pre-score (C code); _rank applies fuzzy_similarity afterwards
            similarity = max(similarity, fuzz.WRatio(needle, folded, score_cutoff=50))
        if similarity:
            item = (similarity, -next(counter), tuple(row))
            if len(best) < count:
                heapq.heappush(best, item)
            else:
                heapq.heappushpop(best, item)
    return [row for _, _, row in best]


# -- the entry point ------------------------------------------------------------------------------


def search(
    repo: Repository,
    model: type[R],
    string: str,
    *,
    field: Any = None,
    limit: int | None = 20,
    case_sensitive: bool = False,
    query: Query[R] | None = None,
) -> SearchResult[R]:
    """Records matching ``string`` best first; see the module docstring for tiers and scores."""
    if string is None:
        raise InvalidArgument("Cannot search for None value! Please pass a valid string.")
    if not isinstance(string, str):
        raise InvalidArgument(f"search() takes a string, got {type(string).__name__}: {string!r}")
    if "\x00" in string:
        raise InvalidArgument(
            f"Cannot search for {string!r}: it contains a NUL character (\\x00), which no "
            "stored text can hold"
        )
    check_limit(limit)
    fields = search_fields(model, field)
    text = string.strip()
    if not text or limit == 0 or not fields:
        return SearchResult([], [])
    needle = text if case_sensitive else text.lower()
    with translated("query failed"):  # pending changes first: a refused one raises here
        repo.session._autoflush()
    fts_columns = None
    if repo.dialect == "sqlite":
        available = _fts_columns(repo, model)
        if available is not None and set(fields) <= set(available):
            fts_columns = available
    if fts_columns is not None and not case_sensitive:
        texts = search_memory.texts_for(repo, model, fields, fts_table(model))
        if texts is not None:
            found = search_copy.search(repo, model, fields, needle, query, texts, limit)
            if found is not None:
                return SearchResult(*found)
    conditions = row_conditions(repo, model, query)
    ranked = _sql_ranked(
        repo, model, fields, text, needle, case_sensitive, conditions, fts_columns, limit
    )
    if limit is not None:
        ranked = ranked[:limit]
    if not ranked:
        return SearchResult([], [])
    ids = [item[2] for item in ranked]
    pk = primary_key(model)
    params = {"lr_ids": ids}
    loaded = prepared.load_where(repo.session, model, [pk.in_(_IDS)], [], params)
    if loaded is None:  # the ORM path (see query/prepared.py)
        loaded = repo._scalars(sa.select(model).where(pk.in_(_IDS)), params)
    records = {sa.inspect(record).identity[0]: record for record in loaded}
    ordered = [records[id_] for id_ in ids if id_ in records]
    scores = [round(item[0], 1) for item in ranked if item[2] in records]
    return SearchResult(ordered, scores)


def _sql_ranked(
    repo: Repository,
    model: type,
    fields: Sequence[str],
    text: str,
    needle: str,
    case_sensitive: bool,
    conditions: Sequence[Any],
    fts_columns: tuple[str, ...] | None,
    limit: int | None,
) -> list[tuple[float, Any, Any]]:
    """The tiers from database statements (PostgreSQL, case-sensitive search, no index)."""
    rows: list[Sequence[Any]] = list(
        _lexical(repo, model, fields, text, case_sensitive, conditions, fts_columns, limit)
    )
    ranked = _rank(needle, rows, fields, case_sensitive)
    if len(text) >= 3 and (limit is None or len(ranked) < limit):
        count = FUZZY_CANDIDATES_ALL if limit is None else clamp(max(FUZZY_CANDIDATES, 4 * limit))
        fuzzy = _fuzzy(repo, model, fields, text, case_sensitive, conditions, fts_columns, count)
        ranked = _rank(needle, [*rows, *fuzzy], fields, case_sensitive)
        if not ranked and len(fuzzy) == count and count < FUZZY_CANDIDATES_WIDE:
            # Cut off before the right row: a typo that destroys every trigram of one word
            # leaves only the other words' trigrams, which hundreds of rows share. Nothing at
            # all passed the cut-off, so ask once more for many more candidates. (Not when
            # something was found: an exact name with no lookalikes must stay cheap.)
            fuzzy = _fuzzy(
                repo, model, fields, text, case_sensitive, conditions, fts_columns,
                FUZZY_CANDIDATES_WIDE,
            )
            ranked = _rank(needle, [*rows, *fuzzy], fields, case_sensitive)
    return ranked
