"""Rasa input channels of the assistant (Rasa's own channels, extended where needed)."""
