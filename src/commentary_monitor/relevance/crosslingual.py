"""A relationship profile's two sides in other languages, and where an article names them.

A profile is built from English essays; an article in Russian or Chinese (or German, French,
Spanish, Italian, Dutch, Polish, Portuguese, Turkish: :data:`LATIN_LANGUAGES`; some twenty
other languages written in words: :data:`NAMES_LANGUAGES`; Japanese, Korean, Arabic:
:data:`STRING_LANGUAGES`) shares few words with them. What travels across languages is *who* a relationship is between: the sides'
names, never from a hand-written list. Countries, their languages (as Russian adjectives)
and time-zone cities come from the Unicode CLDR data that ``babel`` ships: a side whose
English spellings include "China" and "Moscow" gets "Китай", "китайский", "中国" on one side
and "Россия", "русский", "Москва", "俄罗斯", "莫斯科" on the other. What CLDR does not give
comes from :mod:`.foreign_names`: ISO 3166 names in translation (the USSR for "Soviet",
"КНР", "Пекин", "北京"), and the names the essays keep using, transliterated ("Putin" is the
Russian word "путин", "Xi Jinping" the Chinese word whose pinyin is xijinping, 习近平).

Matching follows each script's habits: Cyrillic words are matched case-insensitively by
their first letters (Russian declines names: "Китая", "Китаю", "Путина"; adjectives are
lower-case: "российско-китайский", "советских"), abbreviations ("КНР") as whole words,
Chinese names as substrings of the text in Simplified characters (no spaces), and a
Chinese pair written as the two names' first characters side by side ("中俄", "中苏") names
both sides."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from commentary_monitor.relevance.foreign_names import russian_stem, simplified

FOLD = 4
# Languages written in Latin letters that the multilingual model of .multilingual reads too:
# their names are matched as Russian ones are, by their first letters (LATIN_FOLD), accents
# left out ('Moscú', 'Rússia'), a short name ('Xi', 'Çin') as a capitalised whole word.
LATIN_LANGUAGES = ("de", "es", "fr", "it", "nl", "pl", "pt", "tr")
# Other languages written in words, in Latin or Greek letters, whose names are read the same way;
# the multilingual model was not trained on them (see UNTRAINED_LANGUAGES). (Not Tagalog:
# Philippine English quotes it, and an English page must not be taken for one.)
NAMES_LANGUAGES = ("bs", "ca", "cs", "da", "el", "et", "fi", "hr", "hu", "id", "is", "lt", "lv", "ms", "nb", "ro", "sk",
                   "sl", "sq", "sv", "vi")
# Languages written in Cyrillic letters other than Russian, told from it by the language detector:
# read by the sides' names in them ('Росія', 'Китай'; 'Русија', 'Кина'), as the languages above
# are, and by the multilingual model for a profile without sides, in Russian letters (as_russian:
# the model was trained on Russian, not on these)
CYRILLIC_LANGUAGES = ("be", "bg", "mk", "sr", "uk")
WORD_LANGUAGES = LATIN_LANGUAGES + NAMES_LANGUAGES + CYRILLIC_LANGUAGES
# Those among them that decline a name by its last vowel (Czech 'Čína', 'Číny', 'Číně', 'Čínou';
# Croatian 'Kina', 'Kine', 'Kinom'), and make its adjective of the stem and '-sk-' ('čínský'):
# Slavic languages in Latin letters (Serbian's is taken for Bosnian) and the Baltic ones
DECLINING_LANGUAGES = ("bs", "cs", "hr", "lt", "lv", "sk", "sl") + CYRILLIC_LANGUAGES
_VOWELS = "aeiouyаеиіїоуыэюяєй"     # Latin and Cyrillic (a name ending in 'й' declines as one ending in a vowel: 'Китай', 'Китаю')
_ENDINGS = "umjумјю"                 # the letter a declined form may add after the vowel ('Čínou', 'Kinom', 'Кином')
# Languages whose names are found as strings inside the text, as Chinese ones are: Japanese
# (no spaces), Korean and Arabic (particles and articles written onto the name: '러시아의', 'والصين')
STRING_LANGUAGES = ("ja", "ko", "ar")
# The languages the multilingual model was not trained on: it still reads them for a profile
# without sides (by the words they share with the ones it knows), its closeness weighed by weights
# of their own (scoring's `multilingual_other`); the Slavic ones in Russian letters (as_russian):
# the Cyrillic ones letter for letter, and those in Latin letters through Serbian Cyrillic
# (Bosnian, Croatian and Serbian in Latin letters write the same sounds, letter for letter;
# Slovenian, Czech and Slovak share most of those letters)
UNTRAINED_LANGUAGES = NAMES_LANGUAGES + CYRILLIC_LANGUAGES
SLAVIC_LATIN_LANGUAGES = ("bs", "cs", "hr", "sk", "sl")
RUSSIAN_LETTERS = CYRILLIC_LANGUAGES + SLAVIC_LATIN_LANGUAGES    # read by the model in Russian letters (Bulgarian already is)
MEANING_LANGUAGES = ("ru", "zh") + LATIN_LANGUAGES + STRING_LANGUAGES + UNTRAINED_LANGUAGES    # those the multilingual model reads
LATIN_FOLD = 5
LANGUAGES = ("ru", "zh") + WORD_LANGUAGES + STRING_LANGUAGES
FOREIGN_LANGUAGE = {"cyrillic": "ru", "cjk": "zh", "kana": "ja"}     # the language a script's names are read in
_LATIN_WORD = re.compile(r"[^\W\d_]+")
_CYRILLIC_WORD = re.compile(r"[а-яёА-ЯЁ]+")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*|\n+")


_NOT_ASCII_LETTER = bytes(b for b in range(128) if not chr(b).isalpha())


def script_of(text: str, sample: int = 2000) -> str:
    """'latin', 'cyrillic', 'cjk' (Chinese) or 'kana' (Japanese): the script of most of a
    text's letters (its first ``sample`` characters). Japanese is kanji with kana: a text
    whose letters are mostly Chinese characters and kana, a tenth as many kana at least."""
    head = text[:sample]
    ascii_part = head.encode("ascii", "ignore")
    if len(ascii_part.translate(None, _NOT_ASCII_LETTER)) > len(head) - len(ascii_part):
        return "latin"     # more ASCII letters than characters outside ASCII: no other script can lead
    counts = {"latin": 0, "cyrillic": 0, "cjk": 0, "kana": 0}
    for ch in head:
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
    east = counts["cjk"] + counts["kana"]
    if counts["kana"] and counts["kana"] >= 0.1 * counts["cjk"] and east > max(counts["latin"], counts["cyrillic"]):
        return "kana"      # Japanese: kanji with kana, not Chinese
    counts.pop("kana")
    return max(counts, key=lambda k: (counts[k], k == "latin"))


ENGLISH_SHARE = 0.3     # English's stop words make up this share of an English text's first words, or more
_SAMPLE_WORDS = 150


def latin_language(text: str) -> str | None:
    """The language of a text the script does not tell (Latin, Greek, Hangul or Arabic
    letters) when it is one of :data:`WORD_LANGUAGES` or :data:`STRING_LANGUAGES` (None for
    English, any other language, or too few words to tell). A text whose first words are
    English stop words often enough is English (no detector run); any other is given to the
    language detector (py3langid, :func:`.extraction.language.detect`)."""
    from commentary_monitor.relevance.lexical import _STOP

    words = [w.lower() for w in _LATIN_WORD.findall(text[:1500])[:_SAMPLE_WORDS]]
    if len(words) < 20 or sum(w in _STOP for w in words) >= ENGLISH_SHARE * len(words):
        return None
    from commentary_monitor.extraction.language import detect

    lang = detect(text[:2000])
    lang = "nb" if lang in ("no", "nn") else lang     # Norwegian: CLDR's names are Bokmål's
    return lang if lang in WORD_LANGUAGES or lang in STRING_LANGUAGES else None


_CYRILLIC_LETTERS = {     # Russian letters as each language writes the same sound in a foreign name
    "uk": {"и": "і", "ы": "и", "э": "е", "ё": "ьо"},
    "be": {"и": "і", "щ": "шч"},
    "bg": {"ы": "и", "э": "е", "ё": "ьо", "ь": ""},
    "sr": {"ы": "и", "э": "е", "й": "ј", "я": "ја", "ю": "ју", "ё": "јо", "ь": ""},
    "mk": {"ы": "и", "э": "е", "й": "ј", "я": "ја", "ю": "ју", "ё": "јо", "ь": ""},
}


def cyrillic_spelling(word: str, lang: str) -> str:
    """A foreign name as Russian writes it ('Путин', 'Пекин', 'Цзиньпин') in the letters another
    Cyrillic language (:data:`CYRILLIC_LANGUAGES`) writes the same sounds with: Ukrainian
    'Путін', 'Пекін', 'Цзіньпін'; Belarusian 'Пуцін' (its 'ці', 'дзі' for 'ти', 'ди');
    Bulgarian 'Цзинпин'; Serbian and Macedonian with 'ј'. Regular spelling, not a list of names."""
    letters = _CYRILLIC_LETTERS.get(lang, {})
    out = "".join(letters.get(c, c) for c in word.lower())
    if lang == "be":
        out = out.replace("ті", "ці").replace("ді", "дзі")
    return out


# The other way round, for the multilingual model, which was trained on Russian and none of
# these: the letters of a Cyrillic language written as Russian writes the same sounds, so that
# its words meet the model's Russian word pieces ('історія' -> 'история', 'пам'ять' -> 'память';
# Serbian 'историја' -> 'история', 'међународни' -> 'международни'). Regular correspondences of
# the alphabets, not a list of words; Bulgarian writes Russian's letters already.
_AS_RUSSIAN = {
    "uk": {"і": "и", "ї": "и", "є": "е", "ґ": "г", "'": "", "’": "", "ʼ": ""},
    "be": {"і": "и", "ў": "у", "э": "е", "'": "", "’": "", "ʼ": ""},
    "sr": {"ја": "я", "ју": "ю", "је": "е", "јо": "ё", "ј": "й", "љ": "ль", "њ": "нь", "ћ": "ч", "ђ": "жд",
           "џ": "дж"},
    "mk": {"ја": "я", "ју": "ю", "је": "е", "јо": "ё", "ј": "й", "љ": "ль", "њ": "нь", "ќ": "ч", "ѓ": "жд",
           "џ": "дж", "ѕ": "з"},
}


# Serbian's Latin alphabet (Gaj's) letter for letter in its Cyrillic one (Vuk's), which Bosnian
# and Croatian write too; with the letters Czech and Slovak add ('ř' as Russian writes its sound,
# 'ě', 'y' and the long vowels as the short ones, 'ď', 'ť', 'ň', 'ľ' softened)
_GAJ = {"lj": "љ", "nj": "њ", "dž": "џ", "a": "а", "b": "б", "c": "ц", "č": "ч", "ć": "ћ", "d": "д", "đ": "ђ",
        "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и", "j": "ј", "k": "к", "l": "л", "m": "м", "n": "н",
        "o": "о", "p": "п", "r": "р", "s": "с", "š": "ш", "t": "т", "u": "у", "v": "в", "z": "з", "ž": "ж"}
_CZECH_SLOVAK = {"ch": "х", "ř": "рж", "ě": "е", "y": "ы", "ý": "ы", "á": "а", "é": "е", "í": "и", "ó": "о",
                 "ú": "у", "ů": "у", "ď": "дь", "ť": "ть", "ň": "нь", "ľ": "ль", "ĺ": "л", "ŕ": "р", "ä": "е",
                 "ô": "о", "w": "в", "x": "кс", "q": "к"}
_FROM_LATIN = {lang: {**_GAJ, **(_CZECH_SLOVAK if lang in ("cs", "sk") else {})}
               for lang in SLAVIC_LATIN_LANGUAGES + ("sr",)}


@lru_cache(maxsize=16)
def _letters_pattern(lang: str, latin: bool) -> tuple[re.Pattern, dict]:
    letters = _FROM_LATIN[lang] if latin else _AS_RUSSIAN[lang]
    return re.compile("|".join(map(re.escape, sorted(letters, key=len, reverse=True))), re.IGNORECASE), letters


def _replace(text: str, lang: str, latin: bool) -> str:
    pattern, letters = _letters_pattern(lang, latin)

    def russian(m: re.Match) -> str:
        found = m.group(0)
        out = letters[found.lower()]
        return out[:1].upper() + out[1:] if found[:1].isupper() else out

    return pattern.sub(russian, text)


def as_russian(text: str, lang: str, latin: bool = False) -> str:
    """A text in a Cyrillic language (:data:`CYRILLIC_LANGUAGES`) in Russian letters (see
    :data:`_AS_RUSSIAN`), capitals kept; a text in Latin letters (``latin``: Bosnian, Croatian,
    Serbian, Slovenian, Czech, Slovak) first in Serbian Cyrillic (:data:`_GAJ`); any other text
    as it is."""
    if latin and lang in _FROM_LATIN:
        text, lang = _replace(text, lang, True), "sr"
    return _replace(text, lang, False) if lang in _AS_RUSSIAN else text


def cyrillic_language(text: str) -> str | None:
    """The language of a text in Cyrillic letters when it is one of :data:`CYRILLIC_LANGUAGES`
    (the language detector, :func:`.extraction.language.detect`); None for Russian, any other
    language, or a text the detector cannot tell."""
    from commentary_monitor.extraction.language import detect

    lang = detect(text[:2000])
    return lang if lang in CYRILLIC_LANGUAGES else None


@lru_cache(maxsize=1)
def _cldr():
    """English name (lower-case) -> [(language, localised name, kind)], from CLDR:
    territories ('country') and the official languages' names (as Russian adjectives:
    'language'); cities come from :func:`_city_forms`."""
    from babel import Locale
    from babel.languages import get_official_languages

    locales = {"ru": [Locale.parse("ru")], "zh": [Locale.parse("zh"), Locale.parse("zh_Hant")],
               **{lang: [Locale.parse(lang)] for lang in WORD_LANGUAGES + STRING_LANGUAGES}}
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
            if lang != "zh" and official and official[0] in locs[0].languages:
                forms.append((lang, locs[0].languages[official[0]], "language"))   # 'китайский', 'русский', 'russisch'
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
    for lang, names in (("ru", ("ru",)), ("zh", ("zh", "zh_Hant")), *((lg, (lg,)) for lg in WORD_LANGUAGES + STRING_LANGUAGES)):
        for name in names:
            try:
                out.append((lang, get_timezone_location(tz, locale=Locale.parse(name), return_city=True), "city"))
            except Exception:  # noqa: BLE001
                pass
    return out


@dataclass(frozen=True)
class ForeignSides:
    """The two sides' names in one language, and the Chinese pair abbreviations. Russian
    names are lower-case stems matched as the start of a word (four letters for CLDR names,
    the Snowball stem for others: 'кита', 'путин', 'советск') or, in capitals, abbreviations
    matched as whole words ('КНР', 'СССР'); Chinese names are Simplified and matched as
    substrings."""
    a: tuple[str, ...]
    b: tuple[str, ...]
    pairs: tuple[str, ...] = ()


NAME_PACKAGES = ("babel", "pycountry", "pypinyin", "wordfreq", "snowballstemmer")   # where the names come from


def foreign_sides_cached(spellings: tuple[tuple[str, ...], tuple[str, ...]], actors: tuple[tuple[str, ...], ...],
                         cache_dir: Path | None) -> dict[str, ForeignSides]:
    """:func:`foreign_sides`, kept in ``cache_dir`` (the profiles' cache) under a digest of
    its inputs, of the versions of the packages the names come from and of this code. Finding
    the names is most of a profile's build (~0.6 s of ~1.2 s), and a profile rebuilt after a
    seed edit usually has the same sides and actors: it reads them back (~1 ms)."""
    if cache_dir is None:
        return foreign_sides(spellings, actors)
    import hashlib
    import json
    import os
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(json.dumps([spellings, actors]).encode())
    for package in NAME_PACKAGES:
        try:
            h.update(f"{package} {version(package)}\0".encode())
        except PackageNotFoundError:
            h.update(f"{package} -\0".encode())
    here = Path(__file__).resolve().parent
    for module in ("crosslingual.py", "foreign_names.py"):
        h.update((here / module).read_bytes())
    path = cache_dir / f"foreign-sides-{h.hexdigest()[:16]}.json"
    try:
        return {lang: ForeignSides(*(tuple(x) for x in v)) for lang, v in json.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, TypeError):
        pass     # not there yet, or damaged: found again
    out = foreign_sides(spellings, actors)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({lang: [f.a, f.b, f.pairs] for lang, f in out.items()}, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass     # a read-only folder only costs finding them again next time
    return out


def foreign_sides(spellings: tuple[tuple[str, ...], tuple[str, ...]],
                  actors: tuple[tuple[str, ...], ...] = ()) -> dict[str, ForeignSides]:
    """The sides in each language of :data:`LANGUAGES`, from their English spellings
    (e.g. (("china", "beijing", "chinese"), ("russia", "moscow", "soviet"))) and the names
    of the profile's other own actors, one tuple of spellings each (("putin", "vladimir putin"),
    ("xi", "xi jinping")). Empty for a language where neither side has a name. Under "en",
    the English names of the actors placed on a side (below), which speak for it in English too.

    Where the names come from (never a hand-written list):

    - CLDR (babel): the countries, their languages as Russian adjectives, time-zone cities;
    - pycountry's ISO 3166 translations: a state that is gone (the USSR, for 'soviet'), the
      side's countries' official names and their initials ('КНР', 'СССР'), and subdivisions
      ('Beijing Shi': 'Пекин', '北京市');
    - transliteration, for names CLDR does not know: the Russian words whose romanisation
      is the English spelling ('путин'), the Chinese words whose pinyin is ('习近平', '毛泽东'),
      when exactly one word of the language's list has it ('beijing' is both 北京 and 背景:
      neither). An actor whose name is Chinese in pinyin is on the side whose country speaks
      Chinese; else one whose name is a Russian word, on the side that speaks Russian. A
      Chinese name also gives its given name as Russian writes it (pypinyin's Palladius
      style: 习近平, 'Си Цзиньпин': 'цзиньпин'), when no ordinary Russian word starts with it.

    A side named only by cities ('Beijing', 'Moscow') is their country's (CLDR's time-zone
    cities, ISO 3166 subdivisions): it takes the country's names in each language, and under
    "en" the country's English name and its language's ('china', 'chinese'). The other way
    round, an actor that is a city of one side's country ('moscow' when the sides are China
    and Russia) speaks for that side, in English and as the city's names in each language.
    """
    from babel.languages import get_official_languages

    from commentary_monitor.relevance import foreign_names as fn

    cldr, codes, cities = _cldr(), fn.territory_codes(), _zone_cities()
    countries = [{codes[w] for w in words if w in codes} for words in spellings]
    # a side named only by its cities ('Moscow', 'Beijing') is their country's: CLDR's
    # time-zone cities and ISO 3166's subdivisions say which (and it then has the country's
    # names in every language, English included: below)
    by_city = [set(), set()]
    for i, words in enumerate(spellings):
        if not countries[i]:
            by_city[i] = {c for w in words for c in fn.city_countries(w.lower(), cities)}
    by_city = [cs - by_city[1 - i] - countries[1 - i] for i, cs in enumerate(by_city)]
    countries = [cs | by_city[i] for i, cs in enumerate(countries)]
    speaks = {}
    for i, cs in enumerate(countries):
        for c in sorted(cs):
            official = get_official_languages(c)
            if official:
                speaks.setdefault(official[0], i)
    found: list[list[tuple[str, str, str]]] = [[], []]     # (language, form, kind) per side
    for i, words in enumerate(spellings):
        for w in (w.lower() for w in words):
            found[i] += [*cldr.get(w, ()), *_city_forms(w)]
            found[i] += [(lang, f, "gone") for lang, f in fn.gone_states(w)]
            found[i] += [(lang, f, "subdivision") for c in sorted(countries[i]) for lang, f in fn.subdivision_names(w, c)]
        found[i] += [(lang, f, "official") for c in sorted(countries[i]) for lang, f in fn.iso_names(c)]
        found[i] += [form for c in sorted(by_city[i]) for form in cldr.get((fn.english_names(c) or ("",))[0], ())]
    # transliteration: the sides' own spellings, and the actors' names
    raw_groups = [(i, tuple(w.lower() for w in words)) for i, words in enumerate(spellings)] + \
                 [(None, tuple(n.lower() for n in names)) for names in actors]
    # names CLDR translates never travel by transliteration: 'china' romanises as 'чина' (a rank)
    groups = [(i, tuple(n for n in names if n not in cldr and n not in cities and re.fullmatch(r"[a-z]+", n.replace(" ", ""))))
              for i, names in raw_groups]
    ru = fn.russian_spelled({n for _, names in groups for n in names if " " not in n})
    zh = fn.chinese_spelled({n.replace(" ", "") for _, names in groups for n in names})
    placed: list[set[str]] = [set(), set()]     # the actors' English names a side takes
    for (side, names), (_, raw) in zip(groups, raw_groups):
        in_zh = sorted({f for n in names for f in zh.get(n.replace(" ", ""), ()) if len(zh[n.replace(" ", "")]) == 1})
        in_ru = sorted({f for n in names for f in ru.get(n, ()) if len(ru[n]) == 1})
        if side is None:
            side = speaks.get("zh") if in_zh else speaks.get("ru") if in_ru else None
            if side is not None:
                placed[side].update(names)
            else:     # a city of one side's country ('moscow' when a side is Russia): that side's
                homes = {c for n in raw if " " not in n for c in fn.city_countries(n, cities)}
                home = [i for i in (0, 1) if homes & countries[i]]
                if len(home) == 1:
                    side = home[0]
                    placed[side].update(n for n in raw if " " not in n)
                    # matched whole (by its stem in Russian), not by its first letters: 'Владивосток'
                    # must not name Russia in 'владеть'
                    found[side] += [(lang, f, "name") for n in raw if " " not in n for lang, f, _ in _city_forms(n)]
        if side is not None:
            found[side] += [("zh", f, "name") for f in in_zh] + [("ru", f, "name") for f in in_ru]
            # a Chinese name as Russian writes it (the Palladius system): its given name, whose
            # two syllables are long enough to be matched alone ('Си Цзиньпин': 'цзиньпин')
            found[side] += [("ru", f, "name") for f in map(fn.palladius_given_name, in_zh) if f]
    # the other Cyrillic languages write a foreign name with the sounds Russian gives it, in their
    # own letters ('Путин' -> Ukrainian 'Путін', Belarusian 'Пуцін'; 'Пекин' -> 'Пекін'); only a
    # name no longer than the letters a name is matched by, which it keeps whole: cut to them,
    # a longer one starts common words ('Сталин' -> 'стали', became)
    for i in (0, 1):
        russian = [f for lg, f, kind in found[i] if lg == "ru" and kind in ("name", "subdivision") and " " not in f]
        found[i] += [(lang, form, "transliterated") for f in russian for lang in CYRILLIC_LANGUAGES
                     if len(form := cyrillic_spelling(f, lang)) <= LATIN_FOLD]
    out = {}
    for lang in LANGUAGES:
        sides, heads = [], []
        for i, words in enumerate(spellings):
            mine = [(f, kind) for lg, f, kind in found[i] if lg == lang and f]
            forms: set[str] = set()
            if lang == "ru":
                for f, kind in mine:
                    if kind in ("country", "language", "city"):      # CLDR: the first letters
                        if len(f) >= FOLD and " " not in f:
                            forms.add(f.lower()[:FOLD])
                    elif " " in f:     # a long name: its initials, and its words the side's spellings sound like
                        forms.add(fn.initials(f))
                        forms.update(fn.russian_stem(x) for x in f.split() for w in words if fn.sounds_like(w.lower(), x))
                    else:
                        forms.add(fn.russian_stem(f))
                forms = {f for f in forms if f.isupper() and len(f) >= 2 or len(f) >= FOLD}
            elif lang in WORD_LANGUAGES:
                # CLDR's one-word names (country, language, city), the side's English spellings
                # ('China', 'Moscow': written alike or nearly) and its actors' names ('Putin', 'Xi')
                forms.update(latin_form(f) for f, kind in mine
                             if kind in ("country", "language", "city", "subdivision", "gone", "transliterated") and " " not in f)
                # a country's name of several words, whole (Vietnamese 'Trung Quốc'; not 'Chinese' language names)
                forms.update(" ".join(plain(w) for w in _LATIN_WORD.findall(f)) for f, kind in mine
                             if kind in ("country", "language") and " " in f and len(_LATIN_WORD.findall(f)) <= 3)
                forms.update(latin_form(w) for w in (*words, *placed[i]) if " " not in w)
                forms.discard("")
            elif lang in STRING_LANGUAGES:     # CLDR's names, as strings ('ロシア', '러시아', 'روسي')
                forms.update(string_form(f, lang) for f, kind in mine if kind in ("country", "language", "city", "subdivision", "gone"))
                forms = {f for f in forms if len(f) >= 2}
            else:
                for f, kind in mine:
                    f = fn.simplified(f)
                    if kind == "subdivision":     # 北京市 -> 北京: as much of it as the English spells
                        f = next((f[:k] for k in range(2, len(f)) if fn.pinyin_of(f[:k]) in {w.lower() for w in words}), f)
                    forms.add(f)
                    if kind == "gone":
                        forms.update(fn.chinese_abbreviations(f))
                # a country's first character stands for it in a pair (中俄) and as "its side" (中方)
                head = {fn.simplified(f)[0] for f, kind in mine if kind in ("country", "gone") and len(f) >= 2}
                heads.append(head)
                forms.update(h + "方" for h in head)
            sides.append(tuple(sorted(forms)))
        if sides[0] and sides[1]:
            pairs = ()
            if lang == "zh":
                pairs = tuple(sorted({x + y for x in heads[0] for y in heads[1]} | {y + x for x in heads[0] for y in heads[1]}))
            out[lang] = ForeignSides(sides[0], sides[1], pairs)
    for i, cs in enumerate(by_city):     # the country of a side named by its cities, in English
        placed[i].update(n for c in cs for n in fn.english_names(c))
    if placed[0] or placed[1]:
        out["en"] = ForeignSides(tuple(sorted(placed[0])), tuple(sorted(placed[1])))
    return out


def string_form(name: str, lang: str) -> str:
    """A name as a string to find in a text in ``lang`` (:data:`STRING_LANGUAGES`, Chinese):
    Chinese in Simplified characters; Arabic without its article and its ending, so that
    'روسيا' (Russia) and 'الروسية' (Russian) are both 'روسي', found in 'والروسي', 'لروسيا'."""
    if lang == "zh":
        return simplified(name)
    if lang == "ar":
        name = name[2:] if name.startswith("ال") and len(name) > 4 else name
        if name.endswith(("ا", "ة")) and len(name) >= 4:
            name = name[:-1]
    return name


@lru_cache(maxsize=1 << 16)
def plain(word: str) -> str:
    """A word lower-case without its accents: 'Moscú' -> 'moscu', 'Çin' -> 'cin'."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def latin_form(name: str) -> str:
    """A name in a Latin-script language as :class:`ForeignSides` keeps it: its first
    :data:`LATIN_FOLD` letters, accents left out ('Russland' -> 'russl', 'Pekín' -> 'pekin');
    a name of that many letters ending in a vowel by the letters before it, which its
    declined forms keep ('Rosja' -> 'rosj': 'Rosji', 'Rosję'; 'Chiny' -> 'chin': 'Chin')."""
    p = plain(name)
    return p[:FOLD] if len(p) == LATIN_FOLD and p[-1] in _VOWELS else p[:LATIN_FOLD]


@lru_cache(maxsize=64)
def _latin_index(names: tuple[str, ...]) -> tuple[frozenset, frozenset, frozenset, tuple[str, ...], frozenset]:
    """One side's names in a Latin-script language: those of :data:`LATIN_FOLD` letters and
    of four (matched as a word's start), shorter ones (matched as a capitalised word), names
    of several words (matched whole: Vietnamese 'trung quoc'), and the stems of the names of
    four letters that end in a vowel ('cina' -> 'cin'), which :data:`DECLINING_LANGUAGES`
    decline."""
    words = [n for n in names if " " not in n]
    return (frozenset(n for n in words if len(n) == LATIN_FOLD), frozenset(n for n in words if len(n) == FOLD),
            frozenset(n for n in words if len(n) < FOLD), tuple(n for n in names if " " in n),
            frozenset(n[:FOLD - 1] for n in words if len(n) == FOLD and n[-1] in _VOWELS))


def _declined(w: str, p: str, stems: frozenset) -> bool:
    """Whether a word (``p``: its plain form) is a declined form of a name whose stem is in
    ``stems``: capitalised, the stem, a vowel and at most one more letter of an ending ('Číny',
    'Číně', 'Čínou', 'Kinom'), or, in any case, the stem's adjective ('čínský': 'cinsk')."""
    stem = p[:FOLD - 1]
    if stem not in stems:
        return False
    if p[FOLD - 1:FOLD + 1] == "sk":
        return True
    return w[0].isupper() and len(p) in (FOLD, FOLD + 1) and p[FOLD - 1] in _VOWELS and (len(p) == FOLD or p[FOLD] in _ENDINGS)


def _phrase_count(words: list[str], phrases: tuple[str, ...]) -> int:
    """How often the words, in a row, say one of the ``phrases`` (plain, words joined by a space)."""
    if not phrases:
        return 0
    joined = f" {' '.join(plain(w) for w in words)} "
    return sum(joined.count(f" {p} ") for p in phrases)


def _names_latin(words: list[str], names: tuple[str, ...], declines: bool = False) -> bool:
    five, four, short, phrases, stems = _latin_index(names)
    stems = stems if declines else None
    for w in words:
        p = plain(w)
        if p[:LATIN_FOLD] in five or p[:FOLD] in four or (short and p in short and w[0].isupper()) or \
                (stems and _declined(w, p, stems)):
            return True
    return _phrase_count(words, phrases) > 0


@lru_cache(maxsize=64)
def _russian_index(names: tuple[str, ...]) -> tuple[frozenset, tuple[int, ...], frozenset]:
    """Stems, their lengths, and the abbreviations (in capitals) of one side's Russian names."""
    stems = frozenset(n for n in names if not n.isupper())
    return stems, tuple(sorted({len(n) for n in stems})), frozenset(n for n in names if n.isupper())


def _names_ru(words: set[str], lower: set[str], names: tuple[str, ...]) -> bool:
    stems, lengths, abbreviations = _russian_index(names)
    return any(w[:n] in stems for w in lower for n in lengths) or not abbreviations.isdisjoint(words)


def _names(text: str, sides: ForeignSides, lang: str) -> tuple[bool, bool]:
    if lang in WORD_LANGUAGES:
        words = _LATIN_WORD.findall(text)
        declines = lang in DECLINING_LANGUAGES
        return _names_latin(words, sides.a, declines), _names_latin(words, sides.b, declines)
    if lang == "ru":
        words = set(_CYRILLIC_WORD.findall(text))
        lower = {w.lower() for w in words}
        return _names_ru(words, lower, sides.a), _names_ru(words, lower, sides.b)
    if any(p in text for p in sides.pairs):
        return True, True
    return any(f in text for f in sides.a), any(f in text for f in sides.b)


def foreign_mentions(passages: list[str], sides: ForeignSides, lang: str):
    """:class:`.lexical.SideMentions` of passages in ``lang`` ('ru' or 'zh')."""
    from commentary_monitor.relevance.lexical import SideMentions

    both = either = s_both = s_either = 0
    for text in passages:
        if lang == "zh":
            text = simplified(text)     # names are kept in Simplified characters
        in_a, in_b = _names(text, sides, lang)
        both += in_a and in_b
        if in_a or in_b:
            either += 1
            for sentence in _SENTENCE.split(text):
                if sentence:
                    sa, sb = _names(sentence, sides, lang)
                    s_both += sa and sb
                    s_either += sa or sb
    return SideMentions(both, either, 0, (), s_both, s_either, 0, len(passages))


FOREIGN_LEAD = {"ru": 200, "zh": 350, "ja": 350, "ko": 600, "ar": 800,     # the opening: words, or characters
                **{lang: 200 for lang in WORD_LANGUAGES}}


@lru_cache(maxsize=64)
def _countries(lang: str) -> tuple[tuple[str, tuple], ...]:
    """Every country's names in ``lang``, from CLDR (babel) and ISO 3166 (pycountry), as
    (code, forms). Chinese forms are Simplified strings, matched as substrings. Russian forms
    are tuples of Snowball stems, one per word of a name of one or two words ('Индия' ->
    ('инд',), 'Южная Корея' -> ('южн', 'коре')), matched against capitalised words in a row,
    and ('', initials) for a longer official name ('Соединённые Штаты Америки' -> США)."""
    from babel import Locale

    from commentary_monitor.relevance import foreign_names as fn

    locales = [Locale.parse("zh"), Locale.parse("zh_Hant")] if lang == "zh" else [Locale.parse(lang)]
    out = []
    for code in Locale.parse("en").territories:
        if not (code.isalpha() and len(code) == 2):
            continue
        names = {loc.territories[code] for loc in locales if code in loc.territories}
        names |= {t for lg, t in fn.iso_names(code) if lg == lang}
        forms: set = set()
        for name in names:
            name = re.sub(r"\s*\(.*?\)", "", name).strip()
            if lang == "zh" or lang in STRING_LANGUAGES:
                if len(name) >= 2:
                    forms.add(string_form(name, lang))
                continue
            if lang in WORD_LANGUAGES:     # a one-word name by its first letters, a longer one whole
                words = _LATIN_WORD.findall(name)
                if len(words) == 1 and len(words[0]) >= FOLD:
                    forms.add(("fold", latin_form(words[0])))
                elif len(words) > 1:
                    forms.add(("phrase", name))
                continue
            words = _CYRILLIC_WORD.findall(name)
            if len(words) >= 3 and fn.initials(name):
                forms.add(("", fn.initials(name)))
            elif words:
                forms.add(tuple(fn.russian_stem(w) for w in words))
        if forms:
            out.append((code, tuple(sorted(forms))))
    return tuple(out)


@lru_cache(maxsize=64)
def _third_countries(sides: ForeignSides, lang: str):
    """The countries that are neither side (a country one of whose names names a side is
    that side), indexed for :func:`foreign_third_party`: Chinese, [forms per country];
    Russian, (first stem -> [(country, stems)], initials -> country)."""
    def spelled(form) -> str:
        if lang in WORD_LANGUAGES:
            return form[1].capitalize()
        return form if isinstance(form, str) else form[1] if not form[0] else " ".join(x.capitalize() for x in form)

    others = [(code, forms) for code, forms in _countries(lang)
              if not any(any(_names(spelled(f), sides, lang)) for f in forms)]
    if lang == "zh" or lang in STRING_LANGUAGES:
        return [forms for _, forms in others]
    if lang in WORD_LANGUAGES:
        folds: dict[str, list] = {}
        phrases: dict[str, str] = {}
        for code, forms in others:
            for kind, f in forms:
                if kind == "fold":
                    folds.setdefault(f, []).append(code)
                else:
                    phrases[f] = code
        return folds, phrases
    first: dict[str, list] = {}
    abbreviations: dict[str, str] = {}
    for code, forms in others:
        for f in forms:
            if not f[0]:
                abbreviations[f[1]] = code
            else:
                first.setdefault(f[0], []).append((code, f))
    return first, abbreviations


def foreign_mention_counts(text: str, sides: ForeignSides, lang: str, limit: int | None = None) -> tuple[int, int, int]:
    """How often an article in ``lang`` names each side, and the third country it names
    most (its count), in its first ``limit`` words or characters (:data:`FOREIGN_LEAD` by
    default). The countries come from CLDR and ISO 3166, never from a list."""
    if lang == "zh" or lang in STRING_LANGUAGES:
        lead = text[:limit or FOREIGN_LEAD[lang]]
        lead = simplified(lead) if lang == "zh" else lead
        other = max((sum(lead.count(f) for f in forms) for forms in _third_countries(sides, lang)), default=0)
        pair = sum(lead.count(f) for f in sides.pairs)
        return sum(lead.count(f) for f in sides.a) + pair, sum(lead.count(f) for f in sides.b) + pair, other
    if lang in WORD_LANGUAGES:
        limit = limit or FOREIGN_LEAD[lang]
        lead = " ".join(text.split(maxsplit=limit)[:limit])
        folds, phrases = _third_countries(sides, lang)
        counts: dict[str, int] = {}
        na = nb = 0
        lead_words = _LATIN_WORD.findall(lead)
        na += _phrase_count(lead_words, _latin_index(sides.a)[3])
        nb += _phrase_count(lead_words, _latin_index(sides.b)[3])
        declines = lang in DECLINING_LANGUAGES
        for w in lead_words:
            na += _names_latin([w], sides.a, declines)
            nb += _names_latin([w], sides.b, declines)
            if w[0].isupper():
                for code in folds.get(latin_form(w), ()):
                    counts[code] = counts.get(code, 0) + 1
        for phrase, code in phrases.items():
            if (n := lead.count(phrase)):
                counts[code] = counts.get(code, 0) + n
        return na, nb, max(counts.values(), default=0)
    limit = limit or FOREIGN_LEAD["ru"]
    words = _CYRILLIC_WORD.findall(" ".join(text.split(maxsplit=limit)[:limit]))
    first, abbreviations = _third_countries(sides, lang)
    stems = [russian_stem(w) if w[0].isupper() else None for w in words]
    counts: dict[str, int] = {}
    na = nb = 0
    for k, w in enumerate(words):
        if w in abbreviations:
            counts[abbreviations[w]] = counts.get(abbreviations[w], 0) + 1
        elif stems[k] is not None:
            for code, f in first.get(stems[k], ()):
                if tuple(stems[k:k + len(f)]) == f:
                    counts[code] = counts.get(code, 0) + 1
                    break
        na += _names_ru({w}, {w.lower()}, sides.a)
        nb += _names_ru({w}, {w.lower()}, sides.b)
    return na, nb, max(counts.values(), default=0)


def foreign_third_party(text: str, sides: ForeignSides, lang: str) -> float:
    """How much a third country dominates the opening of an article in ``lang`` (its first
    :data:`FOREIGN_LEAD` words or characters): its mentions over those of the sides' names
    plus its own (plus one). A piece on Russia and India, or on the war in Ukraine, names
    its third country more than the sides."""
    na, nb, other = foreign_mention_counts(text, sides, lang)
    return other / (na + nb + other + 1)


def foreign_third_party_and_balance(text: str, sides: ForeignSides, lang: str, limit: int | None = None) -> tuple[float, float]:
    """``others`` and ``balance`` as :func:`.lexical.third_party_and_balance` measures them
    for English actors: the third country against the side named less, and the side named
    less against the one named more."""
    na, nb, other = foreign_mention_counts(text, sides, lang, limit)
    weaker = min(na, nb)
    return other / (weaker + other + 1), weaker / (max(na, nb) + 1)


def cjk_passages(text: str, size: int = 200, least: int = 100) -> list[str]:
    """Chinese text in passages of about ``size`` characters, cut at sentence ends (it has
    no spaces to count words by) and at the end of a paragraph (a line) once a passage has
    ``least`` characters: as English passages are paragraphs, short ones joined to the next."""
    text = unicodedata.normalize("NFKC", text)
    out, current = [], ""
    for block in text.split("\n"):
        for sentence in _SENTENCE.split(block):
            sentence = sentence.strip()
            if not sentence:
                continue
            current += sentence
            if len(current) >= size:
                out.append(current)
                current = ""
        if len(current) >= least:
            out.append(current)
            current = ""
    if current:
        if out and len(current) < size // 4:
            out[-1] += current
        else:
            out.append(current)
    return out
