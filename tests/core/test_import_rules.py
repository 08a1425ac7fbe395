"""``spotarb import`` on hostile or odd input: every bad row is exit 2 with its line and field,
nothing is written, and rows kept despite an oddity are named in the summary."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.store import open_store

runner = CliRunner()

BASE = {
    "provider": "aws",
    "region": "us-east-1",
    "instance_type": "m5.large",
    "vcpu": 2,
    "memory_gb": 8,
    "price_per_hour": 0.035,
}
HEADER = (
    "provider,region,instance_type,vcpu,memory_gb,price_per_hour,gpu_count,gpu_type,observed_at"
)


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A store holding one row, so every refusal can be checked to leave it as it was."""
    path = str(tmp_path / "spotarb.db")
    seed = tmp_path / "seed.jsonl"
    seed.write_text(json.dumps(BASE | {"instance_type": "seed.large"}) + "\n")
    assert run("import", str(seed), "--db", path)[0] == 0
    return path


def stored(db: str) -> list[tuple[object, ...]]:
    return open_store(db).current_rows()


def test_hostile_json_lines_are_invalid_rows_with_their_line(tmp_path: Path, db: str) -> None:
    before = stored(db)
    lines = [
        json.dumps(BASE),  # 1: fine
        "[" * 100_000 + "]" * 100_000,  # 2: nested 100,000 deep
        '{"region": ' + "[" * 100_000 + "]" * 100_000 + "}",  # 3: deep inside an object
        json.dumps(BASE)[:-1] + ', "gpu_count": ' + "9" * 5000 + "}",  # 4: 5000-digit int
        json.dumps(BASE | {"vcpu": 10**400}),  # 5: an int past the float range
        json.dumps(BASE | {"gpu_count": 10**30, "gpu_type": "t4"}),  # 6: past any integer column
        json.dumps(BASE | {"region": [1, 2]}),  # 7: a list where text belongs
        json.dumps(BASE | {"region": {"a": 1}}),  # 8: an object where text belongs
        json.dumps(BASE)[:-1] + ', "source": "\\ud800"}',  # 9: a lone surrogate
        json.dumps(BASE | {"observed_at": "0001-01-01T00:00:00+05:00"}),  # 10: before year 1 UTC
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run("import", str(path), "--db", db)
    assert code == 2, (out, err)
    assert "Traceback" not in err + out
    expected = [
        "hostile.jsonl:2: not valid JSON here: nested too deeply",
        "hostile.jsonl:3: not valid JSON here: nested too deeply",
        "hostile.jsonl:4: not valid JSON here: Exceeds the limit (4300 digits)",
        "hostile.jsonl:5: vcpu: must be a finite number (got 1000000000",
        "hostile.jsonl:6: gpu_count: must be <= 1024 (got 1000000000000000000000000000000)",
        "hostile.jsonl:7: region: must be a string (got [1, 2])",
        "hostile.jsonl:8: region: must be a string (got {'a': 1})",
        "hostile.jsonl:9: source: must be Unicode text (holds a lone surrogate)",
        "hostile.jsonl:10: observed_at: is out of range in UTC",
    ]
    reported = [line for line in err.splitlines() if "hostile.jsonl:" in line]
    assert len(reported) == len(expected), err
    for line, start in zip(reported, expected, strict=True):
        assert start in line, (line, start)
    assert "(401 characters)" in reported[3]  # a long value is quoted in part
    assert max(map(len, reported)) < 250
    assert "import refused: 9 of 10 rows are invalid; nothing was written" in err
    assert stored(db) == before


def test_observed_at_more_than_a_day_ahead_is_refused(tmp_path: Path, db: str) -> None:
    before = stored(db)
    now = datetime.now(UTC)
    soon = (now + timedelta(hours=23)).isoformat()
    later = (now + timedelta(days=1, minutes=5)).isoformat()
    path = tmp_path / "times.csv"
    path.write_text(
        f"{HEADER}\naws,us-east-1,a.large,2,8,0.1,0,,{soon}\naws,us-east-1,b.large,2,8,0.1,0,,{later}\n"
    )
    code, _, err = run("import", str(path), "--db", db)
    assert code == 2
    assert "times.csv:3: observed_at: is more than 1 day in the future" in err
    assert f"(got '{later}')" in err
    assert stored(db) == before
    path.write_text(f"{HEADER}\naws,us-east-1,a.large,2,8,0.1,0,,{soon}\n")
    assert run("import", str(path), "--db", db)[0] == 0  # 23 hours ahead: clock skew is fine


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(
    ("field", "value"),
    [("region", "us-east-1\x00"), ("instance_type", "m5.\x1b[2Jlarge"), ("gpu_type", "t\x074")],
)
def test_control_characters_are_refused_in_both_formats(
    tmp_path: Path, db: str, fmt: str, field: str, value: str
) -> None:
    before = stored(db)
    row = BASE | {"gpu_count": 1, "gpu_type": "t4"} | {field: value}
    path = tmp_path / f"ctl.{fmt}"
    if fmt == "csv":
        names = list(row)
        path.write_text(",".join(names) + "\n" + ",".join(str(row[n]) for n in names) + "\n")
    else:
        path.write_text(json.dumps(BASE) + "\n" + json.dumps(row) + "\n")
    code, _, err = run("import", str(path), "--db", db)
    assert code == 2
    assert f"ctl.{fmt}:2: {field}: must not hold control characters" in err
    assert "\x00" not in err and "\x1b" not in err and "\x07" not in err  # quoted, not echoed
    assert stored(db) == before


def test_unknown_gpus_are_stored_as_the_feeds_store_them_and_named(tmp_path: Path, db: str) -> None:
    path = tmp_path / "gpus.csv"
    path.write_text(
        f"{HEADER}\n"
        "aws,us-east-1,g4.xlarge,4,16,0.2,1,Tesla T4,\n"
        "aws,us-east-1,x1.xlarge,4,16,0.2,1,Mystery X1,\n"
        "aws,us-east-1,x2.xlarge,4,16,0.2,2,Mystery X1,\n"
    )
    code, out, _ = run("import", str(path), "--db", db)
    assert code == 0
    assert (
        "; 2 rows with a GPU the vocabulary does not know, stored as unknown:<name> "
        f"(first: {path}:3: gpu_type unknown:Mystery X1)"
    ) in out
    gpus = {p.instance_type: p.gpu_type for p in open_store(db).current_prices()}
    assert gpus["g4.xlarge"] == "nvidia-t4"  # a known spelling becomes the canonical id
    assert gpus["x1.xlarge"] == gpus["x2.xlarge"] == "unknown:Mystery X1"
    code, out, _ = run("prices", "--gpu", "t4", "--json", "--db", db)
    assert [r["instanceType"] for r in json.loads(out)] == ["g4.xlarge"]


def test_spot_above_on_demand_is_kept_and_counted(tmp_path: Path, db: str) -> None:
    path = tmp_path / "od.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(BASE | {"instance_type": name, "price_per_hour": spot,
                               "on_demand_price_per_hour": od})
            for name, spot, od in [("a.large", 0.1, 0.3), ("b.large", 0.5, 0.4),
                                   ("c.large", 0.2, 0.2), ("d.large", 0.9, 0.1)]
        )
        + "\n"
    )  # fmt: skip
    code, out, _ = run("import", str(path), "--db", db, "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["inserted"] == 4  # kept
    assert summary["spotAboveOnDemand"] == {
        "rows": 2,
        "first": f"{path}:2: aws/us-east-1/b.large spot 0.5 > on-demand 0.4 $/h",
    }
    assert summary["unknownGpu"] == {"rows": 0, "first": None}
    code, out, _ = run("import", str(path), "--db", db)
    assert "; 2 rows with a spot price above on-demand, kept (first: " in out
