"""Rendering engine results as plain terminal text. Pure functions: same input, same text.

Text from articles and posters is shown without control characters (a terminal would obey
escape sequences in it) or bidirectional overrides; titles, names and links on one line.
Links are printed bare, so terminals can open them. ``fit_to_width`` wraps for a terminal
by what the eye sees: colour codes take no room, wide characters take two columns, and a
wrapped line continues under the text it belongs to, not under its marker. The wording of
the messages the console and the command line share lives here, so they say the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

import wcwidth

from bot.languages import language_name
from index.ingest.textio import clean_text, one_line, shorten
from index.models import (
    Answer,
    ArticleInfo,
    GuildStats,
    GuildSummary,
    IngestOutcome,
    IngestResult,
    Passage,
    StoredParagraph,
)
from index.search.query import OPERATOR_HELP
from index.store.copy import CopyReport

BOLD = "\x1b[1m"
RESET = "\x1b[0m"
NO_ANSWER = "Nothing in the indexed articles answers that."
NO_WORDS = "That question has no words to search for. Try asking with a few more words."
NEWEST_FIRST = "Newest first."
SOURCE_LIMIT = 200  # a file path or link named in a message, cut past this
ALSO_IN_SHOWN = 3
"""Other articles named in an "also in" line; the rest are counted ("and 2 more")."""
LISTED_TITLE_LIMIT = 80
"""Characters of a title named in an "also in" or "as of" line."""
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def answer_text(answer: Answer, *, color: bool = False) -> str:
    """The passages of ``answer``, each quoted with its article, link, poster and date,
    under what the asker should know: the order, and notes on the question's operators."""
    heading = answer_heading(answer)
    if not answer.passages:
        found = NO_ANSWER if answer.terms else NO_WORDS
        return "\n".join([found, *heading])
    blocks = [
        passage_text(number, passage, color=color)
        for number, passage in enumerate(answer.passages, 1)
    ]
    return "\n\n".join(["\n".join(heading), *blocks] if heading else blocks)


def answer_heading(answer: Answer) -> list[str]:
    """Lines above an answer's passages: its order when not by relevance, and each note
    on the question's operators (an operator read as words, a filter nothing matched)."""
    lines = [NEWEST_FIRST] if answer.newest_first and answer.passages else []
    lines += [note_text(note) for note in answer.notes]
    return lines


def note_text(note: str) -> str:
    return f"Note: {_sentence(note)}"


def passage_text(number: int, passage: Passage, *, color: bool = False) -> str:
    article = passage.article
    quote = _marked(passage, color)
    if passage.trimmed_start:
        quote = "… " + quote
    if passage.trimmed_end:
        quote = quote + " …"
    lines = [f"[{number}] {one_line(article.title)}"]
    if article.source_url:
        lines.append(f"    {one_line(article.source_url)}")
    lines.append(
        f"    {quote_provenance(article)} · article #{article.id} · score {passage.score:.2f}"
    )
    lines.append(f"    > {quote}")
    if passage.also_in:
        lines.append(f"    {also_in_text(passage.also_in)}")
    if passage.newer is not None:
        lines.append(f"    {as_of_text(article, passage.newer)}")
    return "\n".join(lines)


def day_text(moment: datetime) -> str:
    """A day as people write it, the same in every locale: ``3 Dec 2026``."""
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def reported_text(article: ArticleInfo) -> str:
    """The date an article reports from, saying which: ``published 3 Dec 2026`` when its
    publication date is known, else ``shared 3 Dec 2026``."""
    published = article.published_at
    if published is not None:
        return f"published {day_text(published)}"
    return f"shared {day_text(article.posted_at)}"


def quote_provenance(article: ArticleInfo) -> str:
    """Under a quote: the date it reports from, saying which, and who shared it."""
    who = one_line(article.poster_name or "") or "someone"
    published = article.published_at
    if published is not None:
        return f"published {day_text(published)} · shared by {who}"
    return f"shared by {who} on {day_text(article.posted_at)}"


def listed_title(article: ArticleInfo) -> str:
    """An article named in a line about another: its number and its (short) title."""
    return f"#{article.id} {shorten(one_line(article.title), LISTED_TITLE_LIMIT)}"


def also_in_text(articles: Sequence[ArticleInfo]) -> str:
    """The other articles holding the same paragraph: the first few with their links,
    and how many more."""
    named = []
    for article in articles[:ALSO_IN_SHOWN]:
        link = f" {one_line(article.source_url)}" if article.source_url else ""
        named.append(listed_title(article) + link)
    more = len(articles) - len(named)
    return "also in: " + ", ".join(named) + (f", and {more} more" if more else "")


def as_of_text(article: ArticleInfo, newer: ArticleInfo) -> str:
    """The quote's date, and the newer article of the guild on the same story."""
    link = f" {one_line(newer.source_url)}" if newer.source_url else ""
    return (
        f"as of {day_text(article.reported_at)}; newer: {listed_title(newer)} "
        f"({reported_text(newer)}){link}"
    )


def _marked(passage: Passage, color: bool) -> str:
    if not color or not passage.highlights:
        return clean_text(passage.text)
    parts = []
    cursor = 0
    for start, end in passage.highlights:
        parts.append(clean_text(passage.text[cursor:start]))
        parts.append(f"{BOLD}{clean_text(passage.text[start:end])}{RESET}")
        cursor = end
    parts.append(clean_text(passage.text[cursor:]))
    return "".join(parts)


def _provenance(article: ArticleInfo) -> str:
    who = one_line(article.poster_name or "") or "someone"
    return f"shared by {who} on {article.posted_at:%Y-%m-%d}"


def ingest_text(result: IngestResult) -> str:
    article = result.article
    title = one_line(article.title)
    if result.status == "similar":
        return similar_text(article.id, title)
    if not result.added:
        return f"Already indexed as article #{article.id}: {title}"
    lines = [f"Added article #{article.id}: {title} ({article.paragraph_count} paragraphs)"]
    if article.source_url:
        lines.append(f"  source: {one_line(article.source_url)}")
    if article.note:
        lines.append(f"  note from the poster: {one_line(article.note)}")
    return "\n".join(lines)


def outcomes_text(outcomes: list[IngestOutcome]) -> str:
    lines = []
    for outcome in outcomes:
        if outcome.result is not None:
            lines.append(ingest_text(outcome.result))
        else:
            lines.append(refused_text(outcome.source, outcome.error or ""))
    return "\n".join(lines)


# -- messages the console and the command line share ---------------------------------


def similar_text(article_id: int, title: str) -> str:
    """An article not added because one already indexed has nearly the same words
    (``title`` made safe to show by the caller)."""
    return f"Looks like article #{article_id} (“{title}”), already indexed."


def operators_help_lines() -> list[str]:
    """The search operators a question may hold, one line each, and what they do."""
    width = max(len(syntax) for syntax, _ in OPERATOR_HELP)
    return [f"  {syntax:<{width}}  {meaning}" for syntax, meaning in OPERATOR_HELP]


def refused_text(source: str, reason: str) -> str:
    """A file, link or paste that was not indexed, and why."""
    return f"{one_line(shorten(source, SOURCE_LIMIT))}: not indexed: {_sentence(reason)}"


def unreadable_text(source: str, reason: str) -> str:
    """A file that could not be opened (``reason`` as the system words it)."""
    return f"{one_line(shorten(source, SOURCE_LIMIT))}: cannot read it: {_sentence(reason)}"


def not_found_text(article_id: int) -> str:
    return f"There is no article #{article_id} in this server."


def removed_text(article: ArticleInfo) -> str:
    return f"Removed article #{article.id}: {one_line(article.title)}"


def database_error_text(reason: str) -> str:
    # No full stop added: the reason often ends in a path, which must stay copyable.
    return f"Database error: {one_line(reason)}"


def _sentence(reason: str) -> str:
    """``reason`` on one line, ending with one full stop."""
    return one_line(reason).rstrip(".") + "."


# -- articles ------------------------------------------------------------------------


def article_entry(article: ArticleInfo) -> str:
    """The article's number, title, size and provenance; its link on the line below."""
    number = f"#{article.id:<4} "
    lines = [
        f"{number}{one_line(article.title)} · {article.paragraph_count} paragraphs · "
        f"{language_name(article.analysis_language)} · {_provenance(article)}"
    ]
    if article.source_url:
        lines.append(" " * len(number) + one_line(article.source_url))
    return "\n".join(lines)


def articles_text(articles: Sequence[ArticleInfo]) -> str:
    if not articles:
        return "No articles are indexed yet."
    return "\n".join(article_entry(article) for article in articles)


def article_text(article: ArticleInfo, paragraphs: Sequence[StoredParagraph]) -> str:
    """One article in full: its entry, the poster's note, then its numbered paragraphs."""
    lines = [article_entry(article)]
    if article.note:
        indent = " " * len(f"#{article.id:<4} ")
        lines.append(f"{indent}note from the poster: {one_line(article.note)}")
    digits = len(str(max((p.position + 1 for p in paragraphs), default=1)))
    if paragraphs:
        lines.append("")
    lines += [f"  {p.position + 1:>{digits}}. {one_line(p.text)}" for p in paragraphs]
    return "\n".join(lines)


def stats_text(stats: GuildStats) -> str:
    last = f"{stats.last_ingest:%Y-%m-%d %H:%M} UTC" if stats.last_ingest else "never"
    return (
        f"articles: {stats.articles}\n"
        f"paragraphs: {stats.paragraphs}\n"
        f"index: {index_state(stats)}\n"
        f"questions answered: {stats.questions_answered}\n"
        f"last ingest: {last}"
    )


def index_state(stats: GuildStats) -> str:
    """Whether the guild's index is in memory, with its size and terms when it is. A
    process that only reports (``python -m bot stats``) never loads it."""
    if stats.index_bytes is None:
        return "not in memory (loaded on the next question)"
    terms = f", {stats.vocabulary:,} distinct terms" if stats.vocabulary is not None else ""
    return f"in memory, {byte_size(stats.index_bytes)}{terms}"


def byte_size(count: int) -> str:
    """``count`` bytes for people: 512 bytes, 820.0 KiB, 12.4 MiB, 1.5 GiB."""
    if count < 1024:
        return f"{count} bytes"
    size, unit = count / 1024, "KiB"
    for larger in ("MiB", "GiB"):
        if size < 1024:
            break
        size, unit = size / 1024, larger
    return f"{size:.1f} {unit}"


# -- operators: guilds and copies between stores ------------------------------------


def guilds_text(summaries: Sequence[GuildSummary]) -> str:
    """A table of the guilds with articles: their counts and last ingest."""
    if not summaries:
        return "No guild has any articles yet."
    lines = [f"{'guild':<20} {'articles':>9} {'paragraphs':>11}  last ingest"]
    for summary in summaries:
        last = f"{summary.last_ingest:%Y-%m-%d %H:%M} UTC" if summary.last_ingest else "never"
        lines.append(
            f"{summary.guild_id:<20} {summary.articles:>9} {summary.paragraphs:>11}  {last}"
        )
    return "\n".join(lines)


def copy_progress_text(table: str, rows: int) -> str:
    return f"  {table}: {rows} row{'' if rows == 1 else 's'} copied"


def copy_report_text(report: CopyReport) -> str:
    """The guilds a copy holds and the word that it was checked."""
    checked = f"Verified: every table of the copy holds the rows of {report.source}"
    guilds = len(report.guilds)
    if guilds == 1:
        checked += ", and the guild has the same articles and paragraphs in both."
    elif guilds:
        checked += (
            f", and each of the {guilds} guilds has the same articles and paragraphs in both."
        )
    else:
        checked += "."
    lines = [f"Copied {report.source} to {report.target}:", guilds_text(report.guilds), checked]
    return "\n".join(lines)


# -- the terminal --------------------------------------------------------------------

# What a wrapped line continues under: a quote "> ", a passage "[1] ", a numbered
# paragraph "12. " or an article number "#3    ", after the line's own indent.
_HANGING = re.compile(r"(?P<indent>[ ]*)(?P<marker>> |\[\d+\] |\d+\. |#\d+ +)?")
NARROWEST = 20


def color_wanted(environ: Mapping[str, str], is_terminal: bool) -> bool:
    """Colour only on a terminal that can show it, and never when ``NO_COLOR`` is set
    (to anything but an empty string, as no-color.org asks) or ``TERM`` is ``dumb``."""
    return is_terminal and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


def visible_width(text: str) -> int:
    """Terminal columns ``text`` takes: escape sequences none, wide characters two."""
    return wcwidth.width(text)


def fit_to_width(text: str, width: int | None) -> str:
    """``text`` with each line wrapped to ``width`` columns (unchanged when None).

    Lines break between words only, so links stay whole; a continuation is indented to
    where the line's text starts after its indent and marker; bold carries over a break.
    """
    if not width:
        return text
    return "\n".join(_fit_line(line, max(width, NARROWEST)) for line in text.split("\n"))


def _fit_line(line: str, width: int) -> str:
    if visible_width(line) <= width:
        return line
    hanging = _HANGING.match(line)
    assert hanging is not None  # every part of the pattern is optional
    lead = hanging.group(0)
    continuation = " " * len(lead)  # the indent and markers are ASCII
    if width - len(continuation) < NARROWEST // 2:
        continuation = hanging.group("indent")
    wrapped = wcwidth.wrap(
        line[len(lead) :],
        width,
        initial_indent=lead,
        subsequent_indent=continuation,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\n".join(wrapped) if wrapped else line
