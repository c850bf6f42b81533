"""The `tiers` section. Levels are listed from the entry tier up; their order is their rank."""

import itertools
from decimal import Decimal
from typing import Any

from loyalty.choices import TierMetric, TierPeriod
from loyalty.program_file import bounds
from loyalty.program_file.reader import Reader, child

MAX_PERKS = 20


def tiers_read(reader: Reader, value: Any, path: str) -> dict:
    section = reader.obj(value, path, optional=("metric", "period", "levels")) or {}
    metric = TierMetric.POINTS_EARNED.value
    if "metric" in section:
        metric = reader.string(section["metric"], child(path, "metric"), max_length=20, choices=TierMetric.values)
    period = TierPeriod.LIFETIME.value
    if "period" in section:
        period = reader.string(section["period"], child(path, "period"), max_length=20, choices=TierPeriod.values)
    levels_path = child(path, "levels")
    items = reader.array(section.get("levels", []), levels_path, max_items=bounds.MAX_ITEMS) or []
    levels = [_level_read(reader, item, child(levels_path, i), metric=metric) for i, item in enumerate(items)]
    reader.unique_keys(
        [(child(child(levels_path, i), "key"), level["key"]) for i, level in enumerate(levels) if level.get("key")],
        "tier",
    )
    _ladder_check(reader, levels, levels_path)
    return {"metric": metric, "period": period, "levels": levels}


def _level_read(reader: Reader, value: Any, path: str, *, metric: str | None) -> dict:
    invite_only = isinstance(value, dict) and value.get("invite_only") is True
    item = reader.obj(
        value,
        path,
        required=("key", "name"),
        variant=((), "") if invite_only else (("threshold",), "unless the tier is invite_only"),
        optional=("invite_only", "multiplier", "perks"),
        elsewhere={"threshold": "not allowed for an invite-only tier (it is only ever assigned by hand)"}
        if invite_only
        else None,
    )
    if item is None:
        return {}
    level: dict[str, Any] = {}
    if "key" in item:
        level["key"] = reader.key(item["key"], child(path, "key"))
    if "name" in item:
        level["name"] = reader.string(item["name"], child(path, "name"), max_length=100)
    if "threshold" in item and metric:
        level["threshold"] = _threshold_read(reader, item["threshold"], child(path, "threshold"), metric=metric)
    if "invite_only" in item and reader.boolean(item["invite_only"], child(path, "invite_only")):
        level["invite_only"] = True
    level["multiplier"] = "1"
    if "multiplier" in item:
        level["multiplier"] = reader.decimal(
            item["multiplier"],
            child(path, "multiplier"),
            places=4,
            minimum=Decimal(0),
            maximum=bounds.MULTIPLIER_MAX,
            above_minimum=True,
        )
    level["perks"] = []
    if "perks" in item:
        perks = reader.array(item["perks"], child(path, "perks"), max_items=MAX_PERKS) or []
        level["perks"] = [
            reader.string(perk, child(child(path, "perks"), i), max_length=bounds.MAX_NAME)
            for i, perk in enumerate(perks)
        ]
    return level


def _threshold_read(reader: Reader, value: Any, path: str, *, metric: str) -> int | str | None:
    """Points and orders are counted in whole numbers; spend is money (a whole number or a decimal string)."""
    if metric == TierMetric.SPEND:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return reader.money(value, path)
    return reader.integer(value, path, minimum=0, maximum=bounds.MAX_POINTS * 100)


def _ladder_check(reader: Reader, levels: list[dict], path: str) -> None:
    """The tiers reached by thresholds need exactly one entry tier at 0, then rising thresholds."""
    ranked = [(i, level["threshold"]) for i, level in enumerate(levels) if level.get("threshold") is not None]
    if not ranked:
        return
    entries = [i for i, threshold in ranked if Decimal(threshold) == 0]
    if not entries:
        reader.problem(path, "needs an entry tier with threshold 0 (where every member starts)")
    for i in entries[1:]:
        reader.problem(child(child(path, i), "threshold"), "only one tier can have threshold 0 (the entry tier)")
    if entries and entries[0] != ranked[0][0]:
        reader.problem(child(path, entries[0]), "the entry tier (threshold 0) must be listed before the tiers above it")
    for (previous_index, previous), (index, threshold) in itertools.pairwise(ranked):
        if Decimal(threshold) <= Decimal(previous) and Decimal(threshold) != 0:
            reader.problem(
                child(child(path, index), "threshold"),
                f"must be greater than {previous}, the threshold of {child(path, previous_index)} "
                "(list tiers from the entry tier up)",
            )
