"""Prometheus exposition bodies as a Pushgateway takes them: the text format and the protobuf
delimited format (client_golang's default), both read into samples.

The protobuf messages are declared once as a descriptor, the subset of client_model's
`metrics.proto` that carries gauge, counter and untyped values (summaries and histograms are
skipped as unknown fields); the protobuf library decodes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError
from prometheus_client.parser import text_string_to_metric_families

from roomtemp.errors import InvalidInput

PROTOBUF_TYPE = "application/vnd.google.protobuf"
"""With `proto=io.prometheus.client.MetricFamily; encoding=delimited`."""


class Sample(NamedTuple):
    """One sample: its metric name, labels, value and timestamp (epoch seconds, or None)."""

    name: str
    labels: dict[str, str]
    value: float
    timestamp: float | None


_FIELD = descriptor_pb2.FieldDescriptorProto
_VALUE: list[tuple[str, int, int, str]] = [("value", 1, _FIELD.TYPE_DOUBLE, "")]
_MESSAGES: dict[str, list[tuple[str, int, int, str]]] = {
    "LabelPair": [("name", 1, _FIELD.TYPE_STRING, ""), ("value", 2, _FIELD.TYPE_STRING, "")],
    "Gauge": _VALUE,
    "Counter": _VALUE,
    "Untyped": _VALUE,
    "Metric": [
        ("label", 1, _FIELD.TYPE_MESSAGE, "LabelPair"),
        ("gauge", 2, _FIELD.TYPE_MESSAGE, "Gauge"),
        ("counter", 3, _FIELD.TYPE_MESSAGE, "Counter"),
        ("untyped", 5, _FIELD.TYPE_MESSAGE, "Untyped"),
        ("timestamp_ms", 6, _FIELD.TYPE_INT64, ""),
    ],
    "MetricFamily": [
        ("name", 1, _FIELD.TYPE_STRING, ""),
        ("help", 2, _FIELD.TYPE_STRING, ""),
        ("type", 3, _FIELD.TYPE_INT32, ""),
        ("metric", 4, _FIELD.TYPE_MESSAGE, "Metric"),
    ],
}
_REPEATED = {("Metric", "label"), ("MetricFamily", "metric")}


def _metric_family_class() -> Any:
    proto = descriptor_pb2.FileDescriptorProto(
        name="roomtemp_client_model.proto", package="io.prometheus.client", syntax="proto2"
    )
    for message_name, fields in _MESSAGES.items():
        message = proto.message_type.add(name=message_name)
        for name, number, kind, type_name in fields:
            repeated = (message_name, name) in _REPEATED
            label = _FIELD.LABEL_REPEATED if repeated else _FIELD.LABEL_OPTIONAL
            field = message.field.add(name=name, number=number, type=kind, label=label)
            if type_name:
                field.type_name = f".io.prometheus.client.{type_name}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    found = pool.FindMessageTypeByName("io.prometheus.client.MetricFamily")
    return message_factory.GetMessageClass(found)


MetricFamily = _metric_family_class()
"""io.prometheus.client.MetricFamily (the fields roomtemp reads)."""


def text_samples(body: bytes) -> list[Sample]:
    """Every sample of a text exposition body; InvalidInput (at the body, `()`) if it is not."""
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        raise InvalidInput.single((), f"body is not UTF-8: {exc}") from None
    try:
        return [
            Sample(s.name, dict(s.labels), s.value, _seconds(s.timestamp))
            for family in text_string_to_metric_families(text)
            for s in family.samples
        ]
    except ValueError as exc:
        raise InvalidInput.single((), f"not the text exposition format: {exc}") from None


def _seconds(timestamp: object) -> float | None:
    return None if timestamp is None else float(timestamp)  # type: ignore[arg-type]


def protobuf_samples(body: bytes) -> list[Sample]:
    """Every gauge, counter and untyped sample of a varint-delimited MetricFamily stream."""
    samples: list[Sample] = []
    for index, message in enumerate(_delimited(body)):
        family = MetricFamily()
        try:
            family.ParseFromString(message)
        except DecodeError as exc:
            raise InvalidInput.single(
                (), f"metric family {index} is not a valid protobuf MetricFamily: {exc}"
            ) from None
        samples += _family_samples(family)
    return samples


def _family_samples(family: Any) -> Iterator[Sample]:
    for metric in family.metric:
        kind = next((k for k in ("gauge", "counter", "untyped") if metric.HasField(k)), None)
        if kind is None:
            continue
        stamp = metric.timestamp_ms / 1000 if metric.HasField("timestamp_ms") else None
        labels = {pair.name: pair.value for pair in metric.label}
        yield Sample(family.name, labels, getattr(metric, kind).value, stamp)


def _delimited(body: bytes) -> Iterator[bytes]:
    """The messages of a stream where each is preceded by its length as a varint."""
    offset = 0
    while offset < len(body):
        length, offset = _varint(body, offset)
        if offset + length > len(body):
            raise InvalidInput.single(
                (), f"protobuf body is truncated: a message of {length} bytes at byte {offset}"
            )
        yield body[offset : offset + length]
        offset += length


def _varint(body: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while offset < len(body) and shift < 64:
        byte = body[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7
    raise InvalidInput.single((), "protobuf body is truncated inside a message length")
