"""Fact lookup: a user's words in, the facts that answer them out, best first.

Query planning is pure: clean the text (mentions, markup), split it into plain
words, correct small typos against the fact base's own vocabulary, spot entity
names, aliases and acronyms, drop stop words. The database then ranks facts
matching ANY remaining word (FTS5 bm25 / PostgreSQL ts_rank), and a light
rerank rewards facts about the entities the user named and facts that cover
more of the query.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from bot.facts.base import Entity
from storage.db import Database
from storage.facts import (
    FactCache,
    StoredFact,
    fact_base_digest,
    lexeme_doc_counts,
    search_candidates,
    search_catalog_rows,
)

MAX_QUERY_CHARS = 300  # longer text is cut: nobody asks a 10,000-character question
MAX_TERMS = 16
CANDIDATES = 30
MAX_INDEX_TERMS = 20

_WORD = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")  # echoed back in "No fact found for …"
_MENTION = re.compile(r"<[@#!][^>]*>|@(everyone|here|channel)\b|<https?://[^>|]*(\|[^>]*)?>|https?://\S+", re.I)

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are aren as at be because been before being below between both
but by can cannot could did didn do does doesn doing don down during each either else ever few for from further get gets
got had has have having he her here hers him his how i if in into is isn it its itself just let me more most my no nor
not now of off on once only or other ought our ours out over own please s same say says said she should shouldn so some
such t tell than that the their theirs them then there these they this those through to too under until up us very was
wasn we were weren what whats when where whether which while who whom whose why will with would wouldn you your yours
anything something thing things much many really actually know show give find fact facts happen happened
getting exist exists involve involves mean means
""".split())

# Words that carry meaning in a question even though they are "small": keep them.
KEEP_SHORT = frozenset({"ai", "us", "uk", "un", "eu", "g7"})


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@lru_cache(maxsize=65536)
def light_stem(word: str) -> str:
    """A crude English stem, only to decide whether a word is known ("talking" ~ "talks")."""
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", "")):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)] + repl
            break
    # "rate", "rated", "rating" all end as "rat".
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def clean_query(text: str) -> str:
    """Chat noise out: mentions, links, control characters; cut to MAX_QUERY_CHARS."""
    text = _CONTROL.sub(" ", _MENTION.sub(" ", text or ""))
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours counts 1), or limit+1 when beyond limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
            best = min(best, cur[j])
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


@dataclass
class Catalog:
    """What search keeps in memory: the vocabulary (for typos) and the entity aliases (for acronyms)."""

    doc_freq: Counter = field(default_factory=Counter)  # word -> facts containing it
    stems: set[str] = field(default_factory=set)
    by_length: dict[int, list[str]] = field(default_factory=dict)
    aliases: dict[tuple[str, ...], set[str]] = field(default_factory=dict)  # alias words -> entity ids
    entity_freq: Counter = field(default_factory=Counter)  # entity id -> facts about it
    entity_names: dict[str, str] = field(default_factory=dict)
    fact_count: int = 0
    max_alias_words: int = 1
    _corrected: dict[str, str | None] = field(default_factory=dict)  # memo: the vocabulary never changes

    @classmethod
    def build(cls, entities: list[Entity], facts: list[tuple[str, list[str], str]]) -> "Catalog":
        cat = cls()
        for text, ents, _fid in facts:
            cat.doc_freq.update(set(words(text)))
            cat.entity_freq.update(set(ents))
        cat.fact_count = len(facts)
        for entity in entities:
            cat.entity_names[entity.id] = entity.name
            for alias in (entity.name, *entity.aliases, entity.id.replace("-", " ")):
                key = tuple(words(alias))
                if key:
                    cat.aliases.setdefault(key, set()).add(entity.id)
                    cat.max_alias_words = max(cat.max_alias_words, len(key))
                    for w in key:
                        cat.doc_freq.setdefault(w, 0)
        cat.stems = {light_stem(w) for w in cat.doc_freq}
        for w in cat.doc_freq:
            if len(w) >= 3 and not w.isdigit():
                cat.by_length.setdefault(len(w), []).append(w)
        return cat

    def knows(self, word: str) -> bool:
        return word in self.doc_freq or light_stem(word) in self.stems

    def correct(self, word: str) -> str | None:
        """The nearest vocabulary word for an unknown one, if close enough to be a typo."""
        # Four-letter words are too often real words one letter from another ("lack"/"back").
        if len(word) < 5 or word.isdigit() or self.knows(word):
            return None
        if word not in self._corrected:
            if len(self._corrected) > 10_000:
                self._corrected.clear()
            self._corrected[word] = self._nearest(word)
        return self._corrected[word]

    def _nearest(self, word: str) -> str | None:
        limit = 1 if len(word) < 8 else 2
        best: tuple[int, int, str] | None = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            for candidate in self.by_length.get(length, ()):
                d = edit_distance(word, candidate, limit)
                if d <= limit:
                    key = (d, -self.doc_freq[candidate], candidate)
                    if best is None or key < best:
                        best = key
        return best[2] if best else None

    def idf(self, word: str) -> float:
        return math.log(1 + self.fact_count / (1 + self.doc_freq.get(word, 0)))

    def entity_idf(self, entity_id: str) -> float:
        return math.log(1 + self.fact_count / (1 + self.entity_freq.get(entity_id, 0)))


@dataclass(frozen=True)
class QueryPlan:
    text: str  # the cleaned query
    terms: tuple[str, ...]  # plain words for full-text search
    entities: tuple[str, ...]  # entity ids the query names (by name, alias or acronym)
    corrections: tuple[tuple[str, str], ...] = ()  # (typed, used)

    @property
    def empty(self) -> bool:
        return not self.terms and not self.entities


def plan_query(text: str, catalog: Catalog) -> QueryPlan:
    cleaned = clean_query(text)
    tokens = words(cleaned)
    corrections: list[tuple[str, str]] = []
    fixed: list[str] = []
    for token in tokens:
        better = catalog.correct(token) if token not in STOP_WORDS else None
        if better:
            corrections.append((token, better))
        fixed.append(better or token)
    entities: list[str] = []
    i = 0
    while i < len(fixed):
        for n in range(min(catalog.max_alias_words, len(fixed) - i), 0, -1):
            hit = catalog.aliases.get(tuple(fixed[i:i + n]))
            # A lone stop word ("us") only counts when typed as an acronym-like token.
            if hit and not (n == 1 and fixed[i] in STOP_WORDS and fixed[i] not in KEEP_SHORT):
                entities.extend(e for e in sorted(hit) if e not in entities)
                break
        i += 1
    terms: list[str] = []
    for token in fixed:
        if (token in STOP_WORDS and token not in KEEP_SHORT) or token in terms:
            continue
        if len(token) == 1 and not token.isdigit():
            continue
        terms.append(token)
    return QueryPlan(text=cleaned, terms=tuple(terms[:MAX_TERMS]), entities=tuple(entities), corrections=tuple(corrections))


@dataclass(frozen=True)
class SearchResult:
    plan: QueryPlan
    facts: tuple[StoredFact, ...]  # best first


@lru_cache(maxsize=8192)
def fact_stems(head: str, claim: str, quote: str) -> frozenset[str]:
    """A fact's word stems; the same facts come back query after query, so they are kept."""
    return frozenset(light_stem(w) for w in words(" ".join((head, claim, quote))))


def rerank(plan: QueryPlan, candidates: list[tuple[StoredFact, float]], catalog: Catalog) -> list[StoredFact]:
    """Full-text rank, plus credit for the named entities and for covering more of the query."""
    if not candidates:
        return []
    top = max(rank for _, rank in candidates) or 1.0  # 0 when the index could not rank (see storage.facts)
    query_stems = {light_stem(t): catalog.idf(t) for t in plan.terms}
    total_weight = sum(query_stems.values()) or 1.0
    entity_weight = {e: catalog.entity_idf(e) for e in plan.entities}
    entity_total = sum(entity_weight.values()) or 1.0

    query_stem_set = query_stems.keys()

    def score(candidate: tuple[StoredFact, float]) -> float:
        fact, rank = candidate
        text_stems = fact_stems(fact.search_head, fact.claim, fact.quote_text or "")
        # fsum: the same total whatever order the set yields, so ties rank the same every time
        coverage = math.fsum(query_stems[s] for s in query_stem_set & text_stems) / total_weight
        named = sum(w for e, w in entity_weight.items() if e in fact.entities) / entity_total if entity_weight else 0.0
        return rank / top + 0.6 * coverage + 0.5 * named

    return [fact for fact, _ in sorted(candidates, key=score, reverse=True)]


RECHECK_SECONDS = 30.0  # how soon a running bot notices that the fact base was reloaded


class FactSearch:
    """Search over one database's fact base.

    What it keeps in memory (the catalog, term counts, decoded facts) belongs to one
    loaded fact base: every RECHECK_SECONDS a lookup reads the loaded file's hash, and
    when `briefbot facts load` (or a restart elsewhere) changed it, all of it is rebuilt.
    """

    def __init__(self, db: Database, catalog: Catalog, lexeme_counts: dict[str, int] | None = None,
                 digest: str | None = None, *, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self.db = db
        self.catalog = catalog
        self.lexeme_counts = lexeme_counts
        self.digest = digest
        self.recheck_seconds = recheck_seconds
        self.term_counts: dict[str, int] = {}  # facts per query word
        self.facts = FactCache(catalog.fact_count)
        self._checked = time.monotonic()

    @classmethod
    async def open(cls, db: Database, *, recheck_seconds: float = RECHECK_SECONDS) -> "FactSearch":
        digest = await fact_base_digest(db)
        entities, facts = await search_catalog_rows(db)
        return cls(db, Catalog.build(entities, facts), await lexeme_doc_counts(db), digest,
                   recheck_seconds=recheck_seconds)

    async def _follow_reloads(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.recheck_seconds:
            return
        self._checked = now  # before awaiting: concurrent lookups do not check again
        if await fact_base_digest(self.db) == self.digest:
            return
        fresh = await FactSearch.open(self.db)
        # Swapped together, between awaits: a lookup sees the old state or the new one.
        self.catalog, self.lexeme_counts, self.digest = fresh.catalog, fresh.lexeme_counts, fresh.digest
        self.term_counts, self.facts = fresh.term_counts, fresh.facts

    async def search(self, text: str, limit: int = 3) -> SearchResult:
        await self._follow_reloads()
        plan = plan_query(text, self.catalog)
        terms = list(plan.terms)
        # An acronym ("LTBT") also searches by its entity's full name.
        for entity in self._acronym_entities(plan):
            for w in words(self.catalog.entity_names.get(entity, "")):
                if w not in STOP_WORDS and w not in terms and len(terms) < MAX_TERMS + 4:
                    terms.append(w)
        counts = self.term_counts if len(self.term_counts) < 50_000 else None
        candidates = await search_candidates(self.db, self._selective(terms), self.facts, CANDIDATES,
                                              self.lexeme_counts, counts)
        return SearchResult(plan=plan, facts=tuple(rerank(plan, candidates, self.catalog)[:limit]))

    def _selective(self, terms: list[str]) -> list[str]:
        return terms[:MAX_INDEX_TERMS]

    def _acronym_entities(self, plan: QueryPlan) -> list[str]:
        found: list[str] = []
        for entity in plan.entities:
            name_words = set(words(self.catalog.entity_names.get(entity, "")))
            for term in plan.terms:
                if len(term) <= 6 and term not in name_words and entity in self.catalog.aliases.get((term,), ()):
                    found.append(entity)
                    break
        return found
