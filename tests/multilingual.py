"""Russian and Chinese sample articles for the language, search and digest tests.

Written for these tests (not taken from any outlet): plain news prose on the subjects the
monitor follows, long enough to pass extraction's minimum text.
"""

from __future__ import annotations

from datetime import datetime

from commentary_monitor.localsite import SampleArticle

RUSSIAN_TITLE = "Газопровод «Сила Сибири — 2»: Москва и Пекин снова обсуждают цену"
RUSSIAN_PARAGRAPHS = [
    "Переговоры о строительстве газопровода «Сила Сибири — 2» вновь оказались в центре внимания после "
    "встречи делегаций в Пекине. Российская сторона рассчитывает, что новый маршрут через Монголию позволит "
    "перенаправить на восток объёмы, которые раньше уходили в Европу.",
    "Китайские переговорщики, по словам собеседников, не спешат: Пекину выгодно покупать газ из разных "
    "источников, в том числе из Центральной Азии и в виде сжиженного газа. Главным вопросом остаётся цена, "
    "и пока стороны не смогли о ней договориться.",
    "Эксперты отмечают, что зависимость России от китайского рынка растёт. Торговля между двумя странами "
    "достигла рекордного уровня, но расчёты в национальных валютах наталкиваются на осторожность китайских "
    "банков, опасающихся вторичных санкций.",
    "В Москве подчёркивают, что отношения с Китаем носят стратегический характер и не направлены против "
    "третьих стран. Тем не менее наблюдатели видят в затянувшихся переговорах признак неравного партнёрства.",
]

RUSSIAN_OTHER_TITLE = "Новый мост через Амур открыли для грузовиков"
RUSSIAN_OTHER_PARAGRAPHS = [
    "Автомобильный мост через Амур между Благовещенском и Хэйхэ открыли для грузового движения. Власти "
    "Амурской области ожидают, что поток машин вырастет в несколько раз уже в первый год.",
    "Перевозчики жалуются на очереди на таможне и нехватку складов на российском берегу. Областные "
    "чиновники обещают расширить пункт пропуска и построить новую стоянку для фур к концу лета.",
    "Местные предприниматели надеются, что мост оживит торговлю продовольствием и лесом, а туристы из "
    "соседнего города будут чаще приезжать на выходные.",
]

CHINESE_TITLE = "中俄能源合作：西伯利亚力量2号管道谈判仍在继续"
CHINESE_PARAGRAPHS = [
    "中俄两国代表团本周在北京再次就西伯利亚力量2号天然气管道举行会谈。俄方希望这条经过蒙古的新管道"
    "能够把原本输往欧洲的天然气转向东方市场。",
    "知情人士表示，中方并不急于签约。北京可以从中亚和液化天然气市场获得多种气源，价格仍是双方最大的分歧，"
    "目前还没有达成一致。",
    "分析人士指出，俄罗斯对中国市场的依赖正在加深。两国贸易额创下新高，但由于担心受到二级制裁，"
    "一些中国银行在本币结算方面态度谨慎。",
    "莫斯科强调，俄中关系具有战略性质，不针对任何第三方。不过观察人士认为，谈判久拖不决反映出"
    "双方伙伴关系并不对等。",
]

CHINESE_OTHER_TITLE = "上海港集装箱吞吐量再创新高"
CHINESE_OTHER_PARAGRAPHS = [
    "上海港今年前十个月的集装箱吞吐量同比增长百分之六，再次刷新历史纪录。港口方面表示，自动化码头的"
    "投入使用大大提高了装卸效率。",
    "业内人士认为，跨境电商和新能源汽车出口是拉动增长的主要因素。港口计划明年继续扩建堆场，并增开"
    "通往东南亚和南美的航线。",
    "不过也有专家提醒，全球航运价格波动较大，港口企业需要做好应对需求放缓的准备。",
]


def page(title: str, paragraphs: list[str], lang: str | None, site_name: str = "Обозреватель",
         published: datetime | None = None) -> str:
    """An article page as an outlet serves it; ``lang`` None: the page names no language."""
    from html import escape

    when = (published or datetime(2026, 11, 10, 9)).isoformat()
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    attr = f' lang="{lang}"' if lang else ""
    return f"""<!DOCTYPE html>
<html{attr}><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta property="og:title" content="{escape(title)}">
<meta property="og:site_name" content="{escape(site_name)}">
<meta property="article:published_time" content="{when}Z">
</head><body><main><article><h1>{escape(title)}</h1>
{body}
</article></main></body></html>"""


def sample_article(link: str, title: str, paragraphs: list[str], published: datetime) -> SampleArticle:
    return SampleArticle(link=link, title=title, author="Анна Петрова", summary=paragraphs[0][:120],
                         body="\n\n".join(paragraphs), published=published)
