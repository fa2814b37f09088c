"""A server whose members share articles in several languages, through the fake Discord
with the real bot: a question in each language quotes the right paragraph of the right
article, by ``/ask`` and by a mention, and moderators set the server's languages in
``/admin config``, by code or by name."""

from __future__ import annotations

from dataclasses import dataclass

from index.ingest.paste import fingerprint
from index.models import ArticleDraft, Provenance
from index.search.sentences import split_sentences
from tests.e2e.test_bot import (
    ALICE,
    GUILD,
    MOD,
    NEWS,
    ON_SQLITE_ONLY,
)
from tests.e2e.test_search import ask, mention_answer, quotes, sources
from tests.support.fake_discord import EPHEMERAL, FakeDiscord


@dataclass(frozen=True)
class Story:
    """A pasted article, a question for /ask and one for a mention, and words of the
    paragraph that answers each."""

    language: str
    name: str
    title: str
    paragraphs: tuple[str, ...]
    url: str
    question: str
    answer: str
    mention_question: str
    mention_answer: str

    @property
    def paste(self) -> str:
        return "\n".join((self.title, *self.paragraphs, self.url)) + "\n"


ENGLISH = Story(
    "en",
    "English",
    "Wildfire forces thousands from their homes",
    (
        "A fast-moving wildfire swept through the dry hills north of the valley on Sunday, "
        "forcing more than six thousand residents to leave as strong winds pushed the "
        "flames toward three small towns.",
        "Fire crews said forty-two houses and a primary school were destroyed before the "
        "wind eased in the evening, and several barns and vehicles were lost on the "
        "outlying farms.",
        "The regional water authority warned that the reservoirs supplying the area are at "
        "their lowest level in a decade, and asked residents who stayed behind to limit "
        "their use of garden hoses.",
        "Evacuation centres opened at the county fairground and in two high schools, where "
        "volunteers handed out blankets, hot meals and food for pets.",
    ),
    "https://valley.example/wildfire",
    "How many houses did the wildfire destroy?",
    "forty-two houses",
    "Where did the evacuation centres open?",
    "county fairground",
)
GERMAN = Story(
    "de",
    "German",
    "Warnstreik legt den Nahverkehr in Leipzig lahm",
    (
        "Seit den frühen Morgenstunden fahren in Leipzig keine Straßenbahnen und Busse "
        "mehr. Die Gewerkschaft hat die Beschäftigten der städtischen Verkehrsbetriebe zu "
        "einem ganztägigen Ausstand aufgerufen.",
        "Die Gewerkschaft fordert für die rund dreitausend Beschäftigten eine "
        "Lohnerhöhung von acht Prozent und eine kürzere Wochenarbeitszeit. Die Arbeitgeber "
        "haben bisher nur drei Prozent angeboten.",
        "Viele Pendler stiegen auf das Fahrrad um oder bildeten Fahrgemeinschaften. Auf "
        "den Einfallstraßen bildeten sich lange Staus, und die Parkhäuser in der "
        "Innenstadt waren schon am Vormittag voll.",
        "Die nächste Verhandlungsrunde ist für den kommenden Donnerstag angesetzt. Sollte "
        "es keine Einigung geben, droht die Gewerkschaft mit einem unbefristeten Streik.",
    ),
    "https://sachsen.example/warnstreik",
    "Wie viel Lohnerhöhung fordert die Gewerkschaft?",
    "acht Prozent",
    "Wann ist die nächste Verhandlungsrunde?",
    "kommenden Donnerstag",
)
SPANISH = Story(
    "es",
    "Spanish",
    "Las Canarias baten su récord de visitantes",
    (
        "Las Islas Canarias recibieron más de cuatro millones de turistas entre junio y "
        "septiembre, la cifra más alta de su historia, según los datos publicados este "
        "martes por el Instituto Canario de Estadística.",
        "Los visitantes británicos y alemanes siguen siendo los más numerosos, aunque el "
        "mayor crecimiento se registró entre los viajeros procedentes de Polonia y de los "
        "países nórdicos.",
        "Las asociaciones de vecinos de Tenerife convocaron una manifestación para pedir "
        "límites al alquiler vacacional, que según ellos ha encarecido la vivienda para "
        "los residentes.",
        "El cabildo anunció que cobrará una tasa de cinco euros por persona para acceder "
        "al parque nacional del Teide a partir del próximo año.",
    ),
    "https://islas.example/turismo",
    "¿Cuánto será la tasa para acceder al Teide?",
    "cinco euros",
    "¿De qué países llegaron más viajeros nuevos?",
    "Polonia",
)
FRENCH = Story(
    "fr",
    "French",
    "Grève des contrôleurs aériens dans le sud de la France",
    (
        "Une grève des contrôleurs aériens a fortement perturbé le trafic dans le sud du "
        "pays ce jeudi. La direction générale de l'aviation civile avait demandé aux "
        "compagnies de réduire leurs programmes.",
        "À l'aéroport de Marseille-Provence, quatre cent vingt vols ont été annulés et des "
        "milliers de passagers se sont retrouvés bloqués dans les terminaux pendant toute "
        "la journée.",
        "Les syndicats dénoncent le manque d'effectifs et des équipements vieillissants "
        "dans les centres de contrôle. Ils réclament le recrutement de nouveaux agents "
        "d'ici deux ans.",
        "Le ministre des Transports a appelé à la reprise du dialogue et promis une réunion "
        "avec les représentants du personnel avant la fin du mois.",
    ),
    "https://provence.example/greve",
    "Combien de vols ont été annulés à l'aéroport de Marseille ?",
    "quatre cent vingt vols",
    "Que réclament les syndicats ?",
    "recrutement de nouveaux agents",
)
RUSSIAN = Story(
    "ru",
    "Russian",
    "Москву накрыл сильнейший за полвека снегопад",
    (
        "За сутки в Москве выпало больше половины месячной нормы осадков. Синоптики "
        "называют этот снегопад самым сильным за последние пятьдесят лет.",
        "Коммунальные службы вывели на улицы более десяти тысяч единиц снегоуборочной "
        "техники. Дворники работали всю ночь, расчищая тротуары и остановки "
        "общественного транспорта.",
        "В аэропортах Шереметьево и Внуково задержали или отменили около двухсот рейсов. "
        "Пассажиров просят заранее уточнять время вылета на сайтах авиакомпаний.",
        "Мэрия рекомендовала жителям по возможности отказаться от поездок на личных "
        "автомобилях и пользоваться метро, которое работает в усиленном режиме.",
    ),
    "https://stolitsa.example/sneg",
    "Сколько снегоуборочной техники вывели на улицы?",
    "десяти тысяч единиц",
    "Сколько рейсов отменили в аэропортах?",
    "около двухсот рейсов",
)
CHINESE_FARE = "乘坐二十号线的票价与其他线路相同，起步价为两元"
CHINESE = Story(
    "zh",
    "Chinese",
    "深圳开通首条全自动驾驶地铁线路",
    (
        "深圳地铁二十号线一期工程于本周六正式开通运营。这是深圳第一条采用全自动驾驶技术的"
        "地铁线路，列车上不再配备司机，由控制中心统一调度。",
        # Longer than a quote (600 characters), so that a quote of it is a run of its
        # sentences: it must end where one of them does.
        "二十号线全长约八点四公里，共设五座车站，连接机场北站与会展城站。工程于四年前动工，"
        "建设者克服了软土地基和地下管线密集等多项困难。线路采用八节编组的大运量列车，每列车"
        "最多可以搭载两千多名乘客。列车最高运行速度达到每小时一百公里，单程全程只需要十几分"
        "钟。全自动运行系统可以自动完成列车的唤醒、出库、进站、停车、开关车门和回库等全部"
        "作业。控制中心的工作人员通过大屏幕实时监控每一列车的运行状态。一旦发生故障，系统会"
        "在几秒钟内发出警报，并自动采取相应的安全措施。车站内设置了智能客服机器人，可以为乘"
        "客提供问询、导航和购票等服务。每座车站都配备了无障碍电梯和盲道，方便老年人和残障人"
        "士出行。站台上安装了全高的屏蔽门，可以有效防止乘客跌落轨道。车厢内的座椅、扶手和照"
        "明都经过重新设计，乘坐体验更加舒适。"
        f"{CHINESE_FARE}，市民可以使用深圳通卡或者手机扫码乘车。"
        "运营时间为每天早上六点半至晚上十一点，高峰时段的行车间隔约为六分钟。地铁公司表示，"
        "开通初期将安排工作人员在列车上值守，以便应对突发情况。随着客流逐步增加，公司将根据"
        "实际需要调整列车的运行图。会展城站与周边的国际会展中心直接相连，大型展会期间将加开"
        "临时列车。机场北站可以与机场的航站楼实现换乘，旅客出行将更加便利。二十号线二期工程"
        "目前正在进行前期规划，预计将向北延伸至东莞方向。专家认为，全自动驾驶技术能够提高列"
        "车运行的准点率，同时降低长期的运营成本。市交通部门表示，未来新建的地铁线路将优先考"
        "虑采用这一技术。",
        "市民对新线路反应热烈。开通首日，不少市民专程前来体验无人驾驶列车，车站内排起了长"
        "队。一些家长带着孩子坐在列车最前排，透过玻璃观看前方的隧道。",
    ),
    "https://shenzhen.example/metro",
    "乘坐二十号线的票价是多少？",
    "起步价为两元",
    "开通首日市民有什么反应？",
    "排起了长队",
)
STORIES = (ENGLISH, GERMAN, SPANISH, FRENCH, RUSSIAN, CHINESE)


async def share_file(fake: FakeDiscord, story: Story) -> dict:
    """Post ``story`` as Discord's ``message.txt`` (what a long paste becomes), and wait
    until it is indexed."""
    attachment = fake.add_attachment("message.txt", story.paste.encode(), None)
    message = await fake.user_message(GUILD, NEWS, ALICE, "", attachments=[attachment])
    await fake.wait_for_reaction(int(message["id"]), "✅")
    return message


async def admin_config(fake: FakeDiscord, options: dict | None = None) -> str:
    interaction = await fake.slash(GUILD, NEWS, MOD, "admin config", options)
    reply = await fake.wait_for_reply(interaction)
    assert int(reply.get("flags") or 0) & EPHEMERAL
    return reply["content"]


async def suggestions(fake: FakeDiscord, option: str, typed: str) -> list[dict]:
    typing = await fake.autocomplete(
        GUILD, NEWS, MOD, "admin config", {option: typed}, focused=option
    )
    return (await fake.wait_for_response(typing)).choices


def plain(quote: str) -> str:
    """A quote's words: without the block-quote mark, the ellipses of trimmed text and
    Discord's escapes."""
    return quote.removeprefix("> ").removeprefix("… ").removesuffix(" …").replace("\\", "")


async def test_questions_in_each_language_quote_the_answering_paragraph(fake, bot):
    for story in STORIES:
        await share_file(fake, story)
    indexed = await bot.engine.list_articles(GUILD, offset=0, limit=10)
    assert {a.source_url: a.language for a in indexed} == {s.url: s.language for s in STORIES}

    for story in STORIES:
        asked = await ask(fake, {"question": story.question})
        assert sources(asked)[0] == story.url, (story.name, asked)
        assert story.answer in plain(quotes(asked)[0]), (story.name, quotes(asked)[0])

        mentioned = await mention_answer(fake, story.mention_question)
        assert sources(mentioned)[0] == story.url, (story.name, mentioned)
        assert story.mention_answer in plain(quotes(mentioned)[0]), story.name

    listed = await fake.slash(GUILD, NEWS, MOD, "admin articles list")
    listing = (await fake.wait_for_reply(listed))["content"]
    for story in STORIES:
        line = next(line for line in listing.splitlines() if story.url in line)
        assert f" · {story.name} · " in line


@ON_SQLITE_ONLY
async def test_a_long_chinese_paragraph_is_quoted_in_whole_sentences(fake, bot):
    await share_file(fake, CHINESE)
    reply = await ask(fake, {"question": CHINESE.question, "results": 1})
    (quote,) = quotes(reply)
    assert CHINESE_FARE in quote
    # The quote is cut out of the long paragraph on both sides, at its sentence ends.
    assert quote.startswith("> … ") and quote.endswith(" …")
    quoted = plain(quote)
    assert quoted.endswith("。")
    paragraph_sentences = split_sentences(CHINESE.paragraphs[1])
    assert quoted in CHINESE.paragraphs[1]
    assert split_sentences(quoted)[0] in paragraph_sentences
    assert split_sentences(quoted)[-1] in paragraph_sentences


@ON_SQLITE_ONLY
async def test_a_moderator_sets_the_languages_by_code_or_name(fake, bot):
    shown = await admin_config(fake)
    assert "main language: English · other languages: none" in shown

    saved = await admin_config(fake, {"language": "german", "languages": "fr, Spanish; pt-BR"})
    assert saved.startswith("Saved.")
    assert "main language: German · other languages: French, Spanish, Portuguese" in saved
    config = await bot.engine.guild_config(GUILD)
    assert (config.language, config.languages) == ("de", ("fr", "es", "pt"))
    (entry, *_) = await bot.engine.audit_entries(GUILD)
    assert entry.action == "config" and '"language": "de"' in entry.detail

    # The main language is not listed among the others as well.
    switched = await admin_config(fake, {"language": "fr"})
    assert "main language: French · other languages: Spanish, Portuguese" in switched
    cleared = await admin_config(fake, {"languages": "none"})
    assert "main language: French · other languages: none" in cleared


@ON_SQLITE_ONLY
async def test_languages_not_understood_are_named_and_nothing_is_saved(fake, bot):
    refused = await admin_config(fake, {"language": "de", "languages": "Spanish, Klingon, xx"})
    assert refused.startswith("Not a language I know: “Klingon”, “xx”.")
    assert "code such as de" in refused and "Spanish" not in refused
    two = await admin_config(fake, {"language": "German, French"})
    assert two.startswith("The main language is one language")
    for reply in (refused, two):
        assert "Error" not in reply and "Traceback" not in reply
    config = await bot.engine.guild_config(GUILD)
    assert (config.language, config.languages) == ("en", ())
    assert await bot.engine.audit_entries(GUILD) == []


@ON_SQLITE_ONLY
async def test_both_language_options_suggest_languages_by_name(fake, bot):
    main = await suggestions(fake, "language", "ger")
    assert {"name": "German (de)", "value": "de"} in main
    assert all("ger" in c["name"].lower() for c in main)

    others = await suggestions(fake, "languages", "German, fr")
    assert others[0] == {"name": "German, French", "value": "de, fr"}
    picked = await admin_config(fake, {"languages": others[0]["value"]})
    assert "other languages: German, French" in picked


async def test_reindex_reads_articles_stored_before_languages_were_kept_in_their_own(fake, bot):
    # Stored as every article was before languages were kept: read as English.
    draft = ArticleDraft(
        GERMAN.title,
        GERMAN.paragraphs,
        fingerprint(GERMAN.paragraphs),
        source_url=GERMAN.url,
        canonical_url=GERMAN.url,
    )
    await bot.engine.store.add_article(GUILD, draft, Provenance(poster_id=ALICE))

    interaction = await fake.slash(GUILD, NEWS, MOD, "admin reindex")
    reply = (await fake.wait_for_reply(interaction))["content"]
    paragraphs = len(GERMAN.paragraphs)
    assert reply == (
        f"Re-indexed {paragraphs} paragraphs. 1 article shared before languages were told "
        "apart is now read in its own."
    )
    asked = await ask(fake, {"question": GERMAN.question})
    assert sources(asked)[0] == GERMAN.url
    assert GERMAN.answer in plain(quotes(asked)[0])

    again = await fake.slash(GUILD, NEWS, MOD, "admin reindex")
    assert (await fake.wait_for_reply(again))["content"] == f"Re-indexed {paragraphs} paragraphs."
