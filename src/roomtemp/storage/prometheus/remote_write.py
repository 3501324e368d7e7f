"""Prometheus remote write 1.0: a WriteRequest encoded by protobuf, compressed by snappy.

The message types are declared once as a protobuf descriptor (the subset of prompb's
`remote.proto`/`types.proto` that remote write 1.0 needs); the protobuf library does the
encoding and cramjam the snappy block compression, so no wire format is written by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import cramjam
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HEADERS = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}

Labels = tuple[tuple[str, str], ...]
"""A series' labels, `__name__` included, sorted by name as remote write requires."""

Sample = tuple[int, float]
"""(timestamp in epoch ms, value)."""

_FIELD = descriptor_pb2.FieldDescriptorProto


def _message(name: str, fields: Sequence[tuple[str, int, int, int, str]]) -> Any:
    message = descriptor_pb2.DescriptorProto(name=name)
    for field_name, number, kind, label, type_name in fields:
        field = message.field.add(name=field_name, number=number, type=kind, label=label)
        if type_name:
            field.type_name = type_name
    return message


def _build_write_request() -> Any:
    optional, repeated = _FIELD.LABEL_OPTIONAL, _FIELD.LABEL_REPEATED
    proto = descriptor_pb2.FileDescriptorProto(
        name="roomtemp_prompb.proto", package="prometheus", syntax="proto3"
    )
    proto.message_type.extend(
        [
            _message(
                "Label",
                [
                    ("name", 1, _FIELD.TYPE_STRING, optional, ""),
                    ("value", 2, _FIELD.TYPE_STRING, optional, ""),
                ],
            ),
            _message(
                "Sample",
                [
                    ("value", 1, _FIELD.TYPE_DOUBLE, optional, ""),
                    ("timestamp", 2, _FIELD.TYPE_INT64, optional, ""),
                ],
            ),
            _message(
                "TimeSeries",
                [
                    ("labels", 1, _FIELD.TYPE_MESSAGE, repeated, ".prometheus.Label"),
                    ("samples", 2, _FIELD.TYPE_MESSAGE, repeated, ".prometheus.Sample"),
                ],
            ),
            _message(
                "WriteRequest",
                [("timeseries", 1, _FIELD.TYPE_MESSAGE, repeated, ".prometheus.TimeSeries")],
            ),
        ]
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("prometheus.WriteRequest"))


WriteRequest = _build_write_request()


def encode(series: Iterable[tuple[Labels, Sequence[Sample]]]) -> bytes:
    """A snappy-compressed WriteRequest holding each series with its samples in time order."""
    request = WriteRequest(
        timeseries=[
            {
                "labels": [{"name": name, "value": text} for name, text in labels],
                "samples": [{"value": value, "timestamp": ts} for ts, value in sorted(samples)],
            }
            for labels, samples in series
        ]
    )
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def series_labels(metric: str, **labels: str | None) -> Labels:
    """Sorted labels of one series; labels whose value is None or empty are left out."""
    pairs = [(name, value) for name, value in labels.items() if value]
    return (("__name__", metric), *sorted(pairs))
