"""The Agglomobile's offline figures (``python -m bench.console``)."""
