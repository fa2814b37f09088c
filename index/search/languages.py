"""The languages the analyser knows: for each, its Snowball stemmer and its stop words.

A language is named by its ISO 639-1 code ("de", "zh"), the code pages declare in
``<html lang>`` and the detector (``index.ingest.language``) answers. Every code the
detector can answer is a language here: those Snowball covers (PyStemmer's about 30)
are stemmed, the others are only lower-cased and folded; each has the stop words of the
``stop-words`` package where it lists them. English keeps its own list
(``stopwords.ENGLISH_STOP_WORDS``) and its own order of steps, as before.

Scripts written without spaces (Chinese, Japanese, Korean, Thai and their neighbours)
are not a language's business: the analyser cuts them into character pairs in every
language (``analyzer``), so a Chinese name in an English article is found too.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import metadata

from stop_words import LANGUAGE_MAPPING, StopWordError, get_stop_words

from index.search.stopwords import ENGLISH_STOP_WORDS

ENGLISH = "en"
DEFAULT_LANGUAGE = ENGLISH

SNOWBALL: dict[str, str] = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian",
    "nn": "norwegian", "fa": "persian", "pl": "polish", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "st": "sesotho", "es": "spanish",
    "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip
"""ISO 639-1 code -> the Snowball algorithm PyStemmer names (those it has)."""

NAMES: dict[str, str] = {
    "af": "Afrikaans", "ar": "Arabic", "be": "Belarusian", "bg": "Bulgarian",
    "bn": "Bengali", "bs": "Bosnian", "ca": "Catalan", "cs": "Czech", "cy": "Welsh",
    "da": "Danish", "de": "German", "el": "Greek", "en": "English", "eo": "Esperanto",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "ga": "Irish", "gl": "Galician", "gu": "Gujarati", "he": "Hebrew",
    "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian",
    "id": "Indonesian", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada", "ko": "Korean",
    "lo": "Lao", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian",
    "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay",
    "my": "Burmese", "nb": "Norwegian Bokmål", "ne": "Nepali", "nl": "Dutch",
    "nn": "Norwegian Nynorsk", "no": "Norwegian", "pa": "Punjabi", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "si": "Sinhala",
    "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian", "sr": "Serbian",
    "st": "Sesotho", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu",
    "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu",
    "uz": "Uzbek", "vi": "Vietnamese", "yi": "Yiddish", "zh": "Chinese",
}  # fmt: skip
"""The languages a guild can name in its settings, by code, with their English names.
Detected languages outside this list are analysed too (lower-cased and folded), but a
setting must name one a person would recognise."""


@dataclass(frozen=True, slots=True)
class Language:
    """How one language's words become terms (besides what every language shares)."""

    code: str
    stemmer: str | None
    """PyStemmer's algorithm, or None: words are kept as they are (lower-cased, folded)."""
    stop_words: frozenset[str]
    """Lower-cased, as the language writes them (accents kept)."""
    folded_stop_words: frozenset[str]
    """The same with accents folded, for questions typed without them."""

    @property
    def name(self) -> str:
        return NAMES.get(self.code, self.code)


def normalise_code(code: str | None) -> str | None:
    """The primary language code of a tag ("en-GB" -> "en", "zh_Hant" -> "zh"), lower
    case; None for an empty or malformed tag."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-", 1)[0].casefold()
    if not 2 <= len(primary) <= 3 or not primary.isascii() or not primary.isalpha():
        return None
    return primary


@cache
def language(code: str) -> Language:
    """The analyser's view of ``code`` (a normalised code; any code is accepted: an
    unknown one has no stemmer and no stop words)."""
    if code == ENGLISH:
        stops = ENGLISH_STOP_WORDS
    else:
        stops = frozenset(word.casefold() for word in _listed_stop_words(code))
    return Language(
        code=code,
        stemmer=SNOWBALL.get(code),
        stop_words=stops,
        folded_stop_words=frozenset(fold_accents(word) for word in stops),
    )


_STOP_WORD_CODES = {"no": "nb", "nn": "nb"}
"""Codes the stop-word lists know under another code."""


def _listed_stop_words(code: str) -> list[str]:
    code = _STOP_WORD_CODES.get(code, code)
    if code not in LANGUAGE_MAPPING:
        return []
    try:
        return get_stop_words(code, cache=False)
    except StopWordError:
        return []


def known(code: str) -> bool:
    """Whether a setting may name ``code``."""
    return code in NAMES


def settings_version() -> str:
    """What decides the terms besides the analyser's own code: the stop-word lists' and
    the stemmers' versions (a saved index made with others is rebuilt)."""
    return f"stop-words {metadata.version('stop-words')}; PyStemmer {metadata.version('PyStemmer')}"


def fold_accents(word: str) -> str:
    """Fold accents ("Nicolás" becomes "Nicolas") so a question typed without them matches."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )
