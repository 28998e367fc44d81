"""An article's language: what its page declares, or else what its text is written in.

``<html lang>`` is read first (:func:`page_language`); it is trusted when it is a real
language written in the script the text is mostly in (a template that says ``en`` over a
Russian article is not). Otherwise the language is detected from the text with py3langid
(a naive Bayes n-gram model trained on 139 languages, bundled with the package: no
download), on the first :data:`SAMPLE_CHARS` characters: ~1 ms a page. Codes are
normalised to ISO 639-1 where there is one (``zh-CN``, ``zh-Hans``, ``zho`` -> ``zh``;
``ru-RU`` -> ``ru``), see :func:`normalize`.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from functools import lru_cache

SAMPLE_CHARS = 1000   # the detector's verdict on a news page is the same from 500 characters on
MIN_LETTERS = 8       # fewer letters than this is too little text to tell

# Tags that name no language: a page that says one of these has not said its language.
_GENERIC = frozenset({"und", "mul", "zxx", "mis", "x", "i"})
# Older and three-letter codes for the same languages, and Chinese varieties written in the
# same characters (py3langid labels some short Mandarin texts 'wuu', Wu Chinese).
_ALIASES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro", "eng": "en", "rus": "ru",
            "zho": "zh", "chi": "zh", "cmn": "zh", "wuu": "zh", "yue": "zh", "lzh": "zh", "gan": "zh",
            "hak": "zh", "nan": "zh", "ukr": "uk", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr",
            "spa": "es", "jpn": "ja", "kor": "ko", "ara": "ar", "uzs": "uz", "srl": "sr"}
_CODE = re.compile(r"^[a-z]{2,3}$")

# The scripts a language is written in, as the first word of its letters' Unicode names;
# a language not listed is written in Latin letters.
_SCRIPTS = {
    "ru": {"CYRILLIC"}, "uk": {"CYRILLIC"}, "be": {"CYRILLIC"}, "bg": {"CYRILLIC"}, "mk": {"CYRILLIC"},
    "kk": {"CYRILLIC"}, "ky": {"CYRILLIC"}, "tg": {"CYRILLIC"}, "mn": {"CYRILLIC"}, "tt": {"CYRILLIC"},
    "ba": {"CYRILLIC"}, "sr": {"CYRILLIC", "LATIN"}, "uz": {"LATIN", "CYRILLIC"},
    "zh": {"CJK"}, "ja": {"CJK", "HIRAGANA", "KATAKANA"}, "ko": {"HANGUL", "CJK"},
    "ar": {"ARABIC"}, "fa": {"ARABIC"}, "ur": {"ARABIC"}, "ps": {"ARABIC"}, "ug": {"ARABIC"},
    "he": {"HEBREW"}, "yi": {"HEBREW"}, "el": {"GREEK"}, "hi": {"DEVANAGARI"}, "mr": {"DEVANAGARI"},
    "ne": {"DEVANAGARI"}, "bn": {"BENGALI"}, "th": {"THAI"}, "ka": {"GEORGIAN"}, "hy": {"ARMENIAN"},
    "ta": {"TAMIL"}, "te": {"TELUGU"}, "km": {"KHMER"}, "lo": {"LAO"}, "my": {"MYANMAR"},
}
_LATIN = frozenset({"LATIN"})
_ASCII_LETTER = re.compile(r"[A-Za-z]")

_HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([a-zA-Z][a-zA-Z0-9_-]{0,34})", re.IGNORECASE)


def normalize(tag: str | None) -> str | None:
    """A language tag as the short code the warehouse stores: the primary subtag, lower-cased,
    two letters where ISO 639-1 has them (``zh-Hans-CN`` -> ``zh``, ``ru_RU`` -> ``ru``,
    ``rus`` -> ``ru``); None for no tag or one that names no language (``und``, ``x-default``)."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    primary = _ALIASES.get(primary, primary)
    if primary in _GENERIC or not _CODE.match(primary):
        return None
    return primary


def page_language(html: bytes | str) -> str | None:
    """The language the page declares in ``<html lang>``, normalised, or None."""
    head = html[:8192]
    m = _HTML_LANG.search(head.encode("utf-8", "replace") if isinstance(head, str) else head)
    return normalize(m.group(1).decode("ascii")) if m else None


@lru_cache(maxsize=8192)
def _script_of(ch: str) -> str:
    try:
        return unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return ""


def main_script(text: str) -> str | None:
    """The script most of the sample's letters are written in (``LATIN``, ``CYRILLIC``,
    ``CJK``, ...), or None when it has too few letters to say."""
    sample = text[:SAMPLE_CHARS]
    if sample.isascii():   # most pages: no need to look letter by letter
        return "LATIN" if len(_ASCII_LETTER.findall(sample)) >= MIN_LETTERS else None
    counts = Counter(_script_of(ch) for ch in sample if ch.isalpha())
    if sum(counts.values()) < MIN_LETTERS:
        return None
    return counts.most_common(1)[0][0]


_detector = None
_detector_lock = threading.Lock()


def detector():
    """py3langid's identifier with probabilities, loaded once per process (~1 s: the
    extraction workers' fork server loads it before forking, see :mod:`.worker_start`)."""
    global _detector
    with _detector_lock:
        if _detector is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _detector = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _detector


def detect(text: str | None) -> str | None:
    """The language ``text`` is written in, normalised; None when it has too few letters.
    The probabilities of labels that normalise to one code are added up (Mandarin text is
    sometimes split between 'zh' and 'wuu')."""
    sample = (text or "")[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    votes: Counter[str] = Counter()
    for label, p in detector().rank(sample)[:5]:
        code = normalize(label)
        if code is not None:
            votes[code] += p
    return votes.most_common(1)[0][0] if votes else None


def article_language(declared: str | None, text: str | None) -> str | None:
    """The language to store for an article: ``declared`` (already normalised, e.g. from
    :func:`page_language`) when the text's main script is one that language is written in,
    else the language detected from ``text``."""
    if declared:
        script = main_script(text or "")
        if script is None or script in _SCRIPTS.get(declared, _LATIN):
            return declared
    return detect(text) or declared
