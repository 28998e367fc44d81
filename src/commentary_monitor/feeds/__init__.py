"""Feeds: parsing RSS/Atom/OPML and feed discovery, and feed health."""
