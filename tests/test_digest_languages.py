"""A digest of articles in several languages: each item in another language than the
digest's own (English) says which, keeps its title as published, and in HTML carries its
``lang``; ``[digest] languages`` chooses which languages reach the digest."""

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from commentary_monitor.config import DigestSettings, load_config
from commentary_monitor.digest.build import collect, render_markdown
from commentary_monitor.digest.weeks import IsoWeek
from commentary_monitor.digest.html import render_html, render_text
from commentary_monitor.errors import ConfigError
from commentary_monitor.warehouse.store import Warehouse

from .conftest import write_config
from .multilingual import CHINESE_PARAGRAPHS, CHINESE_TITLE, RUSSIAN_PARAGRAPHS, RUSSIAN_TITLE
from .test_digest import profile
from .test_warehouse import article, score

IN_WEEK = datetime(2026, 11, 18, 9)
NOW = datetime(2026, 11, 23, 7, tzinfo=timezone.utc)


def fill(wh: Warehouse) -> None:
    arts = [article(i, IN_WEEK) for i in range(1, 6)]
    arts[0].title, arts[0].language = "Moscow and Beijing: the pipeline", "en"
    arts[1].title, arts[1].text, arts[1].language = RUSSIAN_TITLE, "\n\n".join(RUSSIAN_PARAGRAPHS), "ru"
    arts[2].title, arts[2].text, arts[2].language = CHINESE_TITLE, "\n\n".join(CHINESE_PARAGRAPHS), "zh"
    arts[3].title, arts[3].language = "Language not known", None
    arts[4].title, arts[4].text, arts[4].language = "Ниже порога", "Короткий текст о торговле.", "ru"
    quoted = replace(score("a", 0.8), article_passage=RUSSIAN_PARAGRAPHS[0])   # the passage quoted as written
    wh.store_articles(wh.start_run("ingest"), arts, [[score("a", 0.9)], [quoted], [score("a", 0.7)],
                                                     [score("a", 0.6)], [score("a", 0.45)]])


def digest(tmp_path, languages=None):
    settings = DigestSettings(tmp_path, "UTC", 25, 200, languages=languages)
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        if not wh.con.execute("SELECT count(*) FROM articles").fetchone()[0]:
            fill(wh)
        return collect(wh, [profile("a")], IsoWeek(2026, 47), settings, now=NOW)


def test_each_item_says_its_language_when_not_english_and_keeps_its_title(tmp_path):
    d = digest(tmp_path)
    (section,) = d.sections
    assert [it.language for it in section.items] == ["en", "ru", "zh", None]
    assert [it.language for it in section.mentions] == ["ru"]

    md = render_markdown(d)
    assert f"[{RUSSIAN_TITLE}]" in md and f"[{CHINESE_TITLE}]" in md        # as published, untranslated
    assert "· in Russian · score 0.80" in md and "· in Chinese · score 0.70" in md
    assert "in English" not in md and md.count(" · in ") == 3             # the mention says it too
    assert "Ниже порога" in md and "in Russian · score 0.45" in md
    assert "> Переговоры о строительстве газопровода" in md                 # the excerpt as written

    text = render_text(d)
    assert RUSSIAN_TITLE in text and CHINESE_TITLE in text
    assert "· in Russian · score 0.80" in text and "· in Chinese · score 0.70" in text and "in English" not in text
    assert "Ниже порога, Ex · in Russian · score 0.45" in text

    html = render_html(d)
    assert RUSSIAN_TITLE in html and CHINESE_TITLE in html
    assert html.count(' lang="ru"') == 3 and html.count(' lang="zh"') == 2     # title and excerpt; the mention's title
    assert "· in Russian · score" in html and "in English" not in html
    assert html.count('lang="en"') == 1                                       # the page's own, not the English item's


def test_languages_choose_what_reaches_the_digest(tmp_path):
    d = digest(tmp_path, ("en", "ru"))
    (section,) = d.sections
    # unknown languages are kept: nothing is left out for want of a language
    assert [it.language for it in section.items] == ["en", "ru", None]
    assert CHINESE_TITLE not in render_markdown(d)
    d = digest(tmp_path, ("zh",))
    assert [it.language for it in d.sections[0].items] == ["zh", None] and d.sections[0].mentions == ()
    d = digest(tmp_path, ("ru",))
    assert [it.title for it in d.sections[0].mentions] == ["Ниже порога"]


def config_with(tmp_path, value: str):
    path = write_config(tmp_path, [], [])
    text = path.read_text(encoding="utf-8").replace('[digest]\ntimezone = "UTC"', f'[digest]\ntimezone = "UTC"\nlanguages = {value}')
    path.write_text(text, encoding="utf-8")
    return path


def test_the_languages_key_is_read_normalised_and_defaults_to_all(tmp_path):
    assert load_config(write_config(tmp_path, [], [])).digest.languages is None
    path = config_with(tmp_path, '["en", "ru-RU", "zh-Hans", "ZH"]')
    assert load_config(path).digest.languages == ("en", "ru", "zh")


@pytest.mark.parametrize("value, key, words", [
    ('["en", "russian"]', "digest.languages[1]", "'russian' is not a language code"),
    ('["und"]', "digest.languages[0]", "'und' is not a language code"),
    ('["cn"]', "digest.languages[0]", "'cn' is not a language code (ISO 639-1, e.g. \"en\", \"ru\", \"zh\")"),
    ("[]", "digest.languages", "an empty list would leave every digest empty"),
    ('"en"', "digest.languages", "valid list"),
])
def test_a_bad_languages_value_names_the_file_and_the_key(tmp_path, value, key, words):
    path = config_with(tmp_path, value)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.key == key and words in err.value.message
    assert str(err.value).startswith(f"{path}: {key}: ")


def test_the_digest_command_reports_a_bad_language_in_one_line(tmp_path):
    from .test_cli import cli

    path = config_with(tmp_path, '["en", "klingon"]')
    out = cli("--config", str(path), "digest")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"commentary-monitor: error: {path}: digest.languages[1]: 'klingon' is not a language code (ISO 639-1, e.g. \"en\", \"ru\", \"zh\")"]


def test_settings_without_languages_are_unchanged():
    s = DigestSettings(__import__("pathlib").Path("."))
    assert s.languages is None and replace(s, languages=("en",)).languages == ("en",)
