"""An article's language: the page's ``<html lang>`` when it names a language the text is
written in, else detected from the text; codes normalised."""

import time

import pytest

from commentary_monitor.config import FeedConfig, FetchSettings
from commentary_monitor.feeds.parse import FeedEntry
from commentary_monitor.extraction.language import article_language, detect, normalize, page_language
from commentary_monitor.runs.pipeline import Candidate, build_articles, canonical_url

from .conftest import RELATION_PARAGRAPHS
from .multilingual import (CHINESE_OTHER_PARAGRAPHS, CHINESE_PARAGRAPHS, CHINESE_TITLE, RUSSIAN_OTHER_PARAGRAPHS,
                           RUSSIAN_PARAGRAPHS, RUSSIAN_TITLE, page)

# Short sentences, the hardest case for an n-gram detector (written for this test).
SHORT = {
    "ru": ["Переговоры продолжатся на следующей неделе.", "Рубль укрепился к юаню.",
           "Глава МИД прокомментировал итоги визита.", "Саммит ШОС пройдёт осенью.",
           "Почему Пекин осторожен с прямой военной помощью?"],
    "zh": ["谈判将于下周继续进行。", "人民币对卢布汇率走强。", "两国海军在日本海举行联合演习。",
           "中国汽车在俄罗斯市场占据了相当份额。", "北京为何对直接军事援助保持谨慎？"],
    "en": ["Talks will continue next week.", "The rouble strengthened against the yuan.",
           "Xi Jinping and Vladimir Putin held talks in the Kremlin.", "Economists expect oil prices to fall.",
           "Why is Beijing cautious about direct military aid?"],
}


@pytest.mark.parametrize("tag, code", [
    ("zh-CN", "zh"), ("zh-Hans", "zh"), ("zh_Hant_TW", "zh"), ("ZH", "zh"), ("zho", "zh"), ("ru-RU", "ru"),
    ("ru_RU", "ru"), ("rus", "ru"), ("en-GB", "en"), ("en", "en"), ("iw", "he"), ("wuu", "zh"),
    ("und", None), ("mul", None), ("x-default", None), ("", None), (None, None), ("english", None), ("1a", None),
])
def test_codes_are_normalised_to_the_short_form(tag, code):
    assert normalize(tag) == code


def test_the_declared_language_is_read_from_html_lang():
    assert page_language(b'<!DOCTYPE html><html class="no-js" lang="zh-Hans-CN"><head>') == "zh"
    assert page_language("<html lang='ru-RU' dir=ltr>") == "ru"
    assert page_language(b"<html lang=en>") == "en"
    assert page_language(b'<html lang="x-default">') is None
    assert page_language(b"<html><body lang='fr'>") is None       # only the html element says it
    assert page_language(b"<!doctype html><p>no html element</p>") is None


@pytest.mark.parametrize("code", sorted(SHORT))
def test_short_texts_are_detected_in_russian_chinese_and_english(code):
    assert [detect(s) for s in SHORT[code]] == [code] * len(SHORT[code])


def test_too_little_text_is_not_guessed():
    assert detect("") is None and detect(None) is None and detect("OK 2026") is None


def test_a_declared_language_the_text_is_not_in_is_overruled():
    russian = "\n\n".join(RUSSIAN_PARAGRAPHS)
    english = " ".join(RELATION_PARAGRAPHS)
    assert article_language("ru", russian) == "ru" and article_language("en", english) == "en"
    assert article_language("en", russian) == "ru"         # an English site template over a Russian article
    assert article_language("en", "\n\n".join(CHINESE_PARAGRAPHS)) == "zh"
    assert article_language("zh", english) == "en" and article_language("de", english) == "en"
    assert article_language(None, russian) == "ru"
    assert article_language("uk", russian) == "ru"         # a long text leaves no doubt
    assert article_language("uk", "Саммит ШОС пройдёт осенью.") == "uk"   # a short one does: the page stands
    assert article_language("en", "Short.") == "en"        # too little text to overrule the page
    assert article_language(None, "2026") is None


def test_detection_is_cheap_per_page():
    detect("warm up the model")
    text = "\n\n".join(RUSSIAN_PARAGRAPHS * 10)
    started = time.perf_counter()
    for _ in range(50):
        article_language(None, text)
    per_page = (time.perf_counter() - started) / 50
    assert per_page < 0.02       # ~1 ms here; generous for a loaded machine


def _candidate(site, path: str, feed_text: str = "") -> Candidate:
    url = site.url(path)
    entry = FeedEntry(link=url, guid=url, title="", author=None, published=None,
                      summary_html=f"<p>{feed_text}</p>" if feed_text else "")
    return Candidate(FeedConfig("https://feed.example/rss"), "Feed", entry, canonical_url(url))


def test_pages_that_name_no_language_get_the_language_of_their_text(site):
    """Served from a loopback server and built as an ingest builds them: a Russian page
    without ``lang``, a Chinese page saying ``und``, a Chinese page whose template says
    ``en``, a Russian page saying ``ru-RU``, and a page that fails, whose feed text is used."""
    site.add("/ru/", page(RUSSIAN_TITLE, RUSSIAN_PARAGRAPHS, None))
    site.add("/zh/", page(CHINESE_TITLE, CHINESE_PARAGRAPHS, "und"))
    site.add("/zh-en/", page("上海港", CHINESE_OTHER_PARAGRAPHS, "en"))
    site.add("/ru-ru/", page("Мост", RUSSIAN_OTHER_PARAGRAPHS, "ru-RU"))
    site.add("/gone/", "gone", status=404)
    settings = FetchSettings(allow_private=frozenset({site.host_port}), min_text_chars=100)
    arts = build_articles([_candidate(site, "/ru/"), _candidate(site, "/zh/"), _candidate(site, "/zh-en/"),
                           _candidate(site, "/ru-ru/"), _candidate(site, "/gone/", CHINESE_PARAGRAPHS[0])], settings)
    assert [a.text_source for a in arts] == ["page"] * 4 + ["feed"]
    assert [a.language for a in arts] == ["ru", "zh", "zh", "ru", "zh"]
    assert arts[0].title == RUSSIAN_TITLE and "Сила Сибири" in arts[0].text    # as published, untranslated


def test_the_language_detector_is_kept_ready_for_the_next_process(tmp_path):
    """py3langid reads its compressed model in 0.6 s; the first process keeps the detector in
    the user's cache folder and the next loads it from there, with the same answers. A cache
    folder that cannot be written only costs loading it again."""
    import os
    import subprocess
    import sys

    probe = ("import sys\n"
             "from py3langid.langid import LanguageIdentifier\n"
             "if sys.argv[1] == 'cached':\n"
             "    def refuse(*a, **k): raise AssertionError('model read again')\n"
             "    LanguageIdentifier.from_model_file = refuse\n"
             "from commentary_monitor.extraction.language import detect\n"
             "print(detect('Государственная дума приняла закон о памяти и истории войны.'),"
             " detect('The parliament passed a law on the memory of the war and its history.'))\n")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    run = lambda mode, e=env: subprocess.run([sys.executable, "-c", probe, mode], env=e,  # noqa: E731
                                             capture_output=True, text=True)
    first, second = run("fresh"), run("cached")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout.split() == second.stdout.split() == ["ru", "en"]
    assert list((tmp_path / "cache" / "commentary-monitor").glob("py3langid-*.pickle"))
    (tmp_path / "readonly").write_text("a file where the cache folder would be")
    blocked = run("fresh", dict(env, XDG_CACHE_HOME=str(tmp_path / "readonly")))
    assert blocked.returncode == 0 and blocked.stdout.split() == ["ru", "en"], blocked.stderr
