"""commentary-monitor: scheduled monitoring of new commentary."""

__version__ = "0.1.0"
