"""The speed benchmark (``python -m bench.speed``, ``make bench-speed``): the real servers under
load from a separate process, against a bare-Rasa baseline measured in the same run. Its
profiles, baseline and load generator also serve the production benchmark (bench.prod)."""

from bench.common.progress import Log

# Every line the speed benchmark prints, whichever module prints it.
log = Log("bench-speed")
