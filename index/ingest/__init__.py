"""Turning what people share into article drafts: finding sources in a message, reading
pastes and files, fetching pages safely, extracting their text, and admitting the work."""
