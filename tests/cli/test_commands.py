"""simulate --backfill, import and export against a real server process (tests/cli/conftest.py).

Live mode is tested with fake time in test_live.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from pathlib import Path

import httpx
import orjson
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from roomtemp.cli import app
from roomtemp.cli.room_model import Simulation
from tests.cli.server import Server, expected, stored
from tests.support import iso, ms

T0 = ms("2024-03-01T00:00:00Z")
MINUTE = 60_000


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_backfill_of_a_known_seed_writes_the_model_s_history(server: Server) -> None:
    prefix = server.room_prefix()
    start, end = T0 - 2 * 86_400_000, T0
    args = ["simulate", "--url", server.url, "--rooms", "3", "--seed", "42", "--interval", "5m"]
    args += ["--backfill", "2d", "--end", iso(end), "--prefix", prefix, "--batch-size", "700"]
    result = cli(*args)
    assert result.exit_code == 0, result.output

    simulation = Simulation(42, 3, 5 * MINUTE, prefix)
    history = [r for step in simulation.history(start, end) for r in step]
    assert f"sent {len(history)} readings" in result.stderr
    assert f"{len(history)} new, 0 duplicates, 0 failed" in result.stderr
    for profile in simulation.profiles:
        rows = stored(server, profile.room_id, start, end)
        assert rows == expected(history, profile.room_id)
        sensors = len(profile.sensors)
        assert 0.5 * 576 * sensors <= len(rows) <= 576 * sensors  # 576 steps of 5 min in 2 days
        assert {sensor for sensor, _, _ in rows} == set(profile.sensors)
        assert all(5.0 <= value <= 40.0 for *_, value in rows)
        room = server.get(f"/api/v1/rooms/{profile.room_id}").json()
        assert (room["name"], room["building"], room["floor"]) == (
            profile.name,
            profile.building,
            profile.floor,
        )
        assert room["comfort"] == {
            "min_celsius": profile.comfort[0],
            "max_celsius": profile.comfort[1],
        }

    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert f"0 new, {len(history)} duplicates, 0 failed" in again.stderr


def write_file(folder: Path, fmt: str, rows: list[dict[str, object]]) -> Path:
    path = folder / f"readings.{fmt}"
    if fmt == "csv":
        with path.open("w", newline="") as out:
            writer = csv.DictWriter(out, ["room_id", "value", "timestamp", "unit", "sensor_id"])
            writer.writeheader()
            writer.writerows(
                {**row, "value": repr(row["value"]), "sensor_id": row["sensor_id"] or ""}
                for row in rows
            )
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def read_export(path: Path, fmt: str) -> list[dict[str, object]]:
    text = path.read_text()
    if fmt == "csv":
        rows: list[dict[str, object]] = list(csv.DictReader(io.StringIO(text)))
        assert text.startswith("room_id,value,timestamp,unit,sensor_id,raw_value\n")
        return [
            {**row, "value": float(str(row["value"])), "raw_value": _number(row["raw_value"])}
            for row in rows
        ]
    return [orjson.loads(line) for line in text.splitlines()]


identities = st.tuples(
    st.sampled_from([None, "wall", "desk"]),
    st.integers(min_value=T0, max_value=T0 + 10 * 86_400_000),
)
readings_strategy = st.lists(
    st.tuples(identities, st.floats(min_value=-59.0, max_value=99.0, allow_nan=False)),
    min_size=1,
    max_size=60,
    unique_by=lambda item: item[0],
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    readings=readings_strategy,
    fmt=st.sampled_from(["csv", "ndjson"]),
    batch=st.integers(min_value=1, max_value=25),
    page=st.integers(min_value=1, max_value=25),
    epoch_seconds=st.booleans(),
)
def test_import_then_export_round_trips_exactly(
    server: Server,
    readings: list[tuple[tuple[str | None, int], float]],
    fmt: str,
    batch: int,
    page: int,
    epoch_seconds: bool,
) -> None:
    room = server.room_prefix()
    rows: list[dict[str, object]] = [
        {
            "room_id": room,
            "value": value,
            "timestamp": t / 1000 if epoch_seconds else iso(t),
            "unit": "celsius",
            "sensor_id": sensor,
        }
        for (sensor, t), value in readings
    ]
    with tempfile.TemporaryDirectory() as folder:
        source = write_file(Path(folder), fmt, rows)
        imported = cli("import", str(source), "--url", server.url, "--batch-size", str(batch))
        assert imported.exit_code == 0, imported.output
        assert f"{len(rows)} new, 0 duplicates" in imported.stderr

        out = Path(folder) / f"export.{fmt}"
        args = ["export", "--url", server.url, "--room", room, "--format", fmt, "--output"]
        args += [str(out), "--start", iso(T0), "--end", iso(T0 + 11 * 86_400_000)]
        exported = cli(*args, "--page-size", str(page))
        assert exported.exit_code == 0, exported.output
        got = read_export(out, fmt)
        want = [
            {
                "room_id": room,
                "value": value,
                "timestamp": iso(t),
                "unit": "celsius",
                "sensor_id": sensor or ("" if fmt == "csv" else None),
                "raw_value": value,
            }
            for (sensor, t), value in sorted(readings, key=lambda r: (r[0][1], r[0][0] or ""))
        ]
        assert got == want

        again = cli("import", str(out), "--url", server.url, "--batch-size", str(batch))
        assert again.exit_code == 0, again.output
        assert f"imported {len(rows)} rows" in again.stderr
        assert f"0 new, {len(rows)} duplicates" in again.stderr


def _number(cell: object) -> float | None:
    return float(str(cell)) if cell else None


def test_an_export_carries_raw_and_calibrated_values_and_its_import_round_trips(
    server: Server, tmp_path: Path
) -> None:
    # one room calibrated after its first reading is exported, then imported into another room
    # whose sensor has another offset: the values and the values as sent come back as they were
    room, copy = server.room_prefix(), server.room_prefix() + "-copy"
    first = {"value": 20.0, "timestamp": iso(T0), "sensor_id": "wall"}
    httpx.post(f"{server.url}/api/v1/rooms/{room}/readings", json=first).raise_for_status()
    for name, offset in ((room, 0.5), (copy, -2.0)):
        sensor = f"{server.url}/api/v1/rooms/{name}/sensors/wall"
        httpx.put(sensor, json={"offset_celsius": offset}).raise_for_status()
    later = [{"value": 21.0, "timestamp": iso(T0 + MINUTE), "sensor_id": "wall"}]
    httpx.post(f"{server.url}/api/v1/rooms/{room}/readings", json=later).raise_for_status()
    span = ["--start", iso(T0), "--end", iso(T0 + 11 * MINUTE)]
    for fmt in ("csv", "ndjson"):
        out = tmp_path / f"export.{fmt}"
        cli("export", "--url", server.url, "--room", room, "--format", fmt, "--output", str(out),
            *span)  # fmt: skip
        rows = read_export(out, fmt)
        assert [(r["value"], r["raw_value"]) for r in rows] == [(20.0, 20.0), (21.5, 21.0)]
        moved = out.read_text().replace(room, copy)
        (tmp_path / f"copy.{fmt}").write_text(moved)
        imported = cli("import", str(tmp_path / f"copy.{fmt}"), "--url", server.url)
        assert imported.exit_code == 0, imported.output
        assert ("2 new" if fmt == "csv" else "0 new, 2 duplicates") in imported.stderr
        page = server.get(f"/api/v1/rooms/{copy}/readings", start=iso(T0), end=iso(T0 + MINUTE + 1))
        got = [(r["value"], r.get("raw_value")) for r in page.json()["readings"]]
        assert got == [(20.0, None), (21.5, 21.0)]


def csv_file(folder: Path, lines: list[str]) -> Path:
    path = folder / "bad.csv"
    path.write_text("room_id,value,timestamp,sensor_id\n" + "".join(f"{x}\n" for x in lines))
    return path


def test_a_bad_row_names_its_line_and_its_batch_stores_nothing(
    server: Server, tmp_path: Path
) -> None:
    room = server.room_prefix()
    lines = [f"{room},{20 + i},{iso(T0 + i * MINUTE)},s" for i in range(7)]
    lines[4] = f"{room},hot,{iso(T0 + 4 * MINUTE)},s"  # file line 6, second batch of 3
    lines[5] = f"{room},21,{iso(T0 + 5 * MINUTE)[:-1]},s"  # file line 7: no UTC offset
    path = csv_file(tmp_path, lines)
    result = cli("import", str(path), "--url", server.url, "--batch-size", "3")
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(str(path))}:6: value: .*number", result.stderr)
    assert re.search(rf"{re.escape(str(path))}:7: timestamp: .*no UTC offset", result.stderr)
    assert "the batch of lines 5-7 was not stored" in result.stderr
    assert "3 rows before line 5 went through (3 new, 0 duplicates)" in result.stderr
    rows = stored(server, room, T0, T0 + 3_600_000)
    assert rows == [("s", T0 + i * MINUTE, float(20 + i)) for i in range(3)]

    lines = [f"{room},20,{iso(T0 + 9 * MINUTE)},s", f"{room},21,2024-03-01T00:10:00,s"]
    result = cli("import", str(csv_file(tmp_path, lines)), "--url", server.url)
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(str(path))}:3: timestamp: .*no UTC offset", result.stderr)
    assert stored(server, room, T0, T0 + 3_600_000) == rows


def test_a_malformed_row_stops_the_import_before_its_batch_is_sent(
    server: Server, tmp_path: Path
) -> None:
    room = server.room_prefix()
    path = csv_file(tmp_path, [f"{room},20,{iso(T0)},s", f"{room},21,{iso(T0 + MINUTE)},s,extra"])
    result = cli("import", str(path), "--url", server.url)
    assert result.exit_code == 1
    assert f"{path}:3: 5 cells, the header has 4" in result.stderr
    assert stored(server, room, T0, T0 + 3_600_000) == []

    ndjson = tmp_path / "bad.ndjson"
    ndjson.write_text(f'{{"room_id": "{room}", "value": 20}}\n\n{{"room_id": oops}}\n')
    result = cli("import", str(ndjson), "--url", server.url)
    assert result.exit_code == 1
    assert f"{ndjson}:3: not JSON" in result.stderr
    assert stored(server, room, T0, T0 + 3_600_000) == []


def test_a_conflicting_value_is_refused_with_the_batch(server: Server, tmp_path: Path) -> None:
    room = server.room_prefix()
    first = csv_file(tmp_path, [f"{room},20.5,{iso(T0)},s"])
    assert cli("import", str(first), "--url", server.url).exit_code == 0
    second = csv_file(tmp_path, [f"{room},19,{iso(T0 + MINUTE)},s", f"{room},20.6,{iso(T0)},s"])
    result = cli("import", str(second), "--url", server.url)
    assert result.exit_code == 1
    assert "HTTP 409" in result.stderr
    assert "the batch of lines 2-3 was not stored; nothing was stored" in result.stderr
    assert stored(server, room, T0, T0 + 3_600_000) == [("s", T0, 20.5)]


def test_unknown_room_and_unknown_format_are_clear_errors(server: Server, tmp_path: Path) -> None:
    result = cli("export", "--url", server.url, "--room", "no-such-room", "--start", iso(T0))
    assert result.exit_code == 1
    assert "HTTP 404" in result.stderr
    odd = tmp_path / "readings.txt"
    odd.write_text("room_id,value\nx,1\n")
    result = cli("import", str(odd), "--url", server.url)
    assert result.exit_code == 1
    assert "--format" in result.stderr
