"""`python -m bench.report_speed`."""

from bench.report_speed.run import main

if __name__ == "__main__":
    raise SystemExit(main())
