"""Agglo Assistant core: knowledge base, French text matching, settings and web front.

Plain Python with no rasa_sdk imports, and nothing done at import time.
"""
