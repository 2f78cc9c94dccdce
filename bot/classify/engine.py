"""The keyword classifier: one pass over an item's words, weighted phrases per theme.

Why this design: it is deterministic, explainable (every point of a score comes
from a phrase a user can read and edit in the theme file) and fast enough to
run inside every poll (tens of thousands of items a second on one core).

Text handling:
- markup, entities and control characters are removed; only the first
  MAX_SUMMARY_CHARS of a summary are read (the main subject is in the lead);
- "US", "U.S.", "UK", "UN" in capitals become the words ūs, ūk, ūn, the same
  length as the text they replace so offsets still point into the clean text
  (the pronoun "us" never means the country); "A.I." becomes "ai" the same way
  (split at its dots it would be the pronoun "I");
- words are lowercased ASCII runs; plural "s"/"ies" and possessive "'s" fold;
- phrases written in Chinese (CJK) match as substrings, only when the item
  contains CJK characters.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.classify.theme_file import ThemeFile
from bot.errors import ConfigError
from bot.themes import THEME_IDS

MAX_TITLE_CHARS = 1_000
MAX_SUMMARY_CHARS = 6_000
MAX_EVIDENCE_CHARS = 160
MAX_EVIDENCE = 3
# A phrase of this weight decides a theme on its own (with scale 2 and threshold 0.5).
DECISIVE_WEIGHT = 2.0
# A title phrase lighter than this ("frontier" for the capability race) is a passing word, not
# what the title is about: it does not make its theme the title's subject.
TITLE_SUBJECT_WEIGHT = 0.5

_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^<>]{0,2000}>", re.IGNORECASE | re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_ACRONYM = re.compile(r"(?<![\w.])(U\.S\.A\.|U\.S\.|USA|US|U\.K\.|UK|U\.N\.|UN|A\.I\.)(?![\w])")
_WORD = re.compile(r"[a-z0-9ū]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE_END = re.compile(r"[.!?。！？;；\n]")
_SENTENCE_END_CHARS = ".!?。！？;；\n"

_ACRONYM_WORD = {"US": "ūs", "USA": "ūs", "UK": "ūk", "UN": "ūn", "AI": "ai"}


def clean_text(text: str, limit: int) -> str:
    """Plain text: no markup, entities, control characters or runs of spaces."""
    if not text:
        return ""
    text = text[: limit * 4]  # markup may be most of it; never scan 100 KB of it
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())[:limit]  # split() folds exactly the whitespace \s matches


def _acronym(match: re.Match[str]) -> str:
    found = match.group(1)
    word = _ACRONYM_WORD[found.replace(".", "")]
    return word + " " * (len(found) - len(word))


def fold_text(clean: str) -> str:
    """Lowercased text of the same length as `clean`, with country acronyms made unambiguous."""
    return _ACRONYM.sub(_acronym, clean).lower()


_STEMS: dict[str, str] = {}


def stem(word: str) -> str:
    cached = _STEMS.get(word)
    if cached is not None:
        return cached
    # A light, consistent suffix fold (the same on phrases and text): "smuggled",
    # "smuggling" and "smuggles" all become "smuggl"; "policies" becomes "policy".
    out = word
    if len(word) > 4 and word.endswith(("ies", "ied")):
        out = word[:-3] + "y"
    else:
        if len(out) > 3 and out.endswith("s") and not out.endswith(("ss", "us", "is")):
            out = out[:-1]
        if len(out) > 5 and out.endswith("ing"):
            out = out[:-3]
        elif len(out) > 4 and out.endswith("ed"):
            out = out[:-2]
        if len(out) > 3 and out.endswith("e"):
            out = out[:-1]
    if len(_STEMS) < 200_000:
        _STEMS[word] = out
    return out


_ARTICLES = frozenset({"the", "a", "an"})
# Skipped on both sides, so "close the gap" also matches "closes gap" and "close a gap".
_SKIP = _ARTICLES | {"s"}


def words(folded: str) -> list[str]:
    cached = _STEMS.get  # most words are seen before: skip the call into stem()
    return [cached(w) or stem(w) for w in _WORD.findall(folded) if w not in _SKIP]


@dataclass(frozen=True)
class _Effect:
    kind: str  # theme | negative | off | context | engagement | pressure
    target: str  # theme id or context group ("" for off-topic and stance)
    weight: float


@dataclass(frozen=True)
class Result:
    themes: tuple[str, ...]
    scores: dict[str, float]
    stance: str | None
    relevant: bool
    evidence: tuple[str, ...]


class Matcher:
    """Every phrase of the theme file compiled into one index keyed by its first word."""

    def __init__(self, tf: ThemeFile) -> None:
        self.tf = tf
        self._effects: list[list[_Effect]] = []
        self._labels: list[str] = []
        self._ids: dict[tuple[str, ...] | str, int] = {}
        # first word -> [id of the one-word phrase or None, {second word -> [(remaining words, id)]}]
        self._by_first: dict[str, list] = {}
        self._lengths: list[int] = []  # words per phrase (0 for CJK)
        self._cjk: list[tuple[str, int]] = []
        for group, terms in tf.contexts.items():
            for term in terms:
                self._add(term, _Effect("context", group, 0.0))
        for phrase in tf.argument_cues:
            self._add(phrase, _Effect("argument", "", 0.0))
        for phrase, weight in tf.off_topic.items():
            self._add(phrase, _Effect("off", "", weight))
        for side, cues in tf.stance_cues.items():
            for phrase, weight in cues.items():
                self._add(phrase, _Effect(side, "", weight))
        for theme in tf.themes:
            for phrase, weight in theme.phrases.items():
                self._add(phrase, _Effect("theme", theme.id, weight))
            for phrase, weight in theme.negative.items():
                self._add(phrase, _Effect("negative", theme.id, weight))
        # Per phrase, its effects grouped by kind: the hot loop then does no dispatch.
        self._compiled = [_compile(effects) for effects in self._effects]
        # Context groups as sets, so a requirement or rule is tested with one isdisjoint().
        self._requires = {
            theme.id: tuple(frozenset(alternatives) for alternatives in theme.requires) for theme in tf.themes
        }
        self._rules = {
            theme.id: tuple(
                (tuple(frozenset(alts) for alts in all_of), tuple(frozenset(alts) for alts in none_of), weight, title_only)
                for all_of, none_of, weight, title_only in theme.rules
            )
            for theme in tf.themes
        }

    def _add(self, phrase: str, effect: _Effect) -> None:
        phrase = phrase.strip()
        if _CJK.search(phrase):
            key: tuple[str, ...] | str = phrase
        else:
            key = tuple(words(fold_text(phrase)))
            # A trailing "a"/"an"/"the" is skipped in matching, so "series a" would silently
            # match every "series": refuse it (and a phrase of skipped words only) by name.
            if not key:
                raise self._refused(phrase, effect, "has no word that matching reads "
                                    "(\"a\", \"an\", \"the\" and punctuation are ignored)")
            last = _WORD.findall(fold_text(phrase))[-1]
            if last in _ARTICLES:
                raise self._refused(phrase, effect, f"ends in {last!r}, which matching skips "
                                    "(\"a\", \"an\", \"the\" are ignored); add the word that follows it or drop it")
        pid = self._ids.get(key)
        if pid is None:
            pid = len(self._effects)
            self._ids[key] = pid
            self._effects.append([])
            self._labels.append(phrase)
            self._lengths.append(len(key) if isinstance(key, tuple) else 0)
            if isinstance(key, str):
                self._cjk.append((key, pid))
            else:
                single, by_second = self._by_first.setdefault(key[0], [None, {}])
                if len(key) == 1:
                    self._by_first[key[0]][0] = pid
                else:
                    by_second.setdefault(key[1], []).append((key[2:], pid))
        # Spellings that fold to the same words ("hacker"/"hackers", "red-team"/"red team")
        # are one phrase: it counts once per effect, at the highest weight written for it,
        # so listing variants for readability never multiplies a phrase's weight.
        effects = self._effects[pid]
        for k, known in enumerate(effects):
            if known.kind == effect.kind and known.target == effect.target:
                if effect.weight > known.weight:
                    effects[k] = effect
                return
        effects.append(effect)

    def _refused(self, phrase: str, effect: _Effect, why: str) -> ConfigError:
        return ConfigError(f"theme file {self.tf.path}: {_field(effect, self.tf)}: {phrase!r}: {why}")

    def scan(self, folded: str) -> dict[int, int]:
        """Phrase id -> index of its first occurrence (a word index, or -1 - char offset for CJK)."""
        hits: dict[int, int] = {}
        ws = words(folded)
        by_first = self._by_first
        n = len(ws)
        for i, w in enumerate(ws):
            entry = by_first.get(w)
            if entry is None:
                continue
            single, by_second = entry
            if single is not None and single not in hits:
                hits[single] = i
            if i + 1 < n:
                candidates = by_second.get(ws[i + 1])
                if candidates:
                    for rest, pid in candidates:
                        if pid not in hits and (not rest or tuple(ws[i + 2 : i + 2 + len(rest)]) == rest):
                            hits[pid] = i
        if self._cjk and _CJK.search(folded):
            for phrase, pid in self._cjk:
                at = folded.find(phrase)
                if at >= 0 and pid not in hits:
                    hits[pid] = -1 - at
        return hits

    def classify(self, title: str, summary: str) -> Result:
        tf = self.tf
        title_clean = clean_text(title or "", MAX_TITLE_CHARS)
        summary_clean = clean_text(summary or "", MAX_SUMMARY_CHARS)
        title_folded = fold_text(title_clean)
        summary_folded = fold_text(summary_clean)
        title_hits = self.scan(title_folded)
        summary_hits = self.scan(summary_folded)

        contexts: set[str] = set()
        title_contexts: set[str] = set()
        raw = dict.fromkeys(THEME_IDS, 0.0)
        titled: set[str] = set()  # themes the title itself speaks to (a phrase or a rule met there)
        decisive: set[str] = set()  # themes the title states in a decisive phrase, their context present
        penalty = dict.fromkeys(THEME_IDS, 0.0)
        off = 0.0
        argued = False
        # (theme, weight, phrase id, in_title) for evidence
        reasons: list[tuple[str, float, int, bool]] = []
        compiled = self._compiled
        engagement = pressure = 0.0
        for hits, boost, in_title in ((title_hits, tf.title_boost, True), (summary_hits, 1.0, False)):
            for pid in hits:
                if in_title is False and pid in title_hits:
                    continue
                groups, positive, negative, off_w, eng_w, pres_w, is_argument = compiled[pid]
                if groups:
                    contexts.update(groups)
                    if in_title:
                        title_contexts.update(groups)
                for target, weight in positive:
                    raw[target] += weight * boost
                    if in_title and weight >= DECISIVE_WEIGHT:
                        decisive.add(target)
                    reasons.append((target, weight * boost, pid, in_title))
                    if in_title and weight >= TITLE_SUBJECT_WEIGHT:
                        titled.add(target)
                for target, weight in negative:
                    penalty[target] += weight * boost
                off += off_w * boost
                engagement += eng_w * boost
                pressure += pres_w * boost
                argued = argued or is_argument
        stance = {"engagement": engagement, "pressure": pressure}
        if any(contexts.isdisjoint(alternatives) for alternatives in tf.relevance_requires):
            # Every theme is about AI: an item with no AI (or chip) term anywhere is off-topic,
            # however many politics or security words it has.
            return Result((), dict.fromkeys(THEME_IDS, 0.0), None, False, ())

        scores: dict[str, float] = {}
        chosen: list[str] = []
        boost = tf.title_boost
        for theme in tf.themes:
            value = raw[theme.id]
            for alternatives in self._requires[theme.id]:
                if contexts.isdisjoint(alternatives):
                    value *= tf.missing_context_factor
                    decisive.discard(theme.id)  # "Trump-Xi" without AI decides nothing here
                    break
            rules = self._rules[theme.id]
            if rules:
                # Concept rules: the item names the theme's actors and topic together,
                # however it words them. The strongest matching rule counts, once; a rule
                # met by the title alone is the main subject and counts title_boost times.
                # A rule states its own required concepts, so `requires` does not scale it.
                best = 0.0
                for all_of, none_of, weight, title_only in rules:
                    if weight * boost > best \
                            and not any(contexts.isdisjoint(alts) for alts in all_of) \
                            and all(contexts.isdisjoint(alts) for alts in none_of):
                        in_title = not any(title_contexts.isdisjoint(alts) for alts in all_of)
                        if in_title or not title_only:
                            best = max(best, weight * boost if in_title else weight)
                            if in_title:
                                titled.add(theme.id)
                value += best
            # Off-topic cues (tariffs, earnings, TikTok) say the item as a whole is about something
            # else: they weigh against every theme, except one whose decisive phrase stands in the
            # title, which states the main subject (an AI chip export rule announced beside tariffs
            # is still an export rule). Only the title counts here: summaries of trade deals name
            # rare-earth "export controls" or "Trump-Xi" talks in passing, and concept rules are met
            # by such items too. A theme's own negative cues always count.
            value -= penalty[theme.id] + (0.0 if theme.id in decisive else off)
            score = value / (value + tf.scale) if value > 0 else 0.0
            scores[theme.id] = round(score, 4)
            if score >= theme.threshold:
                chosen.append(theme.id)
        # The companion threshold and relevance floor lower each theme's own threshold
        # by the same amount as they lower the file's default one.
        if chosen:
            # Once an item is clearly on-topic, a second theme needs less evidence,
            # but a theme far weaker than the main one is a passing mention.
            # When the title names a chosen theme, a theme found only in the summary is held to
            # `summary_only_ratio`: the title states the main subject, the summary's lists of
            # risks and actors are mostly context.
            top = max(scores.values())
            lower = tf.threshold - tf.companion_threshold
            anchored = not titled.isdisjoint(chosen)
            chosen = [t.id for t in tf.themes
                      if (t.id in chosen or scores[t.id] >= t.threshold - lower)
                      and scores[t.id] >= (tf.summary_only_ratio if anchored and t.id not in titled
                                           else tf.secondary_ratio) * top]
        elif tf.relevance_floor < tf.threshold and "ai" in contexts and ("china" in contexts or "us" in contexts):
            # An AI item about the US or China with a near-miss theme: its best theme.
            lower = tf.threshold - tf.relevance_floor
            best = max(tf.themes, key=lambda t: scores[t.id] - t.threshold)
            if scores[best.id] >= best.threshold - lower:
                chosen = [best.id]

        relevant = bool(chosen)
        if not relevant:
            return Result((), scores, None, False, ())
        lean = stance["engagement"] - stance["pressure"]
        needed = tf.stance_min if argued else tf.stance_news_min
        side = "engagement" if lean >= needed else "pressure" if -lean >= needed else "neutral"
        evidence = self._evidence(chosen, scores, reasons, title_clean, title_folded, summary_clean, summary_folded,
                                  title_hits, summary_hits)
        return Result(tuple(chosen), scores, side, True, evidence)

    def _evidence(self, chosen, scores, reasons, title_clean, title_folded, summary_clean, summary_folded,
                  title_hits, summary_hits) -> tuple[str, ...]:
        """The strongest phrase of each chosen theme, shown in its sentence (or as it reads in the title)."""
        out: list[str] = []
        picked: set[int] = set()
        for theme_id in sorted(chosen, key=lambda t: -scores[t]):
            best = max((r for r in reasons if r[0] == theme_id), key=lambda r: (r[1], r[3]), default=None)
            if best is None or best[2] in picked:
                continue
            picked.add(best[2])
            _, _, pid, in_title = best
            n_words = self._lengths[pid]
            if in_title:
                snippet = _locate(title_clean, title_folded, title_hits[pid], self._labels[pid], n_words, False)
            else:
                snippet = _locate(summary_clean, summary_folded, summary_hits[pid], self._labels[pid], n_words, True)
            if snippet and snippet not in out:
                out.append(snippet)
            if len(out) >= MAX_EVIDENCE:
                break
        return tuple(out)


def _field(effect: _Effect, tf: ThemeFile) -> str:
    """Where in the theme file a phrase with this effect is written, as the loader's errors name it."""
    if effect.kind in ("theme", "negative"):
        index = [t.id for t in tf.themes].index(effect.target)
        return f"themes[{index}] ({effect.target}): {'phrases' if effect.kind == 'theme' else 'negative'}"
    if effect.kind == "context":
        return f"contexts: {effect.target}"
    if effect.kind == "off":
        return "off_topic"
    return f"stance: {effect.kind}"


def _compile(effects: list[_Effect]):
    return (
        frozenset(e.target for e in effects if e.kind == "context"),
        tuple((e.target, e.weight) for e in effects if e.kind == "theme"),
        tuple((e.target, e.weight) for e in effects if e.kind == "negative"),
        sum(e.weight for e in effects if e.kind == "off"),
        sum(e.weight for e in effects if e.kind == "engagement"),
        sum(e.weight for e in effects if e.kind == "pressure"),
        any(e.kind == "argument" for e in effects),
    )


def _locate(clean: str, folded: str, where: int, label: str, n: int, whole_sentence: bool) -> str:
    """The phrase as written (title) or the sentence around it (summary), cut to MAX_EVIDENCE_CHARS."""
    if len(folded) != len(clean):
        # Lowercasing changed the length (a few non-ASCII letters do): offsets would drift.
        return label[:MAX_EVIDENCE_CHARS]
    if where < 0:
        start = -1 - where
        end = start + len(label)
    else:
        span = _words_span(folded, where, n or 1)
        if span is None:
            return label
        start, end = span
    if not whole_sentence:
        return clean[start:end]
    # Just after the last sentence end before the phrase (one C-level search per end mark).
    left = max(clean.rfind(mark, 0, start) for mark in _SENTENCE_END_CHARS) + 1
    m = _SENTENCE_END.search(clean, end)
    right = m.end() if m else len(clean)
    sentence_start, sentence = left, clean[left:right].strip()
    if len(sentence) <= MAX_EVIDENCE_CHARS:
        return sentence
    # Too long: a window around the phrase, cut at word boundaries.
    lo = max(sentence_start, start - 60)
    hi = min(right, lo + MAX_EVIDENCE_CHARS - 2)
    window = clean[lo:hi]
    if lo > sentence_start and " " in window[:20]:
        window = window[window.index(" ") + 1 :]
    if hi < right and " " in window[-20:]:
        window = window[: window.rindex(" ")]
    return ("…" if lo > sentence_start else "") + window.strip() + ("…" if hi < right else "")


def _words_span(folded: str, first: int, count: int) -> tuple[int, int] | None:
    """Character span of `count` words from word index `first` (as `words` counts them)."""
    index, start, end = 0, -1, -1
    last = first + count - 1
    for match in _WORD.finditer(folded):
        if match.group() in _SKIP:
            continue
        if index == first:
            start = match.start()
        if index >= first:
            end = match.end()
            if index == last:
                break
        index += 1
    return (start, end) if start >= 0 else None
