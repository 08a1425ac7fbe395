"""The recorded cloud payloads some tests replay: a ``shared`` folder beside the checkout.

It is not part of the repository. Without it only the tests that replay real
payloads skip, with a reason that says so; everything else runs in full.
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: ``<checkout>/../shared``: ``samples/`` (recorded API answers) and ``datasets/``.
RECORDED_ROOT = Path(__file__).resolve().parents[2] / "shared"


def missing_reason(what: Path) -> str:
    return (
        f"needs the recorded cloud payloads ({what}), from the folder 'shared' beside "
        "this checkout, which is not in the repository; only these replay tests skip, "
        "the rest of the suite is complete without it"
    )


def require_root(root: Path = RECORDED_ROOT) -> Path:
    """The recorded-payloads folder, or skip the calling test saying what is missing."""
    if not root.is_dir():
        pytest.skip(missing_reason(root))
    return root


def recorded_file(root: Path, relative: str) -> Path:
    """One recorded payload under ``root``, or skip naming the missing file."""
    path = root / relative
    if not path.exists():
        pytest.skip(missing_reason(path))
    return path
