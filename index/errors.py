"""Errors whose message is meant to be shown to the person who caused them."""


class IngestRefused(Exception):
    """An input that will not become an article. ``reason`` is short and fit for a user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ArticleNotFound(LookupError):
    """No article with that id exists in this guild."""

    def __init__(self, guild_id: int, article_id: int) -> None:
        super().__init__(f"no article #{article_id} in this server")
        self.guild_id = guild_id
        self.article_id = article_id
