"""The quality benchmark (``python -m bench.quality``, ``make bench-quality``): cross-validation
of three NLU systems, the evaluation set in their NLU view and end to end, the external French
utterances, and the resident answers' length and readability."""
