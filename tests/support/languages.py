"""Short news articles in several languages, with a question each whose answer is in one
known paragraph: for the engine's and the analyser's tests in every language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    language: str
    title: str
    paragraphs: tuple[str, ...]
    question: str
    answer_paragraph: int
    """Position of the paragraph that answers ``question``."""
    answer_words: str
    """Words of that paragraph a quote of it shows."""

    @property
    def paste(self) -> str:
        return "\n".join((self.title, *self.paragraphs))


GERMAN = Sample(
    "de",
    "Hochwasser an der Elbe: Dresden sperrt die Altstadt",
    (
        "Nach tagelangem Regen ist der Pegel der Elbe in Dresden auf über sieben Meter "
        "gestiegen. Die Stadtverwaltung hat die Altstadt am Dienstagmorgen für den "
        "Autoverkehr gesperrt und rät Anwohnern, Keller und Tiefgaragen zu räumen.",
        "Die Feuerwehr hat in der Nacht mehr als zwölftausend Sandsäcke an den Ufern "
        "verbaut. Freiwillige Helfer aus den umliegenden Gemeinden unterstützen die "
        "Einsatzkräfte bei der Sicherung der Deiche.",
        "Der Deutsche Wetterdienst erwartet für das Wochenende trockeneres Wetter. Die "
        "Bahn meldet Verspätungen auf der Strecke zwischen Dresden und Prag, weil ein "
        "Bahndamm unterspült wurde.",
    ),
    "Wie viele Sandsäcke hat die Feuerwehr verbaut?",
    1,
    "zwölftausend Sandsäcke",
)

SPANISH = Sample(
    "es",
    "Sequía en Andalucía: los embalses bajan al veinte por ciento",
    (
        "Los embalses de Andalucía se encuentran al veinte por ciento de su capacidad, el "
        "nivel más bajo registrado en tres décadas, según datos publicados este lunes por "
        "la Junta.",
        "Los agricultores de Almería han reducido el riego de los invernaderos y temen "
        "perder buena parte de la cosecha de tomates y pimientos de este otoño.",
        "El gobierno regional aprobó ayudas de cuarenta millones de euros para construir "
        "nuevas plantas desaladoras en la costa de Málaga y Cádiz.",
    ),
    "¿Cuánto dinero aprobó el gobierno para las plantas desaladoras?",
    2,
    "cuarenta millones de euros",
)

RUSSIAN = Sample(
    "ru",
    "В Новосибирске открылась новая станция метро",
    (
        "В Новосибирске после десяти лет строительства открылась станция метро «Спортивная». "
        "Первыми пассажирами стали студенты и жители соседних районов.",
        "Строительство обошлось городскому бюджету в четыре миллиарда рублей. Мэр города "
        "пообещал, что следующая станция будет открыта через три года.",
        "Станция оформлена в спортивном стиле: на стенах изображены хоккеисты, лыжники и "
        "футболисты, а в вестибюле установлены большие табло с расписанием поездов.",
    ),
    "Во сколько обошлось строительство станции?",
    1,
    "четыре миллиарда рублей",
)

CHINESE = Sample(
    "zh",
    "长江流域遭遇罕见干旱",
    (
        "今年夏天，长江流域遭遇六十年来最严重的干旱。多个省份的气温连续数周超过四十度。",
        "四川省的水力发电量下降了一半，许多工厂被迫停产，城市的商场也缩短了营业时间。",
        "气象部门表示，九月中旬以后降雨将逐渐增加，旱情有望得到缓解。农民们正在抓紧时间抢救秋季作物。",
    ),
    "四川的水力发电量下降了多少？",
    1,
    "水力发电量下降了一半",
)

ARABIC = Sample(
    "ar",
    "افتتاح أكبر محطة للطاقة الشمسية في المغرب",
    (
        "افتتحت الحكومة المغربية يوم الخميس أكبر محطة للطاقة الشمسية في البلاد قرب مدينة "
        "ورزازات، بحضور عدد من الوزراء والمستثمرين الأجانب.",
        "تنتج المحطة خمسمائة ميغاواط من الكهرباء، وهو ما يكفي لتزويد أكثر من مليون منزل "
        "بالطاقة النظيفة طوال العام.",
        "وقال وزير الطاقة إن المغرب يسعى إلى إنتاج نصف حاجته من الكهرباء من مصادر متجددة "
        "بحلول عام ألفين وثلاثين.",
    ),
    "كم ميغاواط تنتج المحطة الشمسية؟",
    1,
    "خمسمائة ميغاواط",
)

ENGLISH = Sample(
    "en",
    "Wildfire near the coast forces evacuations",
    (
        "A wildfire driven by strong winds forced the evacuation of three coastal towns on "
        "Sunday, fire officials said.",
        "More than nine hundred firefighters were sent to the area, backed by eleven water "
        "bombing aircraft that flew through the night.",
        "Officials said the cause of the fire was still under investigation and asked "
        "residents to stay away from the closed roads.",
    ),
    "How many firefighters were sent to the fire?",
    1,
    "nine hundred firefighters",
)

SAMPLES = (ENGLISH, GERMAN, SPANISH, RUSSIAN, CHINESE, ARABIC)
