"""The program file: one JSON document describing a whole program (schema: contract/program.example.json).

`program_file_parse` validates the WHOLE document, collecting every problem as one line with its JSON
path, and returns it in canonical form (every section present, defaults filled in, decimals and datetimes
written one way). Creating a program from the canonical form and exporting it gives the same document
back, which is what makes `export_program` round-trip through `create_program`."""

import functools
import zoneinfo
from typing import Any

from loyalty.choices import ExpiryPolicy
from loyalty.errors import ValidationFailed
from loyalty.program_file import bounds
from loyalty.program_file.earning import earning_read
from loyalty.program_file.reader import Reader, child
from loyalty.program_file.rewards import referrals_read, rewards_read
from loyalty.program_file.segments import segment_refs_check, segments_read
from loyalty.program_file.tiers import tiers_read

__all__ = ["ProgramFileInvalid", "program_file_parse"]

REQUIRED = ("merchant", "name", "slug", "currency")
OPTIONAL = (
    "locale",
    "timezone",
    "points_name",
    "branding",
    "terms_url",
    "shop_url",
    "allowed_origins",
    "earning",
    "tiers",
    "expiry",
    "rewards",
    "referrals",
    "segments",
)
DEFAULT_COLORS = {"primary_color": "#0a7d5a", "accent_color": "#f5b700"}
MAX_ORIGINS = 20


class ProgramFileInvalid(ValidationFailed):
    code = "invalid_program_file"

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = [f"{path}: {message}" if path else message for path, message in problems]
        fields: dict[str, list[str]] = {}
        for path, message in problems:
            fields.setdefault(path or "(file)", []).append(message)
        count = len(self.problems)
        super().__init__(f"The program file has {count} problem{'s' if count != 1 else ''}.", fields=fields)


def program_file_parse(document: Any) -> dict:
    """The canonical program document, or ProgramFileInvalid listing every problem."""
    reader = Reader()
    if not isinstance(document, dict):
        reader.problem("", "the program file must be a JSON object")
        raise ProgramFileInvalid(reader.issues)
    top = reader.obj(document, "", required=REQUIRED, optional=OPTIONAL) or {}
    program = _identity_read(reader, top)
    tiers = tiers_read(reader, top.get("tiers", {}), "tiers")
    tier_keys = [level["key"] for level in tiers["levels"] if level.get("key")]
    segments = segments_read(reader, top.get("segments", []), "segments", tier_keys=tier_keys)
    program.update(
        {
            "earning": earning_read(reader, top.get("earning", {}), "earning"),
            "tiers": tiers,
            "expiry": _expiry_read(reader, top.get("expiry", {"policy": ExpiryPolicy.NEVER.value}), "expiry"),
            "rewards": rewards_read(
                reader,
                top.get("rewards", []),
                "rewards",
                tier_keys=[level["key"] for level in tiers["levels"] if level.get("key")],
            ),
            "referrals": referrals_read(reader, top.get("referrals", {}), "referrals"),
            "segments": segments,
        }
    )
    segment_keys = {segment["key"] for segment in segments if segment.get("key")}
    segment_refs_check(reader, program["earning"]["rules"], "earning.rules", segment_keys=segment_keys)
    segment_refs_check(reader, program["rewards"], "rewards", segment_keys=segment_keys)
    if reader.issues:
        raise ProgramFileInvalid(reader.issues)
    return program


def _identity_read(reader: Reader, top: dict) -> dict:
    """Who runs the program and how it looks: everything above the `earning` section."""
    out: dict[str, Any] = {}
    for key in ("merchant", "name"):
        out[key] = reader.string(top[key], key, max_length=bounds.MAX_NAME) if key in top else None
    out["slug"] = (
        reader.string(
            top["slug"], "slug", max_length=bounds.MAX_KEY, pattern=bounds.SLUG_PATTERN, pattern_hint=bounds.SLUG_HINT
        )
        if "slug" in top
        else None
    )
    out["currency"] = (
        reader.string(
            top["currency"],
            "currency",
            max_length=3,
            pattern=bounds.CURRENCY_PATTERN,
            pattern_hint="must be a 3-letter ISO 4217 code in capitals, like 'USD'",
        )
        if "currency" in top
        else None
    )
    out["locale"] = (
        reader.string(top["locale"], "locale", max_length=2, choices=bounds.LOCALES) if "locale" in top else "en"
    )
    out["timezone"] = _timezone_read(reader, top["timezone"], "timezone") if "timezone" in top else "UTC"
    out["points_name"] = _points_name_read(reader, top.get("points_name"), "points_name")
    out["branding"] = _branding_read(reader, top.get("branding", {}), "branding")
    out["terms_url"] = reader.url(top.get("terms_url"), "terms_url")
    out["shop_url"] = reader.url(top.get("shop_url"), "shop_url")
    out["allowed_origins"] = _origins_read(reader, top.get("allowed_origins", []), "allowed_origins")
    return out


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone_read(reader: Reader, value: Any, path: str) -> str | None:
    name = reader.string(value, path, max_length=64)
    if name is not None and name not in _timezones():
        reader.problem(path, "must be an IANA time zone, like 'Europe/Paris' or 'UTC'")
        return None
    return name


def _points_name_read(reader: Reader, value: Any, path: str) -> dict:
    if value is None:
        return {"singular": "Point", "plural": "Points"}
    names = reader.obj(value, path, required=("singular", "plural")) or {}
    return {
        form: reader.string(names[form], child(path, form), max_length=bounds.MAX_POINTS_NAME)
        if form in names
        else None
        for form in ("singular", "plural")
    }


def _branding_read(reader: Reader, value: Any, path: str) -> dict:
    branding = reader.obj(value, path, optional=("primary_color", "accent_color", "logo_url")) or {}
    out: dict[str, Any] = {}
    for key, default in DEFAULT_COLORS.items():
        out[key] = default
        if key in branding:
            out[key] = reader.string(
                branding[key],
                child(path, key),
                max_length=7,
                pattern=bounds.COLOR_PATTERN,
                pattern_hint="must be a colour like '#0a7d5a'",
            )
    out["logo_url"] = reader.url(branding.get("logo_url"), child(path, "logo_url"))
    return out


def _origins_read(reader: Reader, value: Any, path: str) -> list[str]:
    items = reader.array(value, path, max_items=MAX_ORIGINS) or []
    origins = []
    for index, item in enumerate(items):
        origin = reader.string(
            item,
            child(path, index),
            max_length=200,
            pattern=bounds.ORIGIN_PATTERN,
            pattern_hint="must be an origin like 'https://shop.example' (scheme and host, no path)",
        )
        if origin in origins:
            reader.problem(child(path, index), f"duplicate origin {origin!r}")
        origins.append(origin)
    return origins


def _expiry_read(reader: Reader, value: Any, path: str) -> dict:
    policy_value = value.get("policy") if isinstance(value, dict) else None
    expires = policy_value in (ExpiryPolicy.FIXED, ExpiryPolicy.INACTIVITY)
    never = policy_value == ExpiryPolicy.NEVER
    if never:
        optional = ()
    elif expires:
        optional = ("warn_days_before",)
    else:  # no policy or an unknown one (reported below): still judge the other keys
        optional = ("days", "warn_days_before")
    section = reader.obj(
        value,
        path,
        required=("policy",),
        variant=(("days",) if expires else (), f"for policy {policy_value}"),
        optional=optional,
        elsewhere=dict.fromkeys(("days", "warn_days_before"), "not allowed with policy never") if never else None,
    )
    if section is None:
        return {}
    out: dict[str, Any] = {}
    if "policy" in section:
        out["policy"] = reader.string(
            section["policy"], child(path, "policy"), max_length=20, choices=ExpiryPolicy.values
        )
    if "days" in section:
        out["days"] = reader.integer(section["days"], child(path, "days"), minimum=1, maximum=bounds.MAX_DAYS)
    if "warn_days_before" in section:
        warn = reader.integer(
            section["warn_days_before"], child(path, "warn_days_before"), minimum=1, maximum=bounds.MAX_DAYS
        )
        if warn is not None and out.get("days") is not None and warn >= out["days"]:
            reader.problem(child(path, "warn_days_before"), f"must be less than days ({out['days']})")
        out["warn_days_before"] = warn
    return out
