"""Return annotations made only of text are encoded directly; number-typed ones keep validation."""

from __future__ import annotations

import enum

from framework.binding.rendering import build_encoder


class Colour(enum.StrEnum):
    RED = "red"


def test_text_annotations_encode_like_the_validated_path() -> None:
    encode = build_encoder(dict[str, str])
    assert encode({"colour": Colour.RED, "name": "x"}) == b'{"colour":"red","name":"x"}'
    assert build_encoder(list[dict[str, str]])([{"a": "b"}]) == b'[{"a":"b"}]'
    assert build_encoder(str)("plain") == b'"plain"'


def test_number_annotations_still_validate_the_result() -> None:
    assert build_encoder(dict[str, float])({"price": 1}) == b'{"price":1.0}'
    assert build_encoder(list[int])(["7"]) == b"[7]"
