"""Writing the search index: tokens and facet values of a stored document's items.

Both writers run inside the caller's session, so a document, its facts and its index rows
commit or roll back together (``Store.save``, ``Store.reextract``).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import (
    ARRAY,
    Engine,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Session, selectinload

from policylens.search.facets import REGION, TRIGGER, FacetValue, item_facets, plan_policies
from policylens.search.regions import RegionTable, load_region_table
from policylens.search.tokens import LONG_ITEM, fold_text, text_tokens
from policylens.store.schema import DocumentRow, FactRow, ItemRow
from policylens.store.search_tables import FTS_TABLE, SearchFacetRow, SearchItemRow

PG_MAX_POSITION = 16_383  # PostgreSQL's limits on tsvector positions
PG_MAX_POSITIONS = 256  # per word
Tokens = dict[int, tuple[list[str], list[str]]]


def item_tokens(item: ItemRow) -> tuple[list[str], list[str]]:
    """Return the search tokens of an item's title and of its text, in order."""
    return text_tokens(fold_text(item.title)), text_tokens(fold_text(item.text))


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
    positions: dict[str, list[int]] = {}
    for position, token in enumerate([*title, "", *body], start=1):
        if token:
            positions.setdefault(token, []).append(position)
    last = len(title) + 1 + len(body)
    if last > PG_MAX_POSITION or any(len(p) > PG_MAX_POSITIONS for p in positions.values()):
        return " ".join(_quoted(token) for token in [*positions, LONG_ITEM])
    return " ".join(
        f"{_quoted(token)}:{','.join(map(str, spots))}" for token, spots in positions.items()
    )


def _insert_sqlite(session: Session, keys: list[dict[str, int]], tokens: Tokens) -> None:
    table = SearchItemRow.__table__
    rows = session.execute(insert(table).returning(table.c.id, table.c.item_id), keys).all()
    session.execute(
        text(f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (:rowid, :title, :body)"),
        [
            {"rowid": row_id, "title": " ".join(title), "body": " ".join(body)}
            for row_id, item_id in rows
            for title, body in [tokens[item_id]]
        ],
    )


def _insert_postgres(session: Session, keys: list[dict[str, int]], tokens: Tokens) -> None:
    params = [
        {
            **key,
            "terms": tsvector_text(*tokens[key["item_id"]]),
            "title_tokens": sorted(set(tokens[key["item_id"]][0])),
        }
        for key in keys
    ]
    statement = insert(SearchItemRow.__table__).values(
        terms=cast(bindparam("terms", type_=Text), TSVECTOR),
        title_terms=func.array_to_tsvector(bindparam("title_tokens", type_=ARRAY(Text))),
    )
    session.execute(statement, params)


def index_items(session: Session, document: DocumentRow) -> int:
    """Index the tokens of a document's items (replacing older rows); return how many."""
    session.flush()
    session.execute(delete(SearchItemRow).where(SearchItemRow.document_id == document.id))
    if not document.items:
        return 0
    tokens = {item.id: item_tokens(item) for item in document.items}
    keys = [{"item_id": item.id, "document_id": document.id} for item in document.items]
    if _is_sqlite(session):
        _insert_sqlite(session, keys, tokens)
    else:
        _insert_postgres(session, keys, tokens)
    return len(keys)


def index_facets(
    session: Session, document: DocumentRow, regions: RegionTable | None = None
) -> int:
    """Replace the facet rows of a document's items from its facts; return how many were written."""
    session.flush()
    item_ids = [item.id for item in document.items]
    session.execute(delete(SearchFacetRow).where(SearchFacetRow.item_id.in_(item_ids)))
    by_item: dict[int | None, list[FactRow]] = {}
    for fact in document.facts:
        by_item.setdefault(fact.item_id, []).append(fact)
    policies = [fact for fact in document.facts if fact.kind == "policy"]
    if regions is None and any(fact.region_code for fact in document.facts):
        regions = load_region_table()
    table = regions or RegionTable({})
    values = {
        item.id: item_facets(item, by_item.get(item.id, []), plan_policies(item, policies), table)
        for item in document.items
    }
    # Topic words only feed ranking: they go to search_items.topic_words, not to facet rows.
    rows = [
        {"item_id": item_id, "facet": v.facet, "value": v.value, "code": v.code}
        for item_id, facets in values.items()
        for v in facets
        if v.facet != TRIGGER
    ]
    if rows:
        session.execute(insert(SearchFacetRow.__table__), rows)
        session.execute(
            update(SearchItemRow.__table__)
            .where(SearchItemRow.__table__.c.item_id == bindparam("key"))
            .values(regions=bindparam("regions"), topic_words=bindparam("words")),
            [
                {
                    "key": item_id,
                    "regions": _joined(facets, REGION),
                    "words": _joined(facets, TRIGGER),
                }
                for item_id, facets in values.items()
            ],
        )
    return len(rows)


def _joined(values: set[FacetValue], facet: str) -> str:
    return "\n".join(sorted(v.value for v in values if v.facet == facet))


def index_document(
    session: Session, document: DocumentRow, regions: RegionTable | None = None
) -> int:
    """Index a stored document's items and their facets; return the number of items."""
    count = index_items(session, document)
    index_facets(session, document, regions)
    return count


def clear_index(session: Session) -> None:
    """Remove every index row (the FTS5 table is emptied too on SQLite)."""
    session.execute(delete(SearchFacetRow))
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
