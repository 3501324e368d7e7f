"""The hand-written remote-write encoding is the protobuf library's, byte for byte decoded."""

from __future__ import annotations

from typing import Any

import cramjam
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from hypothesis import given
from hypothesis import strategies as st

from roomtemp.storage.prometheus.remote_write import (
    Labels,
    Sample,
    decode_samples,
    encode,
    encode_samples,
    series_labels,
)


def write_request_class() -> Any:
    """prompb's WriteRequest, declared from remote.proto/types.proto (the remote write 1.0 part)."""
    field = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(name="prompb.proto", package="p", syntax="proto3")
    layout = {
        "Label": [("name", 1, field.TYPE_STRING, ""), ("value", 2, field.TYPE_STRING, "")],
        "Sample": [("value", 1, field.TYPE_DOUBLE, ""), ("timestamp", 2, field.TYPE_INT64, "")],
        "TimeSeries": [
            ("labels", 1, field.TYPE_MESSAGE, ".p.Label"),
            ("samples", 2, field.TYPE_MESSAGE, ".p.Sample"),
        ],
        "WriteRequest": [("timeseries", 1, field.TYPE_MESSAGE, ".p.TimeSeries")],
    }
    for name, fields in layout.items():
        message = proto.message_type.add(name=name)
        for field_name, number, kind, type_name in fields:
            label = field.LABEL_REPEATED if type_name else field.LABEL_OPTIONAL
            added = message.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                added.type_name = type_name
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("p.WriteRequest"))


WriteRequest = write_request_class()
label_text = st.text(min_size=1, max_size=20)
samples = st.lists(
    st.tuples(
        st.integers(-(2**63), 2**63 - 1),
        st.floats(allow_nan=False),
    ),
    max_size=20,
    unique_by=lambda s: s[0],
)


@given(
    st.lists(
        st.tuples(st.dictionaries(st.from_regex("^[a-z_]{1,8}$"), label_text, max_size=3), samples),
        max_size=5,
    )
)
def test_encoding_decodes_as_the_protobuf_library_reads_it(
    found: list[tuple[dict[str, str], list[Sample]]],
) -> None:
    series: list[tuple[Labels, list[Sample]]] = [
        (series_labels("m", **labels), points) for labels, points in found
    ]
    decoded = WriteRequest.FromString(bytes(cramjam.snappy.decompress_raw(encode(series))))
    expected = WriteRequest(
        timeseries=[
            {
                "labels": [{"name": n, "value": v} for n, v in labels],
                "samples": [{"value": v, "timestamp": t} for t, v in sorted(points)],
            }
            for labels, points in series
        ]
    )
    assert decoded == expected


@given(samples)
def test_encoded_samples_decode_to_themselves(points: list[Sample]) -> None:
    ordered = sorted(points)
    assert decode_samples(encode_samples(ordered)) == ordered
