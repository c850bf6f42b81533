"""Admin forms of the program configuration. Their rules are the program file's: each form turns its row
into the program file's JSON shape and runs the program file's own reader on it, so the admin and an
imported file accept and refuse exactly the same values, with the same messages."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django import forms
from django.forms.models import BaseInlineFormSet

from loyalty.admin_base import https_url_formfield
from loyalty.choices import RuleType
from loyalty.models import EarningRule, Program, Tier
from loyalty.program_file import bounds
from loyalty.program_file.earning import _rule_read
from loyalty.program_file.reader import Reader, decimal_money, decimal_plain
from loyalty.program_file.rewards import _reward_read, referrals_read
from loyalty.program_file.tiers import _level_read, tiers_read
from rewards.models import Reward

ColorInput = forms.TextInput(attrs={"type": "color", "class": "vColorField"})


def program_file_value(value):
    """A form value in the program file's JSON form: decimals as strings, datetimes in ISO 8601."""
    if isinstance(value, Decimal):
        return decimal_plain(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def program_file_errors(read: Callable[[Reader, dict, str], object], item: dict) -> dict[str | None, list[str]]:
    """Run a program file reader on one item: its problem lines ("threshold: must be …"), keyed by the
    top-level field they are about (None for the item as a whole)."""
    reader = Reader()
    read(reader, item, "")
    errors: dict[str | None, list[str]] = {}
    for line in reader.problems:
        path, separator, _message = line.partition(": ")
        field = path.split(".")[0].split("[")[0] if separator else None
        errors.setdefault(field, []).append(line)
    return errors


class ProgramFileCheckedForm(forms.ModelForm):
    """A row form whose `clean` runs the program file's reader. Problems on fields the form has land on
    those fields; any other problem (a limit's period, a nested key) on the form as a whole."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "key" in self.fields:
            # The program file's key rule (checked in `clean`) replaces the slug field's own, more lenient one.
            self.fields["key"].validators = []

    def program_file_item(self, data: dict) -> dict:
        raise NotImplementedError

    def program_file_read(self, reader: Reader, item: dict, path: str) -> None:
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        item = {key: program_file_value(value) for key, value in self.program_file_item(data).items()}
        for field, lines in program_file_errors(self.program_file_read, item).items():
            for line in lines:
                self.add_error(field if field in self.fields else None, line)
        return data


class EarningRuleForm(ProgramFileCheckedForm):
    class Meta:
        model = EarningRule
        fields = [
            "key",
            "type",
            "name",
            "points",
            "event",
            "limit_count",
            "limit_period",
            "min_subtotal",
            "starts_at",
            "ends_at",
            "segment",
            "active",
            "position",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "type" in self.fields:  # bonus campaigns have their own inline
            self.fields["type"].choices = [c for c in self.fields["type"].choices if c[0] != RuleType.BONUS_MULTIPLIER]

    def program_file_item(self, data: dict) -> dict:
        item = {"key": data.get("key"), "type": data.get("type"), "active": data.get("active", True)}
        for name in ("name", "event", "points", "min_subtotal", "multiplier", "starts_at", "ends_at"):
            if data.get(name) not in (None, ""):
                item[name] = data[name]
        if data.get("limit_count") or data.get("limit_period"):
            item["limit"] = {"count": data.get("limit_count"), "period": data.get("limit_period") or None}
        return item

    def program_file_read(self, reader, item, path):
        _rule_read(reader, item, path)


class BonusCampaignForm(EarningRuleForm):
    """A bonus campaign is an earning rule of type `bonus_multiplier`: every order in its window earns
    the multiplier on top."""

    class Meta(EarningRuleForm.Meta):
        fields = ["key", "name", "multiplier", "starts_at", "ends_at", "segment", "active", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.type = RuleType.BONUS_MULTIPLIER

    def program_file_item(self, data: dict) -> dict:
        return super().program_file_item({**data, "type": RuleType.BONUS_MULTIPLIER})


class TierForm(ProgramFileCheckedForm):
    perks_text = forms.CharField(
        label="Perks", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="One perk per line."
    )

    class Meta:
        model = Tier
        fields = ["key", "name", "position", "threshold", "invite_only", "multiplier"]
        help_texts = {"threshold": "Empty for an invite-only tier (assigned by hand from a member's page)."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["perks_text"].initial = "\n".join(self.instance.perks or [])

    def program_file_item(self, data: dict) -> dict:
        item = {"key": data.get("key"), "name": data.get("name"), "multiplier": data.get("multiplier") or Decimal(1)}
        if data.get("invite_only"):
            item["invite_only"] = True
        if data.get("threshold") is not None:
            threshold = data["threshold"]
            item["threshold"] = int(threshold) if threshold == int(threshold) else threshold
        item["perks"] = self._perks(data)
        return item

    def _perks(self, data) -> list[str]:
        return [line.strip() for line in (data.get("perks_text") or "").splitlines() if line.strip()]

    def program_file_read(self, reader, item, path):
        program = self.instance.program if self.instance.program_id else None
        metric = program.tier_metric if program else None
        _level_read(reader, item, path, metric=metric)

    def save(self, commit=True):
        self.instance.perks = self._perks(self.cleaned_data)
        return super().save(commit)


class RewardForm(ProgramFileCheckedForm):
    class Meta:
        model = Reward
        formfield_callback = https_url_formfield  # URLs typed without a scheme are https
        fields = [
            "key", "name", "type", "active", "points_cost", "value", "product_id", "variable", "max_points",
            "min_tier", "stock", "limit_per_member", "min_subtotal", "starts_at", "ends_at", "code_expiry_days",
            "position", "description", "image_url",
        ]  # fmt: skip

    def program_file_item(self, data: dict) -> dict:
        item = {name: data.get(name) for name in ("key", "name", "type", "points_cost")}
        item["active"] = data.get("active", True)
        for name in (
            "description", "image_url", "value", "product_id", "max_points", "stock", "limit_per_member",
            "min_subtotal", "code_expiry_days", "starts_at", "ends_at",
        ):  # fmt: skip
            if data.get(name) not in (None, ""):
                item[name] = data[name]
        if data.get("variable"):
            item["variable"] = True
        if data.get("min_tier"):
            item["min_tier"] = data["min_tier"].key
        return item

    def program_file_read(self, reader, item, path):
        program_id = self.instance.program_id
        tier_keys = list(Tier.objects.filter(program_id=program_id).values_list("key", flat=True)) if program_id else []
        _reward_read(reader, item, path, tier_keys=tier_keys)


class TierFormSet(BaseInlineFormSet):
    """The tiers as a whole, by the program file's ladder rules: one entry tier at threshold 0, then rising
    thresholds in rank order, unique keys. (Each row's own rules are checked by `TierForm`.)"""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        alive = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        alive.sort(key=lambda form: form.cleaned_data.get("position") or 0)
        levels = [
            {key: program_file_value(value) for key, value in form.program_file_item(form.cleaned_data).items()}
            for form in alive
        ]
        metric = self.instance.tier_metric
        row_reader = Reader()
        for index, level in enumerate(levels):
            _level_read(row_reader, level, f"levels[{index}]", metric=metric)
        section_reader = Reader()
        tiers_read(section_reader, {"metric": metric, "levels": levels}, "")
        problems = [line for line in section_reader.problems if line not in row_reader.problems]
        for index, level in reversed(list(enumerate(levels))):
            problems = [line.replace(f"levels[{index}]", f"tier {level.get('key')!r}") for line in problems]
        if problems:
            raise forms.ValidationError(problems)


class OriginsField(forms.CharField):
    """The allowed storefront origins, one per line (`https://shop.example.com`)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]

    def validate(self, value):
        bad = [origin for origin in value if not bounds.ORIGIN_PATTERN.fullmatch(origin)]
        if bad:
            raise forms.ValidationError(
                "allowed_origins: %(bad)s must be an origin like https://shop.example.com (no path)",
                params={"bad": ", ".join(bad)},
            )


class ProgramForm(forms.ModelForm):
    allowed_origins = OriginsField(
        required=False, help_text="Storefront origins the widget may be called from, one per line."
    )

    class Meta:
        model = Program
        formfield_callback = https_url_formfield  # URLs typed without a scheme are https
        # The admin narrows this list to its fieldsets; secrets and keys are never form fields.
        fields = [
            "merchant", "name", "slug", "currency", "locale", "timezone", "shop_url", "terms_url",
            "points_name_singular", "points_name_plural", "primary_color", "accent_color", "logo_url",
            "points_per_currency_unit", "point_value", "pending_days", "tier_metric", "tier_period",
            "expiry_policy", "expiry_days", "expiry_warn_days_before",
            "referrals_enabled", "referral_qualifying_min_subtotal", "referrer_reward", "friend_reward",
            "allowed_origins",
        ]  # fmt: skip
        widgets = {"primary_color": ColorInput, "accent_color": ColorInput}
        help_texts = {
            "referrer_reward": 'What the referrer gets, e.g. {"type": "points", "points": 500}.',
            "friend_reward": 'What the friend gets, e.g. {"type": "fixed_discount", "value": "10.00"}.',
        }

    def clean(self):
        data = super().clean()
        reader = Reader()
        checks = {
            "primary_color": lambda v: reader.string(
                v,
                "primary_color",
                max_length=7,
                pattern=bounds.COLOR_PATTERN,
                pattern_hint="must be a colour like #0a7d5a",
            ),
            "accent_color": lambda v: reader.string(
                v,
                "accent_color",
                max_length=7,
                pattern=bounds.COLOR_PATTERN,
                pattern_hint="must be a colour like #f5b700",
            ),
            "slug": lambda v: reader.string(
                v, "slug", max_length=60, pattern=bounds.SLUG_PATTERN, pattern_hint=bounds.SLUG_HINT
            ),
            "currency": lambda v: reader.string(
                v,
                "currency",
                max_length=3,
                pattern=bounds.CURRENCY_PATTERN,
                pattern_hint="must be an ISO 4217 code like USD",
            ),
            "locale": lambda v: reader.string(v, "locale", max_length=10, choices=bounds.LOCALES),
            "points_per_currency_unit": lambda v: reader.decimal(
                program_file_value(v), "points_per_currency_unit", places=4, minimum=Decimal(0), maximum=bounds.RATE_MAX
            ),
            "pending_days": lambda v: reader.integer(v, "pending_days", minimum=0, maximum=bounds.MAX_PENDING_DAYS),
        }
        for field, check in checks.items():
            if data.get(field) is not None:
                check(data[field])
        for line in reader.problems:
            field, _separator, _message = line.partition(": ")
            self.add_error(field, line)
        self._check_referral_offer(data)
        return data

    # The program file's `referrals` section ↔ the program's referral fields.
    REFERRAL_FIELDS = {
        "enabled": "referrals_enabled",
        "qualifying_min_subtotal": "referral_qualifying_min_subtotal",
        "referrer_reward": "referrer_reward",
        "friend_reward": "friend_reward",
    }

    def _check_referral_offer(self, data: dict) -> None:
        if not set(self.REFERRAL_FIELDS.values()) <= set(self.fields):
            return
        section = {"enabled": bool(data.get("referrals_enabled"))}
        if data.get("referral_qualifying_min_subtotal") is not None:
            section["qualifying_min_subtotal"] = decimal_money(data["referral_qualifying_min_subtotal"])
        for side in ("referrer_reward", "friend_reward"):
            if data.get(side):
                section[side] = data[side]
        for key, lines in program_file_errors(referrals_read, section).items():
            field = self.REFERRAL_FIELDS.get(key)
            for line in lines:
                self.add_error(field if field in self.fields else None, line)
