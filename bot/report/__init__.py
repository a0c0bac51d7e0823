"""The staff's report: what residents asked, what they could not get, what they thought.

``python -m bot report --since YYYY-MM-DD --until YYYY-MM-DD --out FILE.html`` (``make
report``). :mod:`bot.report.data` reads the tracker store and the feedback table,
:mod:`bot.report.grouping` groups similar unanswered questions (personal data masked with
:func:`bot.stores.privacy.mask`) and :mod:`bot.report.render` draws the plots and writes the page.
"""
