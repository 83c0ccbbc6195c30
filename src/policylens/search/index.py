"""Writing the search index: tokens and facet values of a stored document's items.

Both writers run inside the caller's session, so a document, its facts and its index rows
commit or roll back together (``Store.save``, ``Store.reextract``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple, Protocol

from sqlalchemy import (
    ARRAY,
    Engine,
    Text,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session, selectinload

from policylens.search.facets import (
    DATE,
    PACK_LINE,
    REGION,
    TRIGGER,
    FacetPart,
    FacetParts,
    FacetValue,
    IndexedFact,
    IndexedItem,
    document_facet_parts,
    pack_facets,
    unpack_facets,
    value_tokens,
)
from policylens.search.regions import RegionTable, load_region_table
from policylens.search.tokens import (
    JOIN_CHUNK_CHARS,
    LONG_ITEM,
    fold_text,
    joined_text_tokens,
    text_tokens,
    token_count_and_distinct,
)
from policylens.store.rows import insert_rows
from policylens.store.schema import DocumentRow
from policylens.store.search_tables import (
    FTS_TABLE,
    SearchFacetValueRow,
    SearchItemRow,
)

PG_MAX_POSITION = 16_383  # PostgreSQL's limits on tsvector positions
PG_MAX_POSITIONS = 256  # per word
FACET_MARK = "~"  # starts a facet lexeme on PostgreSQL; words are letters, digits and CJK
TITLE_MARK = "t"  # starts a title token in the FTS5 column facets (facet tokens start with f)
FtsTokens = dict[int, tuple[str, str]]  # joined title and text tokens
_POSITION_TEXT = tuple(map(str, range(1, PG_MAX_POSITION + 1)))  # "1" … "16383", made once


class IndexedDocument(Protocol):
    """A stored document as the index reads it (a DocumentRow, or a bulk load's record)."""

    @property
    def id(self) -> int: ...
    @property
    def items(self) -> Sequence[IndexedItem]: ...
    @property
    def facts(self) -> Sequence[IndexedFact]: ...


def item_tsvector_text(title: list[str], item_text: str) -> str:
    """Return ``tsvector_text`` of an item's title tokens and of its text's tokens.

    A text of more characters than a tsvector keeps positions for is read a piece at a
    time: when it has too many tokens for positions, only its distinct words are kept, and
    the list of all its tokens (~80 bytes a token) is never made.
    """
    text = fold_text(item_text)
    if len(text) > JOIN_CHUNK_CHARS:
        count, words = token_count_and_distinct(text)
        if len(title) + 1 + count > PG_MAX_POSITION:
            return _without_positions([*title, *words])
    return tsvector_text(title, text_tokens(text))


def fts_tokens(items: Sequence[IndexedItem]) -> FtsTokens:
    """Return, by item id, the tokens of each item's title and of its text, each joined by
    spaces: what an FTS5 row is written with (made for all titles and texts in one pass)."""
    texts = [fold_text(item.title) for item in items] + [fold_text(item.text) for item in items]
    joined = joined_text_tokens(texts)
    titles, bodies = joined[: len(items)], joined[len(items) :]
    return {item.id: (title, body) for item, title, body in zip(items, titles, bodies, strict=True)}


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _quoted(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_text(title: list[str], body: list[str]) -> str:
    """Return the tsvector literal of an item's tokens, with positions for phrase queries.

    The body starts two positions after the title, so no phrase spans the two. A tsvector
    keeps positions up to 16,383 and 256 per word: an item beyond either gets its words
    without positions plus the mark ``LONG_ITEM``, and its phrases are checked as substrings.
    """
    sequence = [*title, "", *body]
    if len(sequence) <= PG_MAX_POSITION:
        # Each word's positions as text, joined as they come: the PostgreSQL index writer's
        # hot loop (a list of ints per word, formatted at the end, took three times longer).
        spots: dict[str, str] = {}
        get = spots.get
        for token, at in zip(sequence, _POSITION_TEXT, strict=False):
            before = get(token)
            spots[token] = at if before is None else f"{before},{at}"
        spots.pop("", None)
        most = (
            max(map(str.count, spots.values(), repeat(",")), default=0) + 1
            if len(sequence) > PG_MAX_POSITIONS
            else 0
        )
        if most <= PG_MAX_POSITIONS:
            words = "".join(spots)
            if "'" in words or "\\" in words:
                return " ".join([f"{_quoted(token)}:{at}" for token, at in spots.items()])
            return " ".join([f"'{token}':{at}" for token, at in spots.items()])
    return _without_positions(sequence)


def _without_positions(sequence: list[str]) -> str:
    """Return the tsvector literal of a long item: its distinct words, in the order they
    first appear, and the mark ``LONG_ITEM``."""
    words_in_order = dict.fromkeys(sequence)
    words_in_order.pop("", None)
    return " ".join(map(_quoted, [*words_in_order, LONG_ITEM]))


_FTS_COLUMNS = ("rowid", "title", "body", "facets")
FtsValues = tuple[int, str, str, str]
_ITEM_ID = itemgetter("item_id")
_FTS_INSERT = text(
    f"INSERT INTO {FTS_TABLE}(rowid, title, body, facets) VALUES (:rowid, :title, :body, :facets)"
)
# A contentless FTS5 row is deleted by giving it back the very tokens it was written with.
_FTS_DELETE = text(
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body, facets) "
    "VALUES ('delete', :rowid, :title, :body, :facets)"
)


def _fts_values(row_id: int, tokens: tuple[str, str], facets: list[str]) -> FtsValues:
    """Return the values an FTS5 row is written with: its rowid, title, body and facets."""
    title, body = tokens
    # The title's tokens again, marked, beside the facet tokens: "a word in the title" is then
    # a phrase of that column, which FTS5 intersects with the words like a filter (a column
    # filter on ``title`` would read every match's positions to find the few in titles).
    # Tokens hold no spaces, so each space of the joined title starts a token.
    marked = [TITLE_MARK + title.replace(" ", " " + TITLE_MARK)] if title else []
    return row_id, title, body, " ".join([*facets, *marked])


def _fts_row(row_id: int, tokens: tuple[str, str], facets: list[str]) -> dict[str, Any]:
    """Return ``_fts_values`` by column name, as the statements with named values take them."""
    return dict(zip(_FTS_COLUMNS, _fts_values(row_id, tokens, facets), strict=True))


def pg_facet_lexemes(tokens: list[str]) -> list[str]:
    """Return facet tokens as PostgreSQL lexemes: marked, so that no word can be one."""
    return [FACET_MARK + token for token in tokens]


def _insert_sqlite(
    session: Session,
    rows: list[dict[str, Any]],
    items: list[IndexedItem],
    facets: dict[int, list[str]],
) -> None:
    # The rows' ids read back in one query (RETURNING cost a statement per row on SQLite),
    # and the FTS rows through the driver's executemany.
    insert_rows(session, SearchItemRow.__table__, rows)
    table = SearchItemRow.__table__
    documents = sorted({row["document_id"] for row in rows})
    query = select(table.c.item_id, table.c.id).where(table.c.document_id.in_(documents))
    row_ids = {item_id: row_id for item_id, row_id in session.execute(query)}
    tokens = fts_tokens(items)
    session.connection().exec_driver_sql(
        f"INSERT INTO {FTS_TABLE}(rowid, title, body, facets) VALUES (?, ?, ?, ?)",
        [
            _fts_values(row_ids[item_id], tokens[item_id], facets[item_id])
            for item_id in map(_ITEM_ID, rows)
        ],
    )


def _insert_postgres(
    session: Session,
    rows: list[dict[str, Any]],
    items: list[IndexedItem],
    facets: dict[int, list[str]],
) -> None:
    # Both tsvectors as their text form, which COPY parses: the title's is the same value
    # as array_to_tsvector of its distinct tokens (lexemes without positions).
    texts = {item.id: item.text for item in items}
    titles = {item.id: text_tokens(fold_text(item.title)) for item in items}
    insert_rows(
        session,
        SearchItemRow.__table__,
        [
            {
                **row,
                "terms": " ".join(
                    [
                        item_tsvector_text(titles[row["item_id"]], texts[row["item_id"]]),
                        *map(_quoted, pg_facet_lexemes(facets[row["item_id"]])),
                    ]
                ),
                "title_terms": " ".join(map(_quoted, sorted(set(titles[row["item_id"]])))),
            }
            for row in rows
        ],
    )


_FILTER_VALUE_COLUMNS = ("facet", "value", "code", "parent")


def _write_filter_values(session: Session, values: Iterable[FacetValue]) -> None:
    """Record the region and date values not recorded yet (filters look them up)."""
    rows = {(v.facet, v.value, v.code or ""): v.parent for v in values if v.facet in (REGION, DATE)}
    if not rows:
        return
    ordered = [
        (facet, value, code, parent) for (facet, value, code), parent in sorted(rows.items())
    ]
    table = SearchFacetValueRow.__table__
    if _is_sqlite(session):
        # The driver's executemany: SQLAlchemy's handling of each row's values cost more
        # than SQLite's inserting them (the columns are text: nothing to convert).
        session.connection().exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(_FILTER_VALUE_COLUMNS)}) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            ordered,
        )
        return
    session.execute(
        postgresql_insert(table).on_conflict_do_nothing(),
        [dict(zip(_FILTER_VALUE_COLUMNS, row, strict=True)) for row in ordered],
    )


def _facet_parts(
    documents: Sequence[IndexedDocument], regions: RegionTable | None
) -> dict[int, list[FacetPart]]:
    """Return the parts of the facet values of every item of the documents, by item id."""
    if regions is None and any(f.region_code for d in documents for f in d.facts):
        regions = load_region_table()
    # One FacetParts for all: documents state the same topics and places over again.
    parts = FacetParts(regions or RegionTable({}), {})
    by_item: dict[int, list[FacetPart]] = {}
    for document in documents:
        by_item.update(document_facet_parts(document.items, document.facts, parts))
    return by_item


def _facet_values(
    documents: Sequence[IndexedDocument], regions: RegionTable | None
) -> dict[int, set[FacetValue]]:
    """Return the facet values of every item of the documents, by item id."""
    return {
        item_id: set().union(*parts) for item_id, parts in _facet_parts(documents, regions).items()
    }


def _copied_facets(facets: set[FacetValue]) -> dict[str, str]:
    """Return the facet copies search_items keeps for ranking and counting, as its columns."""
    return {
        "regions": _joined(facets, REGION),
        "topic_words": _joined(facets, TRIGGER),
        "facet_values": pack_facets(facets),
    }


class PartRows(NamedTuple):
    """What a part of items' facet values puts in their index rows: its facet tokens, its
    packed lines, and its region and trigger values (copied out for ranking). A tuple: an
    item's parts are transposed in C (``zip``) to union each of the four."""

    tokens: frozenset[str]
    lines: frozenset[str]
    regions: frozenset[FacetValue]
    triggers: frozenset[FacetValue]


ValueRows = dict[FacetValue, tuple[list[str], str]]


def part_rows(part: FacetPart, made: ValueRows) -> PartRows:
    """Return what a part of an item's facet values puts in its index rows, from each
    value's tokens and packed line alone (kept in ``made``: parts share values)."""
    tokens: set[str] = set()
    lines: set[str] = set()
    regions, triggers = [], []
    for value in part:
        own = made.get(value)
        if own is None:
            own = made[value] = (value_tokens((value,)), pack_facets((value,)))
        tokens.update(own[0])
        lines.add(own[1])
        if value.facet == REGION:
            regions.append(value)
        elif value.facet == TRIGGER:
            triggers.append(value)
    lines.discard("")  # a trigger word's: not packed
    return PartRows(frozenset(tokens), frozenset(lines), frozenset(regions), frozenset(triggers))


# Not frozen: a frozen dataclass's __init__ costs twice as much, and nothing changes these.
@dataclass(slots=True)
class ItemFacetRows:
    """What an item's facet values put in its index rows: its sorted facet tokens
    (``value_tokens``) and its facet copies (``_copied_facets``)."""

    tokens: list[str]
    copied: dict[str, str]


def _distinct_parts(parts: dict[int, list[FacetPart]]) -> set[FacetPart]:
    """Return every part some item has, once (a part keeps its hash: no value is hashed)."""
    return set().union(*parts.values())


_NO_ROWS: tuple[tuple[()], ...] = ((),) * len(PartRows._fields)  # an item without parts
_VALUE = attrgetter("value")


def item_facet_rows(parts: dict[int, list[FacetPart]]) -> dict[int, ItemFacetRows]:
    """Return, by item id, what the union of each item's facet parts puts in its index rows,
    as ``value_tokens`` and ``_copied_facets`` of it would: each distinct part is tokenized
    and packed once (items share most of theirs), and an item's are their unions."""
    values: ValueRows = {}
    made = {part: part_rows(part, values) for part in _distinct_parts(parts)}
    none: frozenset[Any] = frozenset()
    union = none.union
    out = {}
    for item_id, own in parts.items():
        # The four fields of the item's parts (transposed in C), each frozensets to union.
        rows = zip(*map(made.__getitem__, own), strict=True) if own else _NO_ROWS
        tokens, lines, regions, triggers = rows
        own_regions, own_triggers = union(*regions), union(*triggers)
        copied = {
            "regions": "\n".join(sorted(map(_VALUE, own_regions))) if own_regions else "",
            "topic_words": "\n".join(sorted(map(_VALUE, own_triggers))) if own_triggers else "",
            "facet_values": PACK_LINE.join(sorted(union(*lines))),
        }
        out[item_id] = ItemFacetRows(sorted(union(*tokens)), copied)
    return out


def _distinct_values(parts: dict[int, list[FacetPart]]) -> set[FacetValue]:
    """Return every facet value some item has, once."""
    # Parts are shared between items: each is unioned once (a part keeps its hash).
    return set().union(*_distinct_parts(parts))


def index_documents(
    session: Session, documents: Sequence[IndexedDocument], regions: RegionTable | None = None
) -> int:
    """Index the items of stored documents with their facets, replacing older rows; return
    the number of items. Many documents at once cost a few statements in all."""
    session.flush()
    document_ids = [document.id for document in documents]
    item_ids = [item.id for document in documents for item in document.items]
    # On the table, not the mapped class: an ORM delete first works out which loaded objects
    # it removes, and a batch has none loaded.
    table = SearchItemRow.__table__
    session.execute(delete(table).where(table.c.document_id.in_(document_ids)))
    if not item_ids:
        return 0
    parts = _facet_parts(documents, regions)
    facet_rows = item_facet_rows(parts)
    items = [item for document in documents for item in document.items]
    rows = [
        {"item_id": item.id, "document_id": d.id, **facet_rows[item.id].copied}
        for d in documents
        for item in d.items
    ]
    facets = {item_id: made.tokens for item_id, made in facet_rows.items()}
    if _is_sqlite(session):
        _insert_sqlite(session, rows, items, facets)
    else:
        _insert_postgres(session, rows, items, facets)
    _write_filter_values(session, _distinct_values(parts))
    return len(rows)


def _old_facet_tokens(session: Session, item_ids: list[int]) -> dict[int, list[str]]:
    """Return the facet tokens items were indexed with, from their packed facet values."""
    old: dict[int, list[str]] = {item_id: [] for item_id in item_ids}
    query = select(SearchItemRow.item_id, SearchItemRow.facet_values).where(
        SearchItemRow.item_id.in_(item_ids)
    )
    for item_id, packed in session.execute(query):
        old[item_id] = value_tokens(unpack_facets(packed))
    return old


def _retoken_sqlite(
    session: Session,
    document: IndexedDocument,
    old: dict[int, list[str]],
    new: dict[int, list[str]],
) -> None:
    """Rewrite the FTS rows of a document's items with new facet tokens."""
    table = SearchItemRow.__table__
    row_ids = dict(
        session.execute(
            select(table.c.item_id, table.c.id).where(table.c.item_id.in_(list(new)))
        ).all()
    )
    items = [item for item in document.items if item.id in row_ids]
    tokens = fts_tokens(items)
    session.execute(_FTS_DELETE, [_fts_row(row_ids[i.id], tokens[i.id], old[i.id]) for i in items])
    session.execute(_FTS_INSERT, [_fts_row(row_ids[i.id], tokens[i.id], new[i.id]) for i in items])


def _retoken_postgres(
    session: Session, old: dict[int, list[str]], new: dict[int, list[str]]
) -> None:
    """Swap the facet lexemes in the ``terms`` of items."""
    session.execute(
        update(SearchItemRow.__table__)
        .where(SearchItemRow.__table__.c.item_id == bindparam("key"))
        .values(
            terms=func.ts_delete(
                SearchItemRow.__table__.c.terms, bindparam("old", type_=ARRAY(Text))
            ).op("||")(func.array_to_tsvector(bindparam("new", type_=ARRAY(Text))))
        ),
        [
            {"key": item_id, "old": pg_facet_lexemes(old[item_id]), "new": pg_facet_lexemes(tokens)}
            for item_id, tokens in new.items()
        ],
    )


def index_facets(
    session: Session, document: IndexedDocument, regions: RegionTable | None = None
) -> None:
    """Replace the facet values and tokens of a document's items from its facts."""
    session.flush()
    item_ids = [item.id for item in document.items]
    old = _old_facet_tokens(session, item_ids)
    values = _facet_values([document], regions)
    _write_filter_values(session, set().union(*values.values()))
    if values:
        session.execute(
            update(SearchItemRow.__table__)
            .where(SearchItemRow.__table__.c.item_id == bindparam("key"))
            .values(
                regions=bindparam("regions"),
                topic_words=bindparam("topic_words"),
                facet_values=bindparam("facet_values"),
            ),
            [{"key": item_id, **_copied_facets(facets)} for item_id, facets in values.items()],
        )
        new = {item_id: value_tokens(facets) for item_id, facets in values.items()}
        if _is_sqlite(session):
            _retoken_sqlite(session, document, old, new)
        else:
            _retoken_postgres(session, old, new)


def _joined(values: set[FacetValue], facet: str) -> str:
    return "\n".join(sorted(v.value for v in values if v.facet == facet))


def index_document(
    session: Session, document: IndexedDocument, regions: RegionTable | None = None
) -> int:
    """Index a stored document's items and their facets; return the number of items."""
    return index_documents(session, [document], regions)


def clear_index(session: Session) -> None:
    """Remove every index row (the FTS5 table is emptied too on SQLite)."""
    session.execute(delete(SearchItemRow))
    if _is_sqlite(session):
        session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')"))


def reindex(engine: Engine) -> Iterator[tuple[str, int]]:
    """Rebuild the whole index, one transaction per document; yield (source, items indexed)."""
    regions = load_region_table()
    with Session(engine) as session, session.begin():
        clear_index(session)
        ids = list(session.scalars(select(DocumentRow.id).order_by(DocumentRow.id)))
    for document_id in ids:
        with Session(engine) as session, session.begin():
            query = (
                select(DocumentRow)
                .where(DocumentRow.id == document_id)
                .options(selectinload(DocumentRow.items), selectinload(DocumentRow.facts))
            )
            document = session.scalars(query).one()
            count = index_document(session, document, regions)
            source = document.source
        yield source, count
