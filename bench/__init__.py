"""Benchmarks of Agglo Assistant, one package each, run with ``python -m bench.<name>``:

- ``quality``: how well it understands and answers, against two baselines (``make bench-quality``);
- ``speed``: latency, throughput, memory, start-up and training against bare Rasa (``make bench-speed``);
- ``prod``: the production profile under load, growth and faults (``make test-prod``);
- ``report_speed``: the staff report on a million events (``make bench-report``);
- ``live_kb``: how soon a running process serves a new knowledge-base build.

``common`` holds what they share and imports none of them; ``prod`` reuses ``speed``'s profiles
and load generator; no other benchmark imports another. Settings are read from the environment
only in each package's ``__main__`` and passed down. ``eval/`` is the evaluation set and
``results/`` the committed reports.
"""
