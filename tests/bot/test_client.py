"""Which attachment URLs the bot reads: only the server's own file hosts."""

from __future__ import annotations

import pytest

from bot.client import NewsBot
from bot.settings import Settings

DISCORD = Settings(discord_token="x")
SELF_HOSTED = Settings(
    discord_token="x",
    discord_api_base="https://chat.example.org:3001/api/v9",
    attachment_hosts=("files.example.org",),
)
PLAIN_HTTP = Settings(
    discord_token="x",
    discord_api_base="http://chat.lan:3001/api/v9",
    attachment_hosts=("files.lan",),
)


@pytest.mark.parametrize(
    ("settings", "url", "read"),
    [
        (DISCORD, "https://cdn.discordapp.com/attachments/1/2/message.txt", True),
        (DISCORD, "https://media.discordapp.net/attachments/1/2/message.txt", True),
        (DISCORD, "https://CDN.discordapp.com./attachments/1/2/message.txt", True),
        (DISCORD, "https://discord.com/api/v10/attachments/1/message.txt", True),
        (DISCORD, "http://cdn.discordapp.com/attachments/1/2/message.txt", False),
        (DISCORD, "https://cdn.discordapp.com.evil.example/message.txt", False),
        (DISCORD, "https://evil.example/cdn.discordapp.com/message.txt", False),
        (DISCORD, "https://cdn.discordapp.com@evil.example/message.txt", False),
        (DISCORD, "https://user@cdn.discordapp.com/message.txt", False),
        (DISCORD, "http://169.254.169.254/latest/meta-data", False),
        (DISCORD, "file:///etc/passwd", False),
        (DISCORD, "not a url at all", False),
        (SELF_HOSTED, "https://files.example.org/attachments/1/message.txt", True),
        (SELF_HOSTED, "https://files.example.org:3003/attachments/1/message.txt", True),
        (SELF_HOSTED, "https://chat.example.org:3003/attachments/1/message.txt", True),
        (SELF_HOSTED, "http://files.example.org/attachments/1/message.txt", False),
        (SELF_HOSTED, "http://chat.example.org:3003/attachments/1/message.txt", False),
        (SELF_HOSTED, "https://cdn.discordapp.com/attachments/1/2/message.txt", False),
        (PLAIN_HTTP, "http://files.lan/attachments/1/message.txt", True),
        (PLAIN_HTTP, "http://chat.lan:3003/attachments/1/message.txt", True),
        (PLAIN_HTTP, "http://10.0.0.7/message.txt", False),
    ],
)
def test_attachments_are_read_only_from_the_servers_file_hosts(settings, url, read):
    assert NewsBot(settings).is_server_file(url) is read
