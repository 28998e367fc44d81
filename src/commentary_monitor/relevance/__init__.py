"""Relevance: profiles built from seed essays, the scorer, feedback models and evaluation."""
