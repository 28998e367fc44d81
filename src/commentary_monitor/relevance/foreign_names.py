"""Where a name's forms in Russian and Chinese come from, beyond CLDR: pycountry's ISO 3166
translations (states that are gone, official names, subdivisions), transliteration against
wordfreq's word lists (iuliia's romanisation for Russian, pypinyin's for Chinese), and the
Russian Snowball stemmer. Used once, when a profile is built (see :mod:`.crosslingual`);
only :func:`simplified`, and the English words that name a third country
(:func:`country_of`, :func:`country_phrases`), run when an article is scored.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

_CYRILLIC = re.compile(r"[а-яё]+")
ROMANISATION = "WIKIPEDIA"    # iuliia's scheme: how English-language writing spells Russian names
MIN_RUSSIAN_NAME = 4          # shorter Russian words ('си', 'мао') match too much to be a name
_HAN_WORD = re.compile(r"[\u3400-\u9fff]{2,}")


@lru_cache(maxsize=2)
def word_list(lang: str) -> tuple[str, ...]:
    """wordfreq's small list for ``lang`` (its words with a frequency of at least one in a
    million: the floor below which a name is too rare to be worth matching)."""
    from itertools import chain

    from wordfreq import get_frequency_list

    return tuple(chain(*get_frequency_list(lang, "small")))


@lru_cache(maxsize=1)
def _simplified_map() -> dict[int, str]:
    """Traditional -> Simplified Chinese characters: the map ``wordfreq.chinese.simplify_chinese``
    uses, read from wordfreq's data (importing that module imports jieba, 0.3 s, for nothing
    we need)."""
    import gzip

    import msgpack
    from wordfreq.util import data_path

    try:
        with gzip.open(data_path("_chinese_mapping.msgpack.gz")) as f:
            return msgpack.load(f, raw=False, strict_map_key=False)
    except (OSError, ValueError):     # a wordfreq without the map: Traditional text stays as it is
        return {}


def simplified(text: str) -> str:
    """Chinese text in Simplified characters (character by character), so that names found
    in Simplified match "普京與習近平" too."""
    return text.translate(_simplified_map())


def russian_spelled(names: set[str]) -> dict[str, list[str]]:
    """The Russian words (wordfreq's list) whose romanisation (iuliia, :data:`ROMANISATION`)
    is one of ``names`` (lower-case English spellings): 'putin' -> ['путин']."""
    import iuliia

    schema = getattr(iuliia, ROMANISATION)
    names = {n for n in names if len(n) >= MIN_RUSSIAN_NAME}
    longest: dict[str, int] = {}      # a word's first two letters, romanised -> the longest name they start
    out: dict[str, list[str]] = {}
    for w in word_list("ru"):
        if len(w) < MIN_RUSSIAN_NAME or not _CYRILLIC.fullmatch(w):
            continue
        most = longest.get(w[:2])
        if most is None:   # romanise only words that can be one of the names (a word romanises no shorter)
            r = schema.translate(w[:2])
            most = longest[w[:2]] = max((len(n) for n in names if r and n.startswith(r)), default=0)
        if len(w) <= most and (r := schema.translate(w)) in names:
            out.setdefault(r, []).append(w)
    return out


def chinese_spelled(names: set[str]) -> dict[str, list[str]]:
    """The Chinese words (two characters or more, wordfreq's list) whose toneless pinyin
    (pypinyin), joined, is one of ``names`` (English spellings without spaces):
    'xijinping' -> ['习近平'], 'beijing' -> ['北京', '背景']."""
    from pypinyin import Style, lazy_pinyin, pinyin

    max_syllables = max((len(n) for n in names), default=0) // 2    # two letters a syllable at the least, but for 'a', 'e', 'o'
    prefixes = {n[:k] for n in names for k in range(1, len(n) + 1)}
    readings: dict[str, list[str]] = {}
    out: dict[str, list[str]] = {}
    for w in word_list("zh"):
        if not _HAN_WORD.fullmatch(w) or len(w) > max_syllables:
            continue
        for ch in w[:2]:
            if ch not in readings:
                readings[ch] = pinyin(ch, style=Style.NORMAL, heteronym=True)[0]
        # only words whose first two characters, in some reading, can start one of the names
        if any(r1 + r2 in prefixes for r1 in readings[w[0]] if r1 in prefixes for r2 in readings[w[1]]) \
                and (p := "".join(lazy_pinyin(w, style=Style.NORMAL))) in names:
            out.setdefault(p, []).append(w)
    return out


def palladius_given_name(name: str) -> str:
    """A Chinese personal name's given name as Russian writes it (the Palladius system,
    pypinyin's Cyrillic style, syllables joined): '习近平' -> 'цзиньпин' (Russian: Си
    Цзиньпин). The surname, one syllable ('си', 'мао'), is too short to be matched alone.
    Empty unless the form has :data:`MIN_RUSSIAN_NAME` letters and no other word of
    wordfreq's Russian list starts with it (its own declensions aside), so that it never
    matches the start of an ordinary Russian word."""
    from pypinyin import Style, lazy_pinyin

    if len(name) != 3 or not _HAN_WORD.fullmatch(name):     # surname and a two-syllable given name
        return ""
    form = "".join(re.sub(r"\d", "", x) for x in lazy_pinyin(name[1:], style=Style.CYRILLIC))
    if len(form) < MIN_RUSSIAN_NAME or not _CYRILLIC.fullmatch(form):
        return ""
    stem = russian_stem(form)
    if any(w.startswith(form) and russian_stem(w) != stem for w in word_list("ru")):
        return ""
    return form


def pinyin_of(text: str) -> str:
    """Toneless pinyin, joined: '北京' -> 'beijing'."""
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(text, style=Style.NORMAL))


@lru_cache(maxsize=4096)
def _translations(domain: str, english: str) -> tuple[tuple[str, str], ...]:
    """(language, name) of an ISO 3166 name in Russian and Chinese, from pycountry's
    iso-codes translations (those that differ from the English). Cached: gettext looks for
    the catalogue's files on every call (three stat calls a locale)."""
    import gettext

    import pycountry

    out = []
    for lang, locale in (("ru", "ru"), ("zh", "zh_CN"), ("zh", "zh_TW")):
        t = gettext.translation(domain, pycountry.LOCALES_DIR, languages=[locale], fallback=True).gettext(english)
        if t and t != english:
            out.append((lang, t))
    return tuple(out)


@lru_cache(maxsize=1)
def territory_codes() -> dict[str, str]:
    """English territory name (lower-case, CLDR) -> its ISO code."""
    from babel import Locale

    return {name.lower(): code for code, name in Locale.parse("en").territories.items() if code.isalpha()}


@lru_cache(maxsize=1)
def country_words() -> dict[str, tuple[str, ...]]:
    """The first and last words of every country's English name (CLDR; the countries of
    ISO 3166, Antarctica left out), folded as actors are (:func:`.lexical.actor_mentions`),
    -> the countries they name: 'indi' -> ('IN',), 'viet' -> ('VN',), 'kore' -> ('KP', 'KR'),
    'stat' -> ('US',). 'Indian' and 'Vietnamese' fold to the same words."""
    import pycountry
    from babel import Locale

    from commentary_monitor.relevance.lexical import ACTOR_FOLD, _STOP, normalise

    iso = {c.alpha_2 for c in pycountry.countries} - {"AQ"}
    out: dict[str, set] = {}
    for code, name in Locale.parse("en").territories.items():
        words = [w for w in re.findall(r"[^\W\d_]+", name) if w.lower() not in _STOP] if code in iso else []
        for w in {words[0], words[-1]} if words else ():
            out.setdefault(normalise(w)[:ACTOR_FOLD], set()).add(code)
    return {k: tuple(sorted(v)) for k, v in out.items()}


@lru_cache(maxsize=1)
def english_name_words() -> frozenset:
    """Every word of CLDR's English names of countries and languages, lower-case ('india',
    'korea', 'vietnamese', 'chinese'): names a text written without capitals still names."""
    from babel import Locale

    from commentary_monitor.relevance.lexical import _STOP

    en = Locale.parse("en")
    names = list(en.territories.values()) + list(en.languages.values())
    return frozenset(w.lower() for n in names for w in re.findall(r"[^\W\d_]+", n) if w.lower() not in _STOP)


# What English adds to a country's word to name its people and things ('Indian', 'Japanese',
# 'Israeli', 'Korean', 'Chilean', 'Argentinian'; 'German' is 'Germany' less its last letter)
DEMONYM_ENDINGS = frozenset({"", "n", "an", "ian", "ean", "ese", "i", "ish", "ic"})
# what a country's name adds to its people's name ('Kazakh', 'Uzbek', 'Thai', 'Philippine')
NAME_ENDINGS = frozenset({"stan", "istan", "land", "s"})


@lru_cache(maxsize=1)
def country_names() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(words, phrases): the words that name a country on their own, normalised, -> its ISO
    codes: the first and last word of its English name (CLDR, as :func:`country_words`), but
    for a word English uses commonly (wordfreq's 5,000 most common words) in a name of
    several words: 'Republic', 'United', 'States', 'South', 'Islands', 'City', 'Cook' name
    no country by themselves, 'Korea', 'Arabia', 'Vatican' and the one-word 'Turkey' or
    'Georgia' do. A name left with no such word is named by the whole of it ('United
    States', 'United Kingdom', 'South Africa'): the phrases. ISO 3166's own name puts a
    country's word first, before a comma ('Korea, Republic of'; 'Congo, The Democratic
    Republic of the'): that word names it too."""
    import pycountry
    from babel import Locale

    from commentary_monitor.relevance.lexical import _STOP, common_english, normalise

    common = common_english()
    iso = {c.alpha_2 for c in pycountry.countries} - {"AQ"}
    words: dict[str, set] = {}
    phrases: dict[str, set] = {}
    for code, name in Locale.parse("en").territories.items():
        ws = [w for w in re.findall(r"[^\W\d_]+", name) if w.lower() not in _STOP] if code in iso else []
        own = [w for w in {ws[0], ws[-1]} if len(ws) == 1 or not {w.lower(), normalise(w)} & common] if ws else []
        for w in own:
            words.setdefault(normalise(w), set()).add(code)
        if ws and not own:
            phrases.setdefault(name, set()).add(code)
    for c in pycountry.countries:
        if "," in c.name and c.alpha_2 in iso:
            head = [w for w in re.findall(r"[^\W\d_]+", c.name.split(",")[0]) if w.lower() not in _STOP]
            for w in [w for w in {head[0], head[-1]} if len(head) == 1 or not {w.lower(), normalise(w)} & common] if head else []:
                words.setdefault(normalise(w), set()).add(c.alpha_2)
    named = {c for v in words.values() for c in v}      # 'North Korea': 'Korea' names it already
    return ({k: tuple(sorted(v)) for k, v in words.items()},
            {k: tuple(sorted(v)) for k, v in phrases.items() if not v & named})


@lru_cache(maxsize=20_000)
def country_of(word: str) -> tuple[str, ...]:
    """The countries a capitalised word (normalised) names (:func:`country_names`): one of
    their words, or a form of it (:data:`DEMONYM_ENDINGS`: 'Indian', 'Japanese', 'Mongolian';
    'Kazakh', 'Afghan': the name's start). 'Congress' is not Congo, 'Palace' not Palau,
    'Francis' not France, 'Northern' not North Korea. () for none."""
    words, _ = country_names()
    if word in words:
        return words[word]
    for c in _country_words_by_start().get(word[:4], ()):     # the longest first: 'Nigerian' is Nigeria's
        for base in {c, c[:-1] if c[-1] in "aeiouy" else c}:
            if word.startswith(base) and word[len(base):] in DEMONYM_ENDINGS:
                return words[c]
        if c.startswith(word) and c[len(word):] in NAME_ENDINGS or word.endswith("ish") and len(word) - 3 >= 4:
            return words[c]     # 'Kazakh', 'Thai'; 'Swedish', 'Turkish' (the first letters shared)
    return ()


def country_phrases(text: str) -> Counter:
    """Country -> how often a text writes a name of it no single word of which names it
    ('United States', 'United Kingdom', 'South Africa'; :func:`country_names`)."""
    out: Counter = Counter()
    for phrase, codes in country_names()[1].items():
        n = text.count(phrase)
        if n:
            for c in codes:
                out[c] += n
    return out


@lru_cache(maxsize=1)
def _country_words_by_start() -> dict[str, tuple[str, ...]]:
    out: dict[str, list] = {}
    for c in country_names()[0]:
        out.setdefault(c[:4], []).append(c)
    return {k: tuple(sorted(v, key=lambda c: (-len(c), c))) for k, v in out.items()}


# How Russian makes a region's adjective from its centre's name ('Irkutskaya oblast'',
# 'Khabarovskiy kray'), and the forms English writes the region in: the city ('Irkutsk'), the
# adjective ('Primorsky', 'Zabaykalskiy'), the noun ('Primorye'), the bare name ('Amur',
# 'Volgograd', 'Samara')
REGION_ADJECTIVES = ("skaya", "skiy", "skoye")
REGION_FORMS = ("sk", "sky", "skiy", "skii", "skaya", "ye", "ie")
REGION_BARE_FORMS = ("", "a")
MIN_REGION_NAME = 4       # shorter forms ('Om', 'Tom', 'Kur') are other words
REGION_BARE_ZIPF = 3.5    # a bare name English writes more often than this is mostly something else ('Vladimir', 'Bryan')


@lru_cache(maxsize=8)
def region_names(code: str) -> frozenset:
    """The words (normalised, whole) that name one of a country's own regions or cities:
    the first word of each of its ISO 3166-2 subdivisions (pycountry; 'Heilongjiang',
    'Xinjiang', 'Dagestan'), with English's spellings of the Russian forms ('Buryatiya' ->
    'Buryatia', 'Altay' -> 'Altai', 'Khabarovskiy kray' -> 'Khabarovsk', 'Khabarovsky';
    :data:`REGION_FORMS`; the bare name, 'Amur', 'Samara', unless English writes it often:
    :data:`REGION_BARE_ZIPF`), and its cities of CLDR's time zones ('Vladivostok', 'Urumqi').
    Left out: a subdivision that is a country of its own ('Taiwan', 'Hong Kong'), a form
    shorter than :data:`MIN_REGION_NAME`, one of English's common words
    (:func:`.lexical.common_english`) and a word that names a country. Empty for a code
    with none."""
    import pycountry
    from babel.core import get_global
    from wordfreq import zipf_frequency

    from commentary_monitor.relevance.lexical import _STOP, common_english, normalise

    common = common_english()
    countries = {c.alpha_2 for c in pycountry.countries}
    forms: set[str] = set()
    for s in pycountry.subdivisions.get(country_code=code) or ():
        first = re.split(r"[\s,\-]", s.name)[0].replace("'", "")
        w = first.lower()
        if w in territory_codes() and territory_codes()[w] in countries:
            continue        # 'Taiwan Sheng'
        forms.add(w)
        if w.endswith("iya"):
            forms.add(w[:-3] + "ia")
        if w.endswith("y"):
            forms.add(w[:-1] + "i")
        for ending in REGION_ADJECTIVES:
            if w.endswith(ending):
                base = w[:-len(ending)]
                forms.update(base + f for f in REGION_FORMS)
                forms.update(b for f in REGION_BARE_FORMS if zipf_frequency(b := base + f, "en") < REGION_BARE_ZIPF)
    for zone, territory in get_global("zone_territories").items():
        city = zone.rsplit("/", 1)[-1]
        if territory == code and city.isalpha():
            forms.add(city.lower())
    return frozenset(n for f in forms if len(f) >= MIN_REGION_NAME and f not in common and f not in _STOP
                     and not country_of(n := normalise(f)))


def side_regions(sides, known: frozenset = frozenset()) -> tuple[frozenset, frozenset]:
    """For a relationship's two sides (folded actors), the whole words that name each side's
    own regions and cities (:func:`region_names` of the one country the side's actors name:
    'chin' -> China's, 'russ' -> Russia's); a word whose fold is already a side's or in
    ``known`` (the profile's own actors, third countries) is left out, as is one both
    sides would have."""
    from commentary_monitor.relevance.lexical import ACTOR_FOLD

    words = country_names()[0]
    folds = set(sides[0]) | set(sides[1]) | set(known)
    out = []
    for side in sides:
        codes = {c for w, cs in words.items() if w[:ACTOR_FOLD] in side for c in cs}
        out.append({w for w in region_names(next(iter(codes))) if w[:ACTOR_FOLD] not in folds} if len(codes) == 1 else set())
    shared = out[0] & out[1]
    return frozenset(out[0] - shared), frozenset(out[1] - shared)


def city_countries(word: str, zone_cities: dict[str, str]) -> set[str]:
    """The countries (ISO codes) of a city named ``word``: CLDR's time-zone city ('moscow':
    Europe/Moscow, RU) and ISO 3166 subdivisions named the city and their type ('beijing':
    Beijing Shi, CN). A territory's own name is no city ('taiwan' is not Taiwan Sheng's)."""
    from babel.core import get_global

    out = set()
    if word in territory_codes():
        return out
    tz = zone_cities.get(word)
    if tz and (code := get_global("zone_territories").get(tz)) and code.isalpha():
        out.add(code)
    out.update(_subdivision_cities().get(word, ()))
    return out


@lru_cache(maxsize=1)
def _subdivision_cities() -> dict[str, frozenset]:
    """The first word of each ISO 3166 subdivision named as a city and its type ('Beijing
    Shi') -> the countries that have one."""
    import pycountry

    out: dict[str, set] = {}
    for s in pycountry.subdivisions:
        parts = s.name.lower().split()
        if len(parts) == 2:
            out.setdefault(parts[0], set()).add(s.country_code)
    return {k: frozenset(v) for k, v in out.items()}


def english_names(code: str) -> tuple[str, ...]:
    """A country's English name and its first official language's, lower-case: 'CN' ->
    ('china', 'chinese'), 'RU' -> ('russia', 'russian')."""
    from babel import Locale
    from babel.languages import get_official_languages

    en = Locale.parse("en")
    official = get_official_languages(code)
    return tuple(x.lower() for x in (en.territories.get(code), en.languages.get(official[0]) if official else None) if x)


def gone_states(word: str) -> list[tuple[str, str]]:
    """(language, name) of the states that are gone, whose code no current country took,
    with ``word`` in their English name: 'soviet' -> the USSR's names."""
    import pycountry

    current = {c.alpha_2 for c in pycountry.countries}
    return [(lang, t.split(", ")[-1]) for c in pycountry.historic_countries
            if c.alpha_2 not in current and word in re.findall(r"[a-z]+", c.name.lower())
            for lang, t in _translations("iso3166-3", c.name)]


def iso_names(code: str) -> list[tuple[str, str]]:
    """(language, name) of a country's ISO names ('Российская Федерация', 'Китайская Народная
    Республика', '中华人民共和国')."""
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return []
    return [(lang, t) for name in sorted({country.name, getattr(country, "official_name", country.name)})
            for lang, t in _translations("iso3166-1", name)]


def subdivision_names(word: str, code: str) -> list[tuple[str, str]]:
    """(language, name) of a country's subdivision whose English name is ``word`` and its
    type: 'beijing' -> 'Beijing Shi' -> 'Пекин', '北京市'."""
    import pycountry

    return [(lang, t) for s in pycountry.subdivisions.get(country_code=code) or ()
            if s.name.lower().split()[:1] == [word] and len(s.name.split()) == 2
            for lang, t in _translations("iso3166-2", s.name)]


@lru_cache(maxsize=1)
def _russian_stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("russian")


@lru_cache(maxsize=65536)
def russian_stem(word: str) -> str:
    """The Snowball stem: 'советских' -> 'советск', 'кремль' -> 'кремл'."""
    return _russian_stemmer().stemWord(word.lower())


def initials(name: str) -> str:
    """'Союз Советских Социалистических Республик' -> 'СССР' (a name of two words or more)."""
    words = name.split()
    return "".join(w[0] for w in words).upper() if len(words) >= 2 and all(w[0].isalpha() for w in words) else ""


def sounds_like(english: str, russian: str) -> bool:
    """A Russian word of a translated name that is the English word romanised ('Советских'
    for 'soviet'): their first three letters and half the English word agree."""
    import iuliia

    r = getattr(iuliia, ROMANISATION).translate(russian.lower())
    n = 0
    while n < min(len(r), len(english)) and r[n] == english[n]:
        n += 1
    return n >= max(3, len(english) // 2)


def chinese_abbreviations(name: str) -> list[str]:
    """The words of wordfreq's Chinese list that abbreviate a long name as Chinese does,
    its first character and others of the name in order: 苏维埃社会主义共和国联盟 -> 苏联."""
    out = []
    for w in word_list("zh"):
        if len(w) >= 2 and w[0] == name[0]:
            rest = iter(name[1:])
            if all(ch in rest for ch in w[1:]):
                out.append(w)
    return out
