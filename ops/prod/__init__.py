"""The production profile on one machine (``make run-prod``, ``make test-prod``).

PostgreSQL, Redis, several Rasa servers, action servers and web fronts behind nginx, all run
by Debian's supervisord from configuration files generated here (``render.py``, from the Jinja2
templates of ``templates/``); the same code as ``make run``, only the configuration changes.
"""
