"""Rendering engine results as plain terminal text. Pure functions: same input, same text.

Text from articles and posters is shown without control characters (a terminal would obey
escape sequences in it) or bidirectional overrides; titles, names and links on one line.
"""

from __future__ import annotations

from index.models import Answer, ArticleInfo, GuildStats, IngestOutcome, IngestResult, Passage
from index.textio import clean_text, one_line, shorten

BOLD = "\x1b[1m"
RESET = "\x1b[0m"
NO_ANSWER = "Nothing in the indexed articles answers that."


def answer_text(answer: Answer, *, color: bool = False) -> str:
    """The passages of ``answer``, each quoted with its article, link, poster and date."""
    if not answer.passages:
        if not answer.terms:
            return "That question has no words to search for. Try asking with a few more words."
        return NO_ANSWER
    blocks = [
        passage_text(number, passage, color=color)
        for number, passage in enumerate(answer.passages, 1)
    ]
    return "\n\n".join(blocks)


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
    lines.append(f"    {_provenance(article)} · article #{article.id} · score {passage.score:.2f}")
    lines.append(f"    > {quote}")
    return "\n".join(lines)


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
            source = one_line(shorten(outcome.source, 80))
            lines.append(f"Not indexed ({source}): {one_line(outcome.error or '')}.")
    return "\n".join(lines)


def article_line(article: ArticleInfo) -> str:
    source = f" <{one_line(article.source_url)}>" if article.source_url else ""
    return (
        f"#{article.id:<4} {one_line(article.title)}{source} · "
        f"{article.paragraph_count} paragraphs · "
        f"{_provenance(article)}"
    )


def articles_text(articles: list[ArticleInfo]) -> str:
    if not articles:
        return "No articles are indexed yet."
    return "\n".join(article_line(article) for article in articles)


def stats_text(stats: GuildStats) -> str:
    last = f"{stats.last_ingest:%Y-%m-%d %H:%M} UTC" if stats.last_ingest else "never"
    return (
        f"articles: {stats.articles}\n"
        f"paragraphs: {stats.paragraphs}\n"
        f"distinct terms: {stats.vocabulary}\n"
        f"questions answered: {stats.questions_answered}\n"
        f"last ingest: {last}"
    )
