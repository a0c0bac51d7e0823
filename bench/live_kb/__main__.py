"""`python -m bench.live_kb`."""

from bench.live_kb.run import main

if __name__ == "__main__":
    raise SystemExit(main())
