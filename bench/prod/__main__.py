"""`python -m bench.prod`."""

from bench.prod.run import main

if __name__ == "__main__":
    raise SystemExit(main())
