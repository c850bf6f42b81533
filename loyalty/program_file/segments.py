"""The optional `segments` section (named groups of members by conditions, see loyalty/segment_conditions.py)
and the `segment` reference earning rules and rewards may carry."""

from typing import Any

from loyalty.choices import SegmentMatch
from loyalty.program_file import bounds
from loyalty.program_file.reader import Reader, child
from loyalty.segment_conditions import ConditionError, conditions_validate

MAX_SEGMENTS = 100


def segments_read(reader: Reader, value: Any, path: str, *, tier_keys: list[str]) -> list[dict]:
    """The segments, each problem of their conditions one line ("segments[0].conditions: condition 2: …")."""
    items = reader.array(value, path, max_items=MAX_SEGMENTS) or []
    segments = [
        _segment_read(reader, item, child(path, index), tier_keys=tier_keys) for index, item in enumerate(items)
    ]
    reader.unique_keys(
        [(child(child(path, i), "key"), segment["key"]) for i, segment in enumerate(segments) if segment.get("key")],
        "segment",
    )
    return segments


def _segment_read(reader: Reader, value: Any, path: str, *, tier_keys: list[str]) -> dict:
    item = reader.obj(value, path, required=("key", "name", "conditions"), optional=("description", "match"))
    if item is None:
        return {}
    segment: dict[str, Any] = {"match": SegmentMatch.ALL.value}
    if "key" in item:
        segment["key"] = reader.key(item["key"], child(path, "key"))
    if "name" in item:
        segment["name"] = reader.string(item["name"], child(path, "name"), max_length=bounds.MAX_NAME)
    if "description" in item:
        segment["description"] = reader.string(item["description"], child(path, "description"), max_length=2000)
    if "match" in item:
        segment["match"] = reader.string(item["match"], child(path, "match"), max_length=3,
                                         choices=SegmentMatch.values)  # fmt: skip
    if "conditions" in item:
        try:
            segment["conditions"] = conditions_validate(item["conditions"], tier_keys=set(tier_keys))
        except ConditionError as exc:
            for problem in exc.problems:
                reader.problem(child(path, "conditions"), problem)
    return segment


def segment_refs_check(reader: Reader, items: list[dict], path: str, *, segment_keys: set[str]) -> None:
    """Every `segment` of these rules or rewards names a segment of the file."""
    for index, item in enumerate(items):
        key = item.get("segment")
        if key is not None and key not in segment_keys:
            reader.problem(child(child(path, index), "segment"), f"no segment with key {key!r} in segments")


def segment_ref_read(reader: Reader, item: dict, path: str, out: dict) -> None:
    """Copy a rule's or reward's `segment` key into `out` (absent when not limited)."""
    if item.get("segment") is not None:
        out["segment"] = reader.key(item["segment"], child(path, "segment"))
