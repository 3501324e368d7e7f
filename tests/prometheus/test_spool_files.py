"""The spool on disk: one bad or torn record loses only itself, a full disk is refused before
anything is acknowledged, and progress survives restarts. No engine needed here."""

from __future__ import annotations

import errno
import logging
import os
import zlib
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roomtemp.domain import Reading
from roomtemp.errors import StorageFull
from roomtemp.storage.prometheus import records
from roomtemp.storage.prometheus.batches import SeriesBatch, group, readings_of
from roomtemp.storage.prometheus.spool import Spool
from roomtemp.storage.prometheus.spool_disk import Cursor, Disk
from tests.support import ms

T0 = ms("2024-01-01T00:00:00Z")


def readings(start: int, count: int) -> list[Reading]:
    sensors = (None, "s")
    return [Reading("lab", sensors[i % 2], T0 + i, i / 8) for i in range(start, start + count)]


def batch(start: int, count: int) -> SeriesBatch:
    return group(readings(start, count))


def fill(spool: Spool) -> tuple[list[Reading], StorageFull]:
    """Append batches of 10 until the spool refuses one: those taken, and the refusal."""
    taken: list[Reading] = []
    while True:
        try:
            spool.append(batch(len(taken), 10))
        except StorageFull as exc:
            return taken, exc
        taken += readings(len(taken), 10)


def drain(spool: Spool) -> list[Reading]:
    replayed = []
    while (chunk := spool.peek(25)) is not None:
        assert chunk.merged is not None
        replayed += readings_of(chunk.merged.batch)
        spool.done(chunk)
    return sorted(replayed, key=lambda r: r.timestamp_ms)


def found(data: bytes) -> list[list[Reading]]:
    return [
        readings_of(records.decode(data[item.start : item.end]).readings)
        for item in records.scan(data)
        if isinstance(item, records.Found)
    ]


BATCHES = [readings_of(group(readings(10 * i, 1 + i % 7))) for i in range(12)]
"""Batches as they come back from the spool: grouped by series."""
SEGMENT = b"".join(records.encode(group(b)) for b in BATCHES)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(SEGMENT) * 8 - 1))
def test_a_flipped_bit_loses_at_most_its_own_record(bit: int) -> None:
    damaged = bytearray(SEGMENT)
    damaged[bit // 8] ^= 1 << (bit % 8)
    kept = found(bytes(damaged))
    assert len(kept) == len(BATCHES) - 1
    assert all(b in BATCHES for b in kept)
    assert [BATCHES.index(b) for b in kept] == sorted(BATCHES.index(b) for b in kept)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(SEGMENT) - 1))
def test_a_truncated_segment_keeps_every_whole_record(cut: int) -> None:
    ends = [item.end for item in records.scan(SEGMENT) if isinstance(item, records.Found)]
    whole = sum(1 for end in ends if end <= cut)
    items = list(records.scan(SEGMENT[:cut]))
    assert found(SEGMENT[:cut]) == BATCHES[:whole]
    assert all(not isinstance(item, records.Damaged) for item in items)


def test_a_record_cut_short_in_the_middle_hides_none_after_it() -> None:
    # a write that failed part-way (disk full) and was not cut back, then more appends
    torn = records.encode(batch(500, 40))[:-30]
    data = records.encode(group(BATCHES[0])) + torn + SEGMENT
    assert found(data) == [BATCHES[0], *BATCHES]
    damaged = [item for item in records.scan(data) if isinstance(item, records.Damaged)]
    assert [d.count for d in damaged] == [40]


def test_a_damaged_record_on_disk_is_logged_counted_and_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path, 1 << 20)
    spool.open()
    for b in BATCHES:
        spool.append(group(b))
    spool.close()
    segment = next((tmp_path / "slot-0").glob("segment-*"))
    data = bytearray(segment.read_bytes())
    data[len(records.encode(group(BATCHES[0]))) + 30] ^= 0x04  # inside the second record
    segment.write_bytes(bytes(data))
    reopened = Spool(tmp_path, 1 << 20)
    with caplog.at_level(logging.ERROR):
        reopened.open()
    kept = [r for b in BATCHES[:1] + BATCHES[2:] for r in b]
    assert drain(reopened) == sorted(kept, key=lambda r: r.timestamp_ms)
    assert (reopened.counts.damaged_records, reopened.counts.lost_readings) == (1, 2)
    assert "2 readings lost" in caplog.text
    reopened.close()


def test_spool_resumes_after_replayed_batches_and_drops_a_torn_tail(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20)
    spool.open()
    for start in (0, 10, 20):
        spool.append(batch(start, 10))
    first = spool.peek(10)
    assert first is not None
    spool.done(first)
    spool.close()
    segment = next((tmp_path / "slot-0").glob("segment-*"))
    with segment.open("ab") as torn:
        torn.write(records.encode(batch(90, 10))[:17])  # a crash in the middle of an append
    again = Spool(tmp_path, 1 << 20)
    again.open()
    assert again.counts.torn_records == 1
    again.append(batch(30, 10))
    again.close()
    reopened = Spool(tmp_path, 1 << 20)
    reopened.open()
    assert drain(reopened) == readings(10, 30)
    assert reopened.readings == 0
    assert reopened.counts.damaged_records == 0
    reopened.close()


def test_spool_is_bounded_and_slots_are_per_process(tmp_path: Path) -> None:
    first, second = Spool(tmp_path, 4096), Spool(tmp_path, 4096)
    first.open()
    second.open()
    assert first.directory != second.directory
    taken, refused = fill(first)
    assert "spool is full" in str(refused)
    assert 0 < first.readings == len(taken) < 1000
    first.close()
    second.close()


class FillingDisk(Disk):
    """A disk with `room` bytes left that says it has plenty (another writer fills it)."""

    def __init__(self, room: int, honest: bool = False) -> None:
        self.room = room
        self.honest = honest

    def free_bytes(self, directory: Path) -> int:
        return self.room if self.honest else 1 << 30

    def write(self, fd: int, data: bytes) -> None:
        if len(data) > self.room:
            os.write(fd, data[: self.room])  # the part that fitted
            self.room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        super().write(fd, data)


def test_a_disk_filling_mid_append_refuses_that_batch_and_keeps_the_others(
    tmp_path: Path,
) -> None:
    disk = FillingDisk(room=3000)
    spool = Spool(tmp_path, 1 << 20, disk)
    spool.open()
    taken, refused = fill(spool)
    assert "full" in str(refused)
    assert refused.retry_after_seconds > 0
    disk.room = 1 << 20  # space again
    spool.append(batch(5000, 10))
    spool.close()
    reopened = Spool(tmp_path, 1 << 20)
    reopened.open()
    assert drain(reopened) == [*taken, *readings(5000, 10)]
    assert reopened.counts.damaged_records == reopened.counts.torn_records == 0
    reopened.close()


def test_free_space_is_checked_before_anything_is_written(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20, FillingDisk(room=66_000, honest=True))
    spool.open()
    with pytest.raises(StorageFull, match="bytes free"):
        spool.append(batch(0, 200))
    assert spool.readings == 0
    assert spool.full
    spool.close()


def test_the_cursor_survives_a_torn_slot(tmp_path: Path) -> None:
    cursor = Cursor(tmp_path / "cursor.bin")
    assert cursor.open() == (0, 0)
    cursor.save(3, 100)
    cursor.save(3, 200)
    cursor.close()
    with (tmp_path / "cursor.bin").open("r+b") as raw:
        raw.seek((cursor.sequence % 2) * 32 + 5)  # tear the newest slot
        raw.write(b"\xff\xff")
    again = Cursor(tmp_path / "cursor.bin")
    assert again.open() == (3, 100)
    again.close()


def test_a_spool_of_the_old_line_format_is_moved_over(tmp_path: Path) -> None:
    slot = tmp_path / "slot-0"
    slot.mkdir()
    lines = []
    for part in (readings(0, 5), readings(5, 5), readings(10, 5)):
        payload = orjson.dumps([list(r) for r in part])
        lines.append(b"%08x %s\n" % (zlib.crc32(payload), payload))
    (slot / "segment-00000000.log").write_bytes(b"".join(lines) + b"0badc0de [")
    (slot / "cursor").write_text(f"0 {len(lines[0])}\n")
    spool = Spool(tmp_path, 1 << 20)
    spool.open()
    assert drain(spool) == readings(5, 10)
    assert not list(slot.glob("*.log"))
    spool.close()


def test_a_record_keeps_the_values_as_sent_and_the_readings_awaiting_calibration_apart(
    tmp_path: Path,
) -> None:
    """Three parts of a write in one record, each back as it went in; the reading count is
    that of the readings (not of the values as sent); a chunk holding readings that await
    calibration is not merged (the replay calibrates them first)."""
    spooled = records.Spooled(batch(0, 6), group(readings(100, 4)), group(readings(200, 3)))
    back = records.decode(records.encode(spooled))
    for part in ("readings", "sent", "uncalibrated"):
        assert readings_of(getattr(back, part)) == readings_of(getattr(spooled, part))
    assert records.count(records.encode(spooled)) == 9
    spool = Spool(tmp_path / "spool", 1 << 20)
    spool.open()
    spool.append(records.Spooled({}, group(readings(300, 2))))
    spool.append(spooled)
    assert spool.readings == 9
    chunk = spool.peek(100)
    assert chunk is not None
    assert chunk.merged is None
    assert len(chunk.spooled) == 2
    assert readings_of(chunk.sent) == sorted(
        readings(100, 4) + readings(300, 2), key=lambda r: (r.sensor_id or "", r.timestamp_ms)
    )
    spool.close()


def test_a_record_of_an_earlier_version_holds_readings_stored_as_they_are() -> None:
    """Records written before the parts existed (index entries of six fields) still decode."""
    run = batch(0, 1)[("lab", None)]
    index = orjson.dumps([["lab", None, run.first_ms, run.last_ms, 1, len(run.encoded)]])
    payload = len(index).to_bytes(4, "little") + index + run.encoded
    numbers = (records.MAGIC, len(payload), 1, zlib.crc32(payload))
    header = records._HEADER.pack(*numbers, 0)[:-4]
    record = header + zlib.crc32(header).to_bytes(4, "little") + payload
    back = records.decode(record)
    assert readings_of(back.readings) == readings(0, 1)
    assert back.sent == {}
    assert back.uncalibrated == {}
