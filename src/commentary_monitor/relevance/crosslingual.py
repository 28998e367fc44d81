"""A relationship profile's two sides in other languages, and where an article names them.

A profile is built from English essays; an article in Russian or Chinese shares no word
with them. What travels across languages is *who* a relationship is between: the sides'
names. They come from the Unicode CLDR data that ``babel`` ships (country names, the
names of their languages as Russian adjectives, time-zone cities), never from a
hand-written list: a side whose English spellings include "China" and "Moscow" gets
"Китай", "китайский", "中国", "中國" on one side and "Россия", "русский", "Москва",
"俄罗斯", "莫斯科" on the other.

Matching follows each script's habits: Cyrillic words are matched case-insensitively by
their first :data:`FOLD` letters (Russian declines names: "Китая", "Китаю"; adjectives are
lower-case: "российско-китайский"), Chinese names as substrings (no spaces), and a
Chinese pair written as the two names' first characters side by side ("中俄", "俄中")
names both sides.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

FOLD = 4
LANGUAGES = ("ru", "zh")
FOREIGN_LANGUAGE = {"cyrillic": "ru", "cjk": "zh"}     # the language a script's names are read in
_CYRILLIC_WORD = re.compile(r"[а-яёА-ЯЁ]+")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*|\n+")


def script_of(text: str, sample: int = 2000) -> str:
    """'latin', 'cyrillic', 'cjk' (Chinese) or 'kana' (Japanese): the script of most of a
    text's letters (its first ``sample`` characters)."""
    counts = {"latin": 0, "cyrillic": 0, "cjk": 0, "kana": 0}
    for ch in text[:sample]:
        if not ch.isalpha():
            continue
        o = ord(ch)
        if o < 0x250:
            counts["latin"] += 1
        elif 0x400 <= o < 0x530:
            counts["cyrillic"] += 1
        elif 0x3040 <= o < 0x3100:
            counts["kana"] += 1
        elif 0x3100 <= o < 0xA000 or 0xF900 <= o < 0xFB00 or 0x20000 <= o < 0x2FA20:
            counts["cjk"] += 1
    if counts["kana"] and counts["kana"] >= 0.1 * counts["cjk"]:
        return "kana"      # Japanese: kanji with kana, not Chinese
    counts.pop("kana")
    return max(counts, key=lambda k: (counts[k], k == "latin"))


@lru_cache(maxsize=1)
def _cldr():
    """English name (lower-case) -> [(language, localised name, kind)], from CLDR:
    territories ('country') and the official languages' names (as Russian adjectives:
    'language'); cities come from :func:`_city_forms`."""
    from babel import Locale
    from babel.languages import get_official_languages

    locales = {"ru": [Locale.parse("ru")], "zh": [Locale.parse("zh"), Locale.parse("zh_Hant")]}
    en = Locale.parse("en")
    out: dict[str, list[tuple[str, str]]] = {}
    for code, name in en.territories.items():
        if not code.isalpha():
            continue
        forms = out.setdefault(name.lower(), [])
        official = get_official_languages(code)
        for lang, locs in locales.items():
            for loc in locs:
                if code in loc.territories:
                    forms.append((lang, loc.territories[code], "country"))
            if lang == "ru" and official and official[0] in locs[0].languages:
                forms.append(("ru", locs[0].languages[official[0]], "language"))   # 'китайский', 'русский'
    return out


@lru_cache(maxsize=1)
def _zone_cities() -> dict[str, str]:
    """English city name (lower-case) -> its time zone, from CLDR."""
    from zoneinfo import available_timezones

    from babel.dates import get_timezone_location

    out = {}
    for tz in sorted(available_timezones()):
        if "/" not in tz or tz.startswith(("Etc/", "SystemV/", "US/")):
            continue
        try:
            out.setdefault(get_timezone_location(tz, locale="en", return_city=True).lower(), tz)
        except Exception:    # noqa: BLE001 - a zone CLDR does not know
            continue
    return out


def _city_forms(word: str) -> list[tuple[str, str, str]]:
    """A city's names in :data:`LANGUAGES` (CLDR's time-zone cities), when ``word`` is one."""
    from babel import Locale
    from babel.dates import get_timezone_location

    tz = _zone_cities().get(word)
    if tz is None:
        return []
    out = []
    for lang, names in (("ru", ("ru",)), ("zh", ("zh", "zh_Hant"))):
        for name in names:
            try:
                out.append((lang, get_timezone_location(tz, locale=Locale.parse(name), return_city=True), "city"))
            except Exception:  # noqa: BLE001
                pass
    return out


@dataclass(frozen=True)
class ForeignSides:
    """The two sides' names in one language: Cyrillic stems (lower-case, :data:`FOLD`
    letters) or Chinese names, and the Chinese pair abbreviations."""
    a: tuple[str, ...]
    b: tuple[str, ...]
    pairs: tuple[str, ...] = ()


def foreign_sides(spellings: tuple[tuple[str, ...], tuple[str, ...]]) -> dict[str, ForeignSides]:
    """The sides in each language of :data:`LANGUAGES`, from their English spellings
    (e.g. (("china", "beijing", "chinese"), ("russia", "moscow", "soviet"))). Empty for a
    language where CLDR names neither side."""
    cldr = _cldr()
    out = {}
    for lang in LANGUAGES:
        sides, heads = [], []
        for words in spellings:
            found = [(f, kind) for w in words for lg, f, kind in [*cldr.get(w.lower(), ()), *_city_forms(w.lower())]
                     if lg == lang and f]
            forms = sorted({f for f, _ in found})
            heads.append({f[0] for f, kind in found if kind == "country" and len(f) >= 2})
            if lang == "ru":
                forms = sorted({f.lower()[:FOLD] for f in forms if len(f) >= FOLD and " " not in f})
            sides.append(tuple(forms))
        if sides[0] and sides[1]:
            pairs = ()
            if lang == "zh":    # a country's first character stands for it in a pair: 中俄
                pairs = tuple(sorted({x + y for x in heads[0] for y in heads[1]} | {y + x for x in heads[0] for y in heads[1]}))
            out[lang] = ForeignSides(sides[0], sides[1], pairs)
    return out


def _names(text: str, sides: ForeignSides, lang: str) -> tuple[bool, bool]:
    if lang == "ru":
        stems = {w.lower()[:FOLD] for w in _CYRILLIC_WORD.findall(text)}
        return not stems.isdisjoint(sides.a), not stems.isdisjoint(sides.b)
    if any(p in text for p in sides.pairs):
        return True, True
    return any(f in text for f in sides.a), any(f in text for f in sides.b)


def foreign_mentions(passages: list[str], sides: ForeignSides, lang: str):
    """:class:`.lexical.SideMentions` of passages in ``lang`` ('ru' or 'zh')."""
    from commentary_monitor.relevance.lexical import SideMentions

    both = either = s_both = s_either = 0
    for text in passages:
        in_a, in_b = _names(text, sides, lang)
        both += in_a and in_b
        if in_a or in_b:
            either += 1
            for sentence in _SENTENCE.split(text):
                if sentence:
                    sa, sb = _names(sentence, sides, lang)
                    s_both += sa and sb
                    s_either += sa or sb
    return SideMentions(both, either, 0, (), s_both, s_either)


def cjk_passages(text: str, size: int = 200) -> list[str]:
    """Chinese text in passages of about ``size`` characters, cut at sentence ends (it has
    no spaces to count words by)."""
    text = unicodedata.normalize("NFKC", text)
    out, current = [], ""
    for sentence in _SENTENCE.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        current += sentence
        if len(current) >= size:
            out.append(current)
            current = ""
    if current:
        if out and len(current) < size // 4:
            out[-1] += current
        else:
            out.append(current)
    return out
