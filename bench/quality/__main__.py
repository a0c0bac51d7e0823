"""`python -m bench.quality`."""

from bench.quality.run import main

if __name__ == "__main__":
    raise SystemExit(main())
