"""Thin rasa_sdk adapters: read the tracker, ask ``bot`` for the answer, send it with its payload."""
