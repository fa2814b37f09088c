"""Answers as Discord messages: pure functions, within Discord's limits, pinging nobody.

Article text is shown as text: markdown, masked links and mentions in it are escaped,
so an article containing ``@everyone`` or ``[click](https://evil)`` renders literally.
Control characters and bidirectional overrides are dropped, so a title cannot hide or
reorder what it says, and titles and names are kept on one line.
Long passages are shortened at a word boundary, never through a word or a link.

Every other message that carries something a member or a web page wrote (a link, a file
name, a title, an option's value) is made with ``say``: the values are escaped, kept on
one line and cut so that the whole message fits ``MESSAGE_LIMIT``. Discord refuses a
longer message outright, so a notice that does not fit is a notice lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import discord
import regex

from bot.languages import language_name
from bot.render_text import (
    ALSO_IN_SHOWN,
    LISTED_TITLE_LIMIT,
    NEWEST_FIRST,
    day_text,
    index_state,
    note_text,
    reported_text,
    similar_text,
)
from index.ingest.textio import clean_text, one_line, shorten
from index.models import Answer, ArticleInfo, GuildStats, IngestOutcome, Passage
from index.search.query import OPERATOR_HELP

MESSAGE_LIMIT = 2000
"""Characters in a message's content."""
CHOICE_NAME_LIMIT = 100
"""Characters in an autocomplete suggestion's name."""
SHOWN_INPUT_LIMIT = 300
"""Characters of one value a member gave (a link, a name) shown inside the bot's words."""
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_TITLE_LIMIT = 256
EMBED_FOOTER_LIMIT = 2048
EMBEDS_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
EMBED_URL_LIMIT = 2000
SHOWN_LINK_LIMIT = 300
"""Longer links are left out of text messages, where they would crowd out the rest."""
NAME_LIMIT = 80
QUOTE_LIMIT = 1400
"""Characters of quoted text per passage: three passages stay well inside 6,000."""
LINES_BELOW_LIMIT = 600
"""Characters of the lines under a quote ("also in", "as of") per passage, at most."""
LISTED_LINK_LIMIT = 200
"""Longer links are left out of the lines under a quote (the article is named by number)."""
NOTE_LIMIT = 300
"""Characters of one note on the question shown above an answer."""
COLOUR = discord.Colour.blurple()
WORKING, ADDED, ALREADY, FAILED = "⏳", "✅", "🔁", "❌"
"""Reactions on a shared message: being indexed, indexed, already indexed, not indexed."""
NO_ANSWER = "I found nothing in this server's articles that answers that."
NO_TERMS = "That question has no words I can search for; try a few more words."

# Characters Discord reads as markdown, and "<" which starts mentions, channels and emoji;
# "#" and "-" only matter at the start of a line (headings, lists).
_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()<])|^([#-])", re.MULTILINE)
_MENTION = re.compile(r"@(everyone|here|[!&]?\d+)")
_ZERO_WIDTH = "\u200b"
# A Chinese or Japanese character or punctuation mark, not followed by a combining mark.
_BREAK_AFTER = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\u3000-\u303f\uff00-\uffef](?!\p{M})"
)


def escape(text: str) -> str:
    """Text that Discord shows literally: no formatting, links, mentions or pings, and no
    control or bidirectional-override characters."""
    text = _MARKDOWN.sub(lambda m: "\\" + (m.group(1) or m.group(2)), clean_text(text))
    return _no_pings(text)


def escape_line(text: str) -> str:
    """``escape`` for a title or a name: on one line as well."""
    return escape(one_line(text))


def _no_pings(text: str) -> str:
    return _MENTION.sub(lambda m: "@" + _ZERO_WIDTH + m.group(1), text)


def shown(text: str, limit: int = SHOWN_INPUT_LIMIT) -> str:
    """What someone wrote, shown inside the bot's words: escaped, on one line, and at most
    ``limit`` characters (cut at a word boundary when there is one)."""
    return fit(escape_line(text), limit)


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` (already escaped where needed) cut to ``limit`` characters. The cut never
    leaves a lone backslash at its end, which would escape the ellipsis or whatever the
    message adds after it."""
    if len(text) <= limit:
        return text
    kept = shorten(text, limit)[:-1]
    backslashes = len(kept) - len(kept.rstrip("\\"))
    if backslashes % 2:
        kept = kept[:-1]
    return kept + "…"


def say(template: str, /, **values: object) -> str:
    """A message in the bot's words (``template``, which may use markdown) with each
    ``{name}`` filled by ``shown(values[name])``, cut so that the whole message fits
    Discord's ``MESSAGE_LIMIT``: the longest values give way first."""
    texts = {name: escape_line(str(value)) for name, value in values.items()}
    room = MESSAGE_LIMIT - len(template.format(**dict.fromkeys(values, "")))
    budgets = _share(room, {name: min(len(t), SHOWN_INPUT_LIMIT) for name, t in texts.items()})
    return fit(template.format(**{n: fit(t, budgets[n]) for n, t in texts.items()}))


def _share(room: int, wanted: dict[str, int]) -> dict[str, int]:
    """Split ``room`` characters between values: each gets what it wants when it fits,
    the longest are cut to an equal share of what the others left."""
    shares: dict[str, int] = {}
    left = max(0, room)
    for count, name in enumerate(sorted(wanted, key=wanted.get), start=0):
        equal = left // max(1, len(wanted) - count)
        shares[name] = max(1, min(wanted[name], equal))
        left -= shares[name]
    return shares


def choice_name(article_id: int, title: str) -> str:
    """An article as an autocomplete suggestion: plain text (Discord shows no markdown
    there), on one line, within ``CHOICE_NAME_LIMIT``."""
    return shorten(f"#{article_id} {one_line(title)}", CHOICE_NAME_LIMIT)


@dataclass(frozen=True, slots=True)
class RenderedAnswer:
    content: str
    embeds: list[discord.Embed]


def render_answer(
    answer: Answer, *, first_number: int = 1, question: str | None = None
) -> RenderedAnswer:
    """The message for an answer: a line naming the question (``question`` when given:
    the question as the asker should read it), the order and any notes on the question's
    operators, then one embed per passage."""
    heading = [f"-# {escape(line)}" for line in _heading_lines(answer)]
    if not answer.passages:
        found = NO_TERMS if not answer.terms else NO_ANSWER
        return RenderedAnswer(fit("\n".join([found, *heading])), [])
    shown_question = shorten((question or answer.question).strip(), 300)
    content = fit("\n".join([f"**Q:** {escape(shown_question)}", *heading]))
    passages = answer.passages[:EMBEDS_PER_MESSAGE]
    # Each embed gets an equal share of the total; titles and footers are short.
    share = (EMBEDS_TOTAL_LIMIT - 100) // len(passages)
    embeds = [
        passage_embed(number, passage, share=share)
        for number, passage in enumerate(passages, first_number)
    ]
    return RenderedAnswer(content, embeds)


def _heading_lines(answer: Answer) -> list[str]:
    lines = [NEWEST_FIRST] if answer.newest_first and answer.passages else []
    return lines + [shorten(note_text(one_line(note)), NOTE_LIMIT) for note in answer.notes]


def passage_embed(
    number: int, passage: Passage, quote_limit: int = QUOTE_LIMIT, *, share: int | None = None
) -> discord.Embed:
    """A passage as an embed: its article's title (linked), the quote with the lines
    about other articles under it, and the footer. With ``share``, the whole embed fits
    in that many characters."""
    article = passage.article
    title = shorten(f"{number}. {escape_line(article.title)}", EMBED_TITLE_LIMIT)
    bottom = shorten(footer(article), EMBED_FOOTER_LIMIT)
    room = quote_limit + LINES_BELOW_LIMIT
    if share is not None:
        room = min(room, share - len(title) - len(bottom))
    below = lines_below(passage, min(LINES_BELOW_LIMIT, room // 3))
    quote_room = min(quote_limit, room - len(below))
    embed = discord.Embed(
        title=title,
        url=article.source_url if _is_web_link(article.source_url) else None,
        description=quote(passage, max(quote_room, 1)) + below,
        colour=COLOUR,
    )
    embed.set_footer(text=bottom)
    return embed


def footer(article: ArticleInfo) -> str:
    """The date the quote reports from, saying which, and who shared the article. Footers
    show no markdown, so it is not escaped."""
    who = _no_pings(_poster(article))
    published = article.published_at
    if published is not None:
        return f"published {day_text(published)} · shared by {who} · article #{article.id}"
    return f"shared by {who} on {day_text(article.posted_at)} · article #{article.id}"


def lines_below(passage: Passage, limit: int = LINES_BELOW_LIMIT) -> str:
    """What goes under a quote, within ``limit`` characters (with the blank line before
    it): the other articles holding the same paragraph, and the newer article on the
    same story. Each line is left out, or names fewer articles, when it does not fit."""
    lines = []
    room = limit - 2
    if passage.newer is not None:
        # Half the room when there is an "also in" line too; it takes what is left.
        line = as_of_line(passage.article, passage.newer, room // 2 if passage.also_in else room)
        if line:
            lines.append(line)
            room -= len(line) + 1
    if passage.also_in:
        line = also_in_line(passage.also_in, room)
        if line:
            lines.insert(0, line)
    return "\n\n" + "\n".join(lines) if lines else ""


def also_in_line(articles: tuple[ArticleInfo, ...], limit: int) -> str:
    """``Also in: [title](link), #12 title, and 3 more``: the first few articles (linked
    when they have a web link), as many as fit in ``limit``; else how many they are, or
    nothing when even that does not fit."""
    named: list[str] = []
    for article in articles[:ALSO_IN_SHOWN]:
        named.append(_named_article(article))
        if len(_also_in(named, len(articles) - len(named))) > limit:
            named.pop()
            break
    if named:
        return _also_in(named, len(articles) - len(named))
    counted = f"Also in {len(articles)} other article{'' if len(articles) == 1 else 's'}."
    return counted if len(counted) <= limit else ""


def _also_in(named: list[str], more: int) -> str:
    return "Also in: " + ", ".join(named) + (f", and {more} more" if more else "")


def as_of_line(article: ArticleInfo, newer: ArticleInfo, limit: int) -> str:
    """``As of 3 Dec 2026. Newer: [title](link) (published 5 Dec 2026)``, within
    ``limit``; without the link or the title when they do not fit, empty when nothing
    does."""
    start = f"As of {day_text(article.reported_at)}. Newer: "
    end = f" ({reported_text(newer)})"
    for named in (_named_article(newer), f"article #{newer.id}"):
        line = start + named + end
        if len(line) <= limit:
            return line
    return ""


def _named_article(article: ArticleInfo) -> str:
    """An article named in a line about another: its title, as a link to its source when
    that is a web link, else with its number."""
    title = shorten(one_line(article.title), LISTED_TITLE_LIMIT)
    link = _markdown_link_target(article.source_url)
    if link is None:
        return f"#{article.id} {escape(title)}"
    return f"[{escape(title)}]({link})"


def _markdown_link_target(url: str | None) -> str | None:
    """``url`` as the target of a markdown link, or None when it cannot be one safely: not
    a web link, too long, or holding what reads as a mention."""
    if not _is_web_link(url) or len(url) > LISTED_LINK_LIMIT or _MENTION.search(url):
        return None
    for character, encoded in (("(", "%28"), (")", "%29"), ("[", "%5B"), ("]", "%5D")):
        url = url.replace(character, encoded)
    return url


def _poster(article: ArticleInfo) -> str:
    return shorten(one_line(article.poster_name or ""), NAME_LIMIT) or "someone"


def quote(passage: Passage, limit: int = QUOTE_LIMIT) -> str:
    """The passage as a Discord block quote, matched words in bold, within ``limit``."""
    text, highlights = passage.text, passage.highlights
    trimmed_end = passage.trimmed_end
    while True:
        body = _bolded(text, highlights)
        rendered = (
            "> "
            + ("… " if passage.trimmed_start else "")
            + body.replace("\n", "\n> ")
            + (" …" if trimmed_end else "")
        )
        if len(rendered) <= limit or not text:
            return rendered
        # Shorten the raw text at a space (escaping may have lengthened it) and try again.
        cut = _last_break(text, max(1, int(len(text) * limit / len(rendered)) - 4))
        text = text[:cut].rstrip()
        highlights = tuple((s, e) for s, e in highlights if e <= len(text))
        trimmed_end = True


def _last_break(text: str, end: int) -> int:
    """Where to cut ``text`` to keep at most ``end`` characters: at its last space, or
    after its last Chinese or Japanese character when that comes later (those are
    written without spaces, and a line may break between any two of them); 0 when
    there is neither, rather than through a word or a link."""
    space = text.rfind(" ", 0, end)
    for position in range(end, max(space, 0), -1):
        if _BREAK_AFTER.match(text, position - 1):
            return position
    return max(space, 0)


def _bolded(text: str, highlights: tuple[tuple[int, int], ...]) -> str:
    parts = []
    cursor = 0
    for start, end in sorted(highlights):
        if start < cursor:
            continue
        parts.append(escape(text[cursor:start]))
        parts.append(f"**{escape(text[start:end])}**")
        cursor = end
    parts.append(escape(text[cursor:]))
    return "".join(parts)


def ingest_summary(outcomes: list[IngestOutcome]) -> str | None:
    """A short reply for failed or duplicate ingests; None when all went well."""
    lines = []
    for outcome in outcomes:
        source = shown(outcome.source, 80)
        if outcome.result is None:
            reason = (outcome.error or "unknown error").rstrip(".")  # one full stop, not two
            lines.append(f"Could not index {source}: {escape(reason)}.")
        elif outcome.result.status == "similar":
            lines.append(_similar(outcome.result.article))
        elif not outcome.result.added:
            article = outcome.result.article
            lines.append(f"Already indexed as article #{article.id}: {shown(article.title, 120)}")
    if not lines:
        return None
    return fit("\n".join(lines))


def busy_text(waiting: int, again: str) -> str:
    """The guild's ingest queue is full: ``waiting`` are queued; the member should
    ``again`` ("try again", "share this one again") later."""
    return (
        f"{WORKING} {waiting} shared articles are already waiting to be indexed "
        f"in this server. Please {again} in a minute."
    )


def outcomes_text(outcomes: list[IngestOutcome]) -> str:
    """One line per source: indexed, already indexed, or why not."""
    lines = []
    for outcome in outcomes:
        source = shown(outcome.source, 80)
        if outcome.result is None:
            lines.append(f"{FAILED} {source}: {escape(outcome.error or '')}")
            continue
        article = outcome.result.article
        if outcome.result.status == "similar":
            lines.append(f"{ALREADY} {source}: {_similar(article)}")
            continue
        mark = ADDED if outcome.result.added else ALREADY
        state = "indexed" if outcome.result.added else "already indexed"
        title = shown(article.title, 120)
        lines.append(f"{mark} {state} as article #{article.id}: {title}")
    return fit("\n".join(lines))


def _similar(article: ArticleInfo) -> str:
    return similar_text(article.id, shown(article.title, 120))


def similar_summary(outcomes: list[IngestOutcome]) -> str | None:
    """A reply for sources not added because an article already indexed has nearly the
    same words; None when there are none."""
    lines = [
        _similar(o.result.article) for o in outcomes if o.result and o.result.status == "similar"
    ]
    return fit("\n".join(lines)) if lines else None


def operators_help() -> str:
    """``/help search``: the operators a question may hold, with examples, and the
    ``/ask`` options that write them."""
    lines = ["**Search operators**: add them to any question (`/ask`, or a mention)."]
    lines += [f"`{syntax}` {escape(meaning)}" for syntax, meaning in OPERATOR_HELP]
    lines += [
        "",
        "**Example:** `/ask question:sea wall repair cost -storm site:example.com "
        "after:2025-11-01`",
        "`/ask` also has options that write them for you: `exclude`, `site`, `member`, "
        "`channel`, `after`, `before` and `order`.",
    ]
    return fit("\n".join(lines))


def article_line(article: ArticleInfo) -> str:
    title = shown(article.title, 120)
    url = article.source_url
    link = ""
    if url and _is_web_link(url) and len(url) <= SHOWN_LINK_LIMIT and not _MENTION.search(url):
        link = f" <{url}>"
    who = escape(_poster(article))
    return (
        f"`#{article.id}` {title}{link} · {article.paragraph_count} ¶ · "
        f"{language_name(article.analysis_language)} · "
        f"shared by {who} on {article.posted_at:%Y-%m-%d}"
    )


def article_page(articles: list[ArticleInfo], page: int, pages: int) -> str:
    if not articles:
        return "No articles are indexed in this server yet."
    lines = [article_line(a) for a in articles]
    text = "\n".join(lines)
    while len(text) > MESSAGE_LIMIT - 40 and lines:
        lines.pop()
        text = "\n".join(lines)
    return f"{text}\n-# page {page} of {pages}"


def reindex_message(paragraphs: int, settled: int) -> str:
    """What ``/admin reindex`` did: the paragraphs indexed, and the articles shared before
    languages were told apart that are now read in their own."""
    text = f"Re-indexed {paragraphs} paragraphs."
    if settled == 1:
        text += " 1 article shared before languages were told apart is now read in its own."
    elif settled:
        text += (
            f" {settled} articles shared before languages were told apart are now read in "
            "their own languages."
        )
    return text


def stats_message(stats: GuildStats) -> str:
    """``/admin stats``: the server's counts and whether its index is in memory."""
    last = discord.utils.format_dt(stats.last_ingest, "R") if stats.last_ingest else "never"
    return (
        f"**Articles:** {stats.articles}\n**Paragraphs:** {stats.paragraphs}\n"
        f"**Index:** {index_state(stats)}\n"
        f"**Questions answered:** {stats.questions_answered}\n**Last ingest:** {last}"
    )


_NOT_IN_LINKS = re.compile(r"[\s<>\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _is_web_link(url: str | None) -> bool:
    """An http(s) link Discord accepts as an embed's URL."""
    if not url or len(url) > EMBED_URL_LIMIT or _NOT_IN_LINKS.search(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
