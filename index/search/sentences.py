"""Cutting text into sentences, in every script, for quoting.

A snippet quotes whole sentences around the matched words, so the rule must hold in
every language the articles are written in, not only in English (the re-ordering keeps
its own simpler cut, measured in ``rerank``):

- ``.``, ``!`` and ``?`` end a sentence only before whitespace and then the start of
  another: a capital letter of any script (Latin, Cyrillic, Greek, ...), a digit, or a
  letter of a script without capitals (Arabic, Hebrew, Devanagari, Korean), after an
  optional opening quote or bracket ("«", "„", "¿" too). A full stop in a number
  ("3.5"), before a lower-case word ("U.S. officials"), after an abbreviation ("Gen.
  Alvarez") or an initial ("J. Smith") ends nothing. Inside Chinese or Japanese text it
  ends nothing either: those are written with their own full stop, and a Latin one
  among them belongs to a number, a name or a link; only one after a word of another
  script ends that sentence ("The talks ended. 会谈结束了。").
- The full stops of scripts that have their own are unambiguous, so they end a sentence
  with or without a space after them: Chinese and Japanese "。！？" (and the half-width
  "｡"), Arabic-script "؟" and "۔", Devanagari "।" and "॥", Armenian "։", Ethiopic "።"
  and "፧", Myanmar "။", Khmer "។". A quotation that ends with one and goes straight on
  with a letter ("「行こう。」と彼は言った。", "“好。”他说。") is part of the sentence
  around it.

Closing quotes and brackets after the stop stay with their sentence; the whitespace
between sentences belongs to neither. Greek asks with ";" and Thai marks sentences with
spaces only: those are not split (a sentence too long to quote is cut between words).
"""

from __future__ import annotations

import regex

_ENDERS = "。！？｡؟۔।॥։።፧။។"
"""Full stops of scripts that have their own: they end a sentence wherever they stand."""
_OPENING = "\"'“‘«„‹(\\[¿¡"
_CLOSING = "\"'”’»›)\\]"
_CLOSING_AFTER_ENDER = _CLOSING + "」』）】〕〉》〗〙〛］｝"
_CHINESE_OR_JAPANESE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")

_BREAK = regex.compile(
    # . ! or ? with any closing quotes, whitespace, then what starts a sentence.
    rf"(?P<stop>(?<=[.!?])[{_CLOSING}]*\s+"
    rf"(?=[{_OPENING}]?(?P<next>[\p{{Lu}}\p{{Lt}}\p{{Nd}}\p{{Lo}}])))"
    # A script's own full stop (a run of them, "？！", "؟!"), its closing quotes, and any
    # whitespace.
    rf"|[{_ENDERS}][{_ENDERS}.!?]*(?P<closing>[{_CLOSING_AFTER_ENDER}]*)(?P<space>\s*)"
)
_WORD_START = regex.compile(r"[\p{L}\p{N}]")
# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof gen sen rep gov lt col sgt capt cmdr adm maj st jr sr inc co corp
    ltd no vs etc e.g i.e u.s u.k u.n a.m p.m jan feb mar apr jun jul aug sep sept oct
    nov dec fig est approx dept univ
    """.split()
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``, in order; none is empty, and a
    sentence's span leaves out the whitespace after it."""
    spans = []
    start = 0
    for match in _BREAK.finditer(text):
        if match.group("stop") is not None:
            goes_on = _stop_goes_on(text, start, match)
        else:
            goes_on = _quotation_goes_on(text, match)
        if goes_on:
            continue
        spans.append((start, match.start() + len(match.group().rstrip())))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [(s, e) for s, e in spans if e > s]


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (``sentence_spans``), as strings."""
    return [text[start:end] for start, end in sentence_spans(text)]


def _stop_goes_on(text: str, start: int, match: regex.Match[str]) -> bool:
    """Whether the ``.``, ``!`` or ``?`` before ``match`` ends no sentence: it follows an
    abbreviation or an initial ("No. 5" goes on; "voters said no." ends), or it stands
    in Chinese or Japanese text."""
    # The word before the break, read backwards from it, so that a long run of
    # abbreviations costs time in proportion to its length, not to its square.
    word_start = match.start()
    while word_start > start and not text[word_start - 1].isspace():
        word_start -= 1
    last_word = text[word_start : match.start()].rstrip(".").lower()
    if _CHINESE_OR_JAPANESE.match(match.group("next")) and _CHINESE_OR_JAPANESE.search(last_word):
        return True
    if last_word == "no":
        return text[match.end() : match.end() + 1].isdigit()
    return last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha())


def _quotation_goes_on(text: str, match: regex.Match[str]) -> bool:
    """Whether the script's own full stop of ``match`` ends a quotation inside a sentence:
    closing quotes follow it and a word straight after them ("「行こう。」と")."""
    return (
        bool(match.group("closing"))
        and not match.group("space")
        and (_WORD_START.match(text, match.end()) is not None)
    )
