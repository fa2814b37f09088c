"""The Discord bot and the local console: thin adapters over the ``index`` engine."""
