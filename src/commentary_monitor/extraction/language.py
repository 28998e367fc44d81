"""An article's language: what its text is written in, the page's own word first.

The language is detected from the text with py3langid (a naive Bayes model of byte n-grams
over 139 languages, bundled with the package: no download; by trafilatura's author), on the
first :data:`SAMPLE_CHARS` characters: ~1 ms a page. ``<html lang>`` (:func:`page_language`)
stands when the detector finds the text could be in that language; a page that names no
language, or one the text is not in (a site template that says ``en`` over every article),
gets the detected one (:func:`article_language`). Codes are normalised to ISO 639-1 where
there is one (``zh-CN``, ``zh-Hans``, ``zho`` -> ``zh``; ``ru-RU`` -> ``ru``), see
:func:`normalize`.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from functools import lru_cache

SAMPLE_CHARS = 1000   # the detector's verdict on a news page is the same from 500 characters on
MIN_LETTERS = 8       # fewer letters than this is too little text to tell
PLAUSIBLE = 0.01      # the detector's least probability for the page's own claim to stand

# Tags that name no language: a page that says one of these has not said its language.
_GENERIC = frozenset({"und", "mul", "zxx", "mis", "x", "i"})
# Older and three-letter codes for the same languages, and Chinese varieties written in the
# same characters (py3langid labels some short Mandarin texts 'wuu', Wu Chinese).
_ALIASES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro", "eng": "en", "rus": "ru",
            "zho": "zh", "chi": "zh", "cmn": "zh", "wuu": "zh", "yue": "zh", "lzh": "zh", "gan": "zh",
            "hak": "zh", "nan": "zh", "ukr": "uk", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr",
            "spa": "es", "jpn": "ja", "kor": "ko", "ara": "ar", "uzs": "uz", "srl": "sr"}
_CODE = re.compile(r"^[a-z]{2,3}$")

#: ISO 639-1: the two-letter codes a configuration may name (``[digest] languages``).
ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el
en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it
iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt
my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl
sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
za zh zu
""".split())

_HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([a-zA-Z][a-zA-Z0-9_-]{0,34})", re.IGNORECASE)


@lru_cache(maxsize=1024)
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


_detector = None
_detector_lock = threading.Lock()


def detector():
    """py3langid's identifier with probabilities, loaded once per process: from the user's
    cache folder (0.1 s, :mod:`commentary_monitor.usercache`), else from the package's
    compressed model (0.6 s) and then kept there. The extraction workers' fork server loads
    it before forking (see :mod:`commentary_monitor.runs.worker_start`)."""
    global _detector
    with _detector_lock:
        if _detector is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            from commentary_monitor.usercache import folder, kept, package_version

            path = folder() / f"py3langid-{package_version('py3langid')}-norm.pickle"
            _detector = kept(path, lambda: LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True),
                             lambda d: isinstance(d, LanguageIdentifier))
        return _detector


def _votes(text: str | None) -> Counter[str]:
    """The detector's probability for each language, normalised codes (the labels that
    normalise to one code added up: Mandarin text is sometimes split between 'zh' and
    'wuu'); empty when the text has too few letters to tell."""
    sample = (text or "")[:SAMPLE_CHARS]
    votes: Counter[str] = Counter()
    if sum(ch.isalpha() for ch in sample) >= MIN_LETTERS:
        for label, p in detector().rank(sample):
            code = normalize(label)
            if code is not None:
                votes[code] += p
    return votes


def detect(text: str | None) -> str | None:
    """The language ``text`` is written in, normalised; None when it has too few letters."""
    top = _votes(text).most_common(1)
    return top[0][0] if top else None


def article_language(declared: str | None, text: str | None) -> str | None:
    """The language to store for an article whose page declares ``declared`` (normalised,
    e.g. by :func:`page_language`; None when it declares none): the declared language when
    the text could be in it, else the one the text is detected in.

    "Could be": the detector gives it at least :data:`PLAUSIBLE`. On 181 real news pages, the
    151 that declare a language got >= 0.78 for it where it was right, and < 1e-14 for the 4
    where it was wrong (German articles under an English template, and the reverse). Where
    the detector hesitates between close languages (a short Russian text it finds maybe
    Ukrainian, Indonesian or Malay), the page's word stands."""
    votes = _votes(text)
    if not votes:
        return declared
    if declared and votes[declared] >= PLAUSIBLE:
        return declared
    return votes.most_common(1)[0][0]
