"""``python -m certify`` and the ``certify`` console script.

The command line is imported inside ``run`` so that a Ctrl-C during the imports (numpy, sympy and
click take a few hundred milliseconds) also ends with exit status 130 and one line, not a traceback.
"""

from __future__ import annotations

import sys


def run() -> int:
    try:
        from certify.cli import main
    except KeyboardInterrupt:
        print("certify: interrupted", file=sys.stderr)
        return 130
    return main()


if __name__ == "__main__":
    raise SystemExit(run())
