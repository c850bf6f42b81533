"""Refusals of the rewards app. Each has a stable `code` the API answers as is (`loyalty.api.errors`)."""

from loyalty.errors import Conflict, ValidationFailed


class OutOfStock(Conflict):
    code = "out_of_stock"


class TierRequired(Conflict):
    code = "tier_required"


class SegmentRequired(Conflict):
    """The reward is limited to a segment the member is not in."""

    code = "segment_required"


class LimitReached(Conflict):
    code = "limit_reached"


class RewardInactive(Conflict):
    """Switched off by the merchant, or its window has not opened yet."""

    code = "reward_inactive"


class RewardExpired(Conflict):
    """Its window (`ends_at`) has closed."""

    code = "reward_expired"


class AlreadyUsed(Conflict):
    code = "already_used"


class VoucherExpired(Conflict):
    code = "voucher_expired"


class VoucherCancelled(Conflict):
    code = "voucher_cancelled"


class AlreadyFulfilled(Conflict):
    code = "already_fulfilled"


class MinSubtotalNotMet(Conflict):
    code = "min_subtotal_not_met"


class NotVariableReward(Conflict):
    """Points for discount asked of a reward with a fixed points cost."""

    code = "reward_not_variable"


class VariableReward(Conflict):
    """A points-for-discount reward redeemed at a fixed cost: its points are chosen at checkout."""

    code = "reward_variable"


class InvalidPointsAmount(ValidationFailed):
    """Points for discount: not a positive multiple of the step, or worth more than the order."""

    code = "invalid_points"
