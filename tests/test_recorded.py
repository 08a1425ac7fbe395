"""Without the recorded payloads the skip reason tells a newcomer what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.recorded import RECORDED_ROOT, recorded_file, require_root


def test_missing_folder_skip_says_what_and_that_the_rest_is_complete(tmp_path: Path) -> None:
    absent = tmp_path / "shared"
    with pytest.raises(pytest.skip.Exception) as info:
        require_root(absent)
    reason = str(info.value)
    assert str(absent) in reason
    assert "recorded cloud payloads" in reason and "beside this checkout" in reason
    assert "not in the repository" in reason
    assert "rest of the suite is complete without it" in reason


def test_missing_file_skip_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(pytest.skip.Exception, match=r"samples/aws/x\.json"):
        recorded_file(tmp_path, "samples/aws/x.json")
    (tmp_path / "y.json").write_text("{}")
    assert recorded_file(tmp_path, "y.json") == tmp_path / "y.json"


def test_the_folder_is_looked_for_beside_the_checkout() -> None:
    checkout = Path(__file__).resolve().parents[1]
    assert (checkout / "pyproject.toml").is_file()
    assert checkout.parent / "shared" == RECORDED_ROOT
