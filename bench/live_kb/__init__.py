"""The rebuild-to-served benchmark (``python -m bench.live_kb``)."""
