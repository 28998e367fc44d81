"""Fetching: HTTP with politeness (robots.txt, Crawl-delay, per-host budgets), the SSRF guard
and the background page queue."""
