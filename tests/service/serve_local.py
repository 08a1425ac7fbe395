"""Run ``spotarb serve`` with the local test feeds registered (a real process, real CLI)."""

from __future__ import annotations

import sys

from tests.service.localfeed import install

if __name__ == "__main__":
    install()
    from spotarb.cli import app

    app(sys.argv[1:], prog_name="spotarb")
