"""Entry point of ``python -m core`` (architecture.md CLI contract; p.4–p.8 rules)."""

import sys

from core.cli import main

if __name__ == "__main__":
    sys.exit(main())
