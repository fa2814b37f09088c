"""The SQL of article facets (``ArticleFacets``), shared by both stores.

A question's filters (``ArticleFilter``) become one query over the guild's articles and
their facets, each condition served by an index (``(guild_id, site)``, ``(guild_id,
reported_at)``, ``(guild_id, poster_id)``, ``(guild_id, channel_id)``): the answer is the
set of article ids the search may quote, found without reading any paragraph.
The stores differ only in how a parameter is written (``?`` or ``$1``) and how a moment
is passed, so both build their statements here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from index.models import ArticleFilter

FACETS_BATCH = 200
"""Articles whose facets are filled in per round (after a migration or a copy)."""


def filter_query(
    guild_id: int,
    wanted: ArticleFilter,
    mark: Callable[[int], str],
    moment: Callable[[datetime], object],
    lower: str = "lower",
) -> tuple[str, list[object]]:
    """``SELECT`` of the ids of ``guild_id``'s articles that ``wanted`` keeps; ``mark(n)``
    writes the n-th parameter (1-based), ``moment`` a datetime as the store keeps it,
    ``lower`` names the SQL function that lower-cases any letter."""
    params: list[object] = [guild_id]

    def param(value: object) -> str:
        params.append(value)
        return mark(len(params))

    conditions = [f"a.guild_id = {mark(1)}"]
    if wanted.sites:
        either = []
        for site in wanted.sites:
            either.append(f"f.site = {param(site)}")
            # Subdomains: "news.example.com" for site:example.com. LIKE over the guild's
            # sites under the (guild_id, site) index; the dot keeps "badexample.com" out.
            either.append(f"f.site LIKE {param('%.' + _like_escaped(site))} ESCAPE '\\'")
        conditions.append("(" + " OR ".join(either) + ")")
    posters = []
    posters += [f"a.poster_id = {param(poster)}" for poster in wanted.poster_ids]
    posters += [f"{lower}(a.poster_name) = {param(name.lower())}" for name in wanted.poster_names]
    if posters:
        conditions.append("(" + " OR ".join(posters) + ")")
    if wanted.channel_ids:
        channels = [f"a.channel_id = {param(channel)}" for channel in wanted.channel_ids]
        conditions.append("(" + " OR ".join(channels) + ")")
    if wanted.after is not None:
        conditions.append(f"f.reported_at >= {param(moment(wanted.after))}")
    if wanted.before is not None:
        conditions.append(f"f.reported_at < {param(moment(wanted.before))}")
    sql = (
        "SELECT a.id FROM articles a JOIN article_facets f ON f.article_id = a.id "
        f"WHERE {' AND '.join(conditions)}"
    )
    return sql, params


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
