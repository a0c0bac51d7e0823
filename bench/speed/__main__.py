"""`python -m bench.speed`."""

from bench.speed.run import main

if __name__ == "__main__":
    raise SystemExit(main())
