"""Languages as moderators type them in the settings: codes or English names.

A moderator writes "de", "pt-BR" or "German" (any case, accents optional); the engine
wants ISO 639-1 codes it knows (``index.search.languages``). This module reads one
language or a comma-separated list of them, says which words were not understood, names
codes back in English for the settings summary and article lists, and suggests
languages while an option is typed. It knows nothing of Discord: the suggestions are
plain (name, value) pairs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from index.guild_config import GuildConfig
from index.search.languages import NAMES, fold_accents, known, normalise_code

CLEAR_WORDS = frozenset({"none", "-"})
"""What clears the list of other languages (besides leaving the value empty)."""
EXAMPLES = "a code such as de or pt, or an English name such as German"
SUGGESTION_LIMIT = 100
"""Characters of a suggestion's name and of its value (Discord's limit for both)."""

_SEPARATORS = re.compile(r"[,;]+")
_CODE_IN_BRACKETS = re.compile(r"(?P<name>.*?)\s*\((?P<code>[^()]*)\)\s*")


class UnknownLanguages(ValueError):
    """Some of what was typed names no language a setting may name."""

    def __init__(self, unknown: Sequence[str]) -> None:
        self.unknown = tuple(unknown)
        listed = ", ".join(f"“{word}”" for word in self.unknown)
        super().__init__(f"Not a language I know: {listed}. Use {EXAMPLES}.")


class NotOneLanguage(ValueError):
    """The main language was given as a list, or as nothing."""


def _folded(text: str) -> str:
    return fold_accents(" ".join(text.split()).casefold())


_CODES_BY_NAME: dict[str, str] = {_folded(name): code for code, name in NAMES.items()}


def language_name(code: str) -> str:
    """The English name of ``code`` ("de" -> "German"); an unlisted code as it is."""
    return NAMES.get(code, code)


def names(codes: Iterable[str], empty: str = "none") -> str:
    """``("de", "fr")`` -> "German, French"; ``empty`` when there are none."""
    return ", ".join(language_name(code) for code in codes) or empty


def language_code(text: str) -> str | None:
    """The code of one language typed as a code ("de", "PT-br") or an English name
    ("german", "Norwegian Bokmal"), or as a suggestion shows it ("German (de)"); None
    when it names no language a setting may name."""
    text = " ".join(text.split())
    if not text:
        return None
    bracketed = _CODE_IN_BRACKETS.fullmatch(text)
    if bracketed:
        return language_code(bracketed["code"]) or language_code(bracketed["name"])
    code = normalise_code(text)
    if code is not None and known(code):
        return code
    return _CODES_BY_NAME.get(_folded(text))


def parse_language(text: str) -> str:
    """The main language: exactly one. Raises ``UnknownLanguages`` or ``NotOneLanguage``."""
    items = [item.strip() for item in _SEPARATORS.split(text) if item.strip()]
    one = len(items) == 1 and _folded(items[0]) not in CLEAR_WORDS
    codes = parse_languages(items[0]) if one else ()
    if len(codes) != 1:
        raise NotOneLanguage(
            f"The main language is one language, {EXAMPLES}; the others go in languages."
        )
    return codes[0]


def parse_languages(text: str) -> tuple[str, ...]:
    """The codes of a comma-separated list of languages, in order, without repeats; ()
    for an empty value or "none". Items without commas between them are read too when
    each word is a language ("de fr"). Raises ``UnknownLanguages`` naming every item
    that is not one."""
    if _folded(text) in CLEAR_WORDS | {""}:
        return ()
    codes: list[str] = []
    unknown: list[str] = []
    for item in _SEPARATORS.split(text):
        item = " ".join(item.split())
        if not item:
            continue
        code = language_code(item)
        if code is not None:
            codes.append(code)
            continue
        words = [language_code(word) for word in item.split()]
        if len(words) > 1 and all(words):
            codes.extend(word for word in words if word)
        else:
            unknown.append(item)
    if unknown:
        raise UnknownLanguages(unknown)
    return tuple(dict.fromkeys(codes))


def language_changes(
    current: GuildConfig, language: str | None, languages: str | None
) -> dict[str, object]:
    """The settings a moderator's ``language`` (the main one) and ``languages`` (the
    others) change, for ``GuildConfig``; None leaves a setting as it is. The main
    language is never listed among the others too. Raises ``UnknownLanguages`` or
    ``NotOneLanguage``."""
    changes: dict[str, object] = {}
    if language is not None:
        changes["language"] = parse_language(language)
    main = changes.get("language", current.language)
    others = parse_languages(languages) if languages is not None else current.languages
    others = tuple(code for code in others if code != main)
    if languages is not None or others != current.languages:
        changes["languages"] = others
    return changes


def languages_line(config: GuildConfig) -> str:
    """The languages part of a settings summary."""
    main, others = language_name(config.language), names(config.languages)
    return f"main language: {main} · other languages: {others}"


def suggest_language(typed: str, limit: int = 25) -> list[tuple[str, str]]:
    """Suggestions for one language: ("German (de)", "de") pairs, the best first."""
    return [(f"{language_name(code)} ({code})", code) for code in _matching(typed)[:limit]]


def suggest_languages(typed: str, limit: int = 25) -> list[tuple[str, str]]:
    """Suggestions for a list while its last item is typed: the items before it are kept
    (those understood shown by name, valued by code) and the last is completed with
    each language that matches it and is not listed yet. "none" is offered first while
    nothing else is typed and it could be meant."""
    *before, last = _SEPARATORS.split(typed)
    shown: list[str] = []
    values: list[str] = []
    listed: set[str] = set()
    for item in before:
        item = " ".join(item.split())
        if not item:
            continue
        code = language_code(item)
        shown.append(language_name(code) if code else item)
        values.append(code or item)
        if code:
            listed.add(code)
    suggestions: list[tuple[str, str]] = []
    if not before and "none".startswith(_folded(last)):
        suggestions.append(("none (expect no other language)", "none"))
    for code in _matching(last):
        if code in listed:
            continue
        name = ", ".join([*shown, language_name(code)])
        value = ", ".join([*values, code])
        if len(name) <= SUGGESTION_LIMIT and len(value) <= SUGGESTION_LIMIT:
            suggestions.append((name, value))
    return suggestions[:limit]


def _matching(typed: str) -> list[str]:
    """Codes of the languages ``typed`` could be the start of, the likeliest first: the
    very code, names starting with it, codes starting with it, then names holding a word
    that starts with it. Everything, by name, when nothing is typed."""
    wanted = _folded(typed)
    if not wanted:
        return sorted(NAMES, key=NAMES.__getitem__)
    exact = language_code(typed)
    ranked: list[tuple[int, str, str]] = []
    for code, name in NAMES.items():
        folded = _folded(name)
        if code == exact:
            rank = 0
        elif folded.startswith(wanted):
            rank = 1
        elif code.startswith(wanted):
            rank = 2
        elif any(word.startswith(wanted) for word in folded.split()):
            rank = 3
        else:
            continue
        ranked.append((rank, name, code))
    return [code for _rank, _name, code in sorted(ranked)]
