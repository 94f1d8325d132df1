"""``python -m genb`` (and ``accelerate launch -m genb``) runs the CLI."""

from genb.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
