"""The web front: the residents' chat widget, its demo page and the agents' console.

An aiohttp application (:func:`bot.web.app.create_app`) that proxies the chat to Rasa's REST
channel, stores feedback and serves the console behind a login. Nothing runs at import time.
"""
