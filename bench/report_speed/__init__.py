"""The staff report's speed benchmark (``python -m bench.report_speed``, ``make bench-report``)."""
