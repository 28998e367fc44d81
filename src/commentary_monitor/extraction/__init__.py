"""Extraction: the article text and metadata from a page, and its language."""
