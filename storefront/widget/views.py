"""Storefront widget API `/api/widget/v1/` (contract §4): public, CORS-enabled per program, the shopper
identified by the shop's HMAC digest. One APIView per operation; the work is in selectors and services."""

from decimal import Decimal

from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api import front
from loyalty.api.fields import IdField, MoneyField, idempotency_key_header
from loyalty.api.front import view_headers, with_view_headers
from loyalty.api.schema import error_response, write_errors
from loyalty.errors import NotFound
from loyalty.program_config import program_config
from loyalty.rules import order_points
from members.segments import order_rules_for
from members.selectors import member_get
from rewards.api.serializers import RedemptionOutputSerializer, redemption_answer
from rewards.selectors import reward_get
from rewards.services.redemptions import reward_redeem
from storefront.shoppers import (
    CUSTOMER_HEADER,
    DIGEST_HEADER,
    PROGRAM_HEADER,
    Unauthorized,
    request_program,
    shopper_identify,
)
from storefront.widget.caching import answer_response, cached_response, me_answer
from storefront.widget.first_view import me_first_view
from storefront.widget.selectors import (
    earning_rules_live,
    me_deadline,
    member_configured_get,
    member_for_me,
    member_me_version,
    member_overview,
    program_rewards,
    program_tiers,
)
from storefront.widget.serializers import me_data, program_data
from storefront.widget.throttling import WidgetIpThrottle, WidgetShopperThrottle

SHOPPER_HEADERS = [
    OpenApiParameter(PROGRAM_HEADER, str, OpenApiParameter.HEADER, required=True, description="Public key."),
    OpenApiParameter(CUSTOMER_HEADER, str, OpenApiParameter.HEADER, description="The shop's customer id."),
    OpenApiParameter(
        DIGEST_HEADER, str, OpenApiParameter.HEADER, description="hex(HMAC-SHA256(digest_secret, customer_id))."
    ),
]
UNAUTHORIZED = {
    401: error_response(401, "unknown_program", "invalid_digest", "customer_required"),
    429: error_response(429),
}


class JsonOnly(DefaultContentNegotiation):
    """The widget answers JSON whatever the browser's Accept header says: no negotiation to run on every call."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class WidgetApi(APIView):
    """Base of the widget endpoints: the IP bucket first (so digest guessing is throttled too), then the
    shopper, then the shopper's own bucket."""

    authentication_classes = []
    permission_classes = []
    content_negotiation_class = JsonOnly
    throttle_classes = [WidgetShopperThrottle]
    customer_required = False

    def initial(self, request, *args, **kwargs):
        ip_throttle = WidgetIpThrottle()
        if not ip_throttle.allow_request(request, self):
            self.throttled(request, ip_throttle.wait())
        request.shopper = shopper_identify(request)
        request.program = request.shopper.program
        if self.customer_required and request.shopper.customer_id is None:
            raise Unauthorized(
                f"Identify the shopper with {CUSTOMER_HEADER} and {DIGEST_HEADER}.", code="customer_required"
            )
        super().initial(request, *args, **kwargs)

    def shopper_member(self, request):
        member = member_get(program=request.program, customer_id=request.shopper.customer_id)
        member.program = request.program
        return member


class WidgetProgramApi(WidgetApi):
    @extend_schema(
        operation_id="widget_program",
        summary="The program as shoppers see it",
        description="Branding, points name, language and direction, ways to earn and to spend, public tiers with "
        "perks (invite-only tiers hidden). Public and cacheable (ETag).",
        parameters=SHOPPER_HEADERS[:1],
        responses={200: OpenApiTypes.OBJECT, **UNAUTHORIZED},
        tags=["widget"],
    )
    def get(self, request):
        program, at = request.program, timezone.now()
        data = program_data(
            program=program,
            rules=earning_rules_live(program=program, at=at),
            rewards=program_rewards(program=program, at=at),
            tiers=program_tiers(program=program),
        )
        return cached_response(request, data, public=True)


# What the thin view in front of `WidgetMeApi` (`widget_me`) leaves on the request: the version it read.
ME_VERSION_READ = "widget_me_version"
NOT_READ = object()


class WidgetMeApi(WidgetApi):
    customer_required = True

    @extend_schema(
        operation_id="widget_me",
        summary="The signed-in shopper",
        description="The **member**, tier progress, recent transactions, the catalog with whether each reward can "
        "be redeemed now, active codes, the next points to expire and the referral link (in the member).",
        parameters=SHOPPER_HEADERS,
        responses={200: OpenApiTypes.OBJECT, 404: error_response(404, "member_not_found"), **UNAUTHORIZED},
        tags=["widget"],
    )
    def get(self, request):
        # The thin view in front (`widget_me`) may have read the version already: its cached answer was stale.
        version = getattr(request, ME_VERSION_READ, NOT_READ)
        if version is NOT_READ:
            version = member_me_version(program=request.program, customer_id=request.shopper.customer_id)
        if version is None:  # as `member_get` answers
            raise NotFound(f"No member with customer_id {request.shopper.customer_id!r}.", code="member_not_found")
        return answer_response(request, me_answer(version, self.builder(request.program, version)), public=False)

    @staticmethod
    def builder(program, version):
        """`me_answer`'s `build(at)`: from one prepared statement (storefront/widget/first_view.py), else as
        `build_reference`."""

        def build(at) -> tuple[dict, object]:
            built = me_first_view(program=program, member_id=version.member_id, at=at, catalog_token=version.catalog)
            return built if built is not None else WidgetMeApi.build_reference(version, at)

        return build

    @staticmethod
    def build_reference(version, at) -> tuple[dict, object]:
        """Through the ORM and the server API's serializers: SQLite, segment-limited catalogs, and the reference
        the first view's bytes are tested against."""
        member = member_for_me(member_id=version.member_id)
        overview = member_overview(member=member, at=at)
        return me_data(member=member, overview=overview), me_deadline(member=member, overview=overview, at=at)


_me_api = WidgetMeApi.as_view()


_ME_API_HEADERS = view_headers(WidgetMeApi)  # what DRF adds to every answer of it (`Allow`)


@csrf_exempt
def widget_me(request, *args, **kwargs):
    """`GET /api/widget/v1/me`: a signed-in member's plain call is answered here, without DRF's dispatch (request
    wrapping, negotiation, exception handling: ~0.3 ms of Python, as much as the rest of a kept call), whether their
    answer is kept or built now; every other request (a refusal, a guest, not a member, another method) goes to
    `WidgetMeApi`, which answers as always. This runs what `WidgetMeApi` would: the shopper's digest, both
    throttles, the version, the build, the ETag; the response carries the same headers
    (tests/storefront/widget/test_widget_me_kept.py, test_widget_me_cache.py)."""
    if request.method == "GET":
        response = _me_plain(request)
        if response is not None:
            return response
    return _me_api(request, *args, **kwargs)


# drf-spectacular documents the endpoint from the view class behind the URL, as for `as_view()`.
widget_me.cls, widget_me.initkwargs = WidgetMeApi, {}


def _me_plain(request):
    """The member's answer (kept, or built and kept now) or `304`, or None to let `WidgetMeApi` answer. Nothing is
    counted before the shopper is known to be a member; then the shopper's bucket, then the IP's. When one refuses,
    `WidgetMeApi` counts the buckets again and answers `429` as always: only a bucket that refused may count this
    request twice (harmless: a refusing bucket refuses until its window ends), the one that allowed it never does."""
    try:
        shopper = shopper_identify(request, shared_program=True)  # a kept answer only reads it
    except Unauthorized:
        return None  # WidgetMeApi: the IP bucket first, then the same 401
    if shopper.customer_id is None:
        return None
    version = member_me_version(program=shopper.program, customer_id=shopper.customer_id)
    setattr(request, ME_VERSION_READ, version)  # read once per request (None: not a member, 404)
    if version is None:
        return None
    request.shopper = shopper
    if not WidgetShopperThrottle().allow_request(request, None) or not WidgetIpThrottle().allow_request(request, None):
        return None
    answer = version.kept
    if answer is None:
        # Built with the request's own copy of the program, as `WidgetMeApi` builds.
        request.program = program = request_program(request) or shopper.program
        try:
            answer = me_answer(version, WidgetMeApi.builder(program, version))
        except Exception as exc:  # rendered as `WidgetMeApi`'s dispatch renders it (its exception handler)
            return front.error_response(WidgetMeApi, request, exc, program)
    return with_view_headers(answer_response(request, answer, public=False), _ME_API_HEADERS)


class WidgetRedemptionCreateApi(WidgetApi):
    customer_required = True

    class InputSerializer(serializers.Serializer):
        reward_id = IdField(help_text="The reward's `id` (or `key`).")

    @extend_schema(
        operation_id="widget_redemption_create",
        summary="Redeem a reward for the signed-in shopper",
        description="As `POST /api/v1/members/{customer_id}/redemptions`; an `Idempotency-Key` header makes a "
        "double click spend once.",
        parameters=SHOPPER_HEADERS,
        request=InputSerializer,
        responses={
            201: RedemptionOutputSerializer,
            200: RedemptionOutputSerializer,
            404: error_response(404, "member_not_found", "reward_not_found"),
            409: error_response(
                409, "insufficient_points", "out_of_stock", "tier_required", "segment_required", "limit_reached"
            ),
            **write_errors("invalid_idempotency_key"),
            **UNAUTHORIZED,
        },
        tags=["widget"],
    )
    def post(self, request):
        idempotency_key = idempotency_key_header(request) or ""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = self.shopper_member(request)
        reward = reward_get(program=request.program, reward_id=serializer.validated_data["reward_id"])
        redemption, created = reward_redeem(
            member=member, reward=reward, idempotency_key=f"widget:{idempotency_key}" if idempotency_key else ""
        )
        return Response(
            redemption_answer(redemption, request.program),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class WidgetPointsPreviewApi(WidgetApi):
    class InputSerializer(serializers.Serializer):
        subtotal = MoneyField()

    @extend_schema(
        operation_id="widget_points_preview",
        summary="Points a product or cart would earn",
        description="`{points}` for `subtotal` now: the program's rate, every live bonus multiplier and order "
        "threshold, and the signed-in shopper's tier multiplier. Cacheable (ETag; public for guests).",
        parameters=[*SHOPPER_HEADERS, OpenApiParameter("subtotal", str, required=True, description="e.g. 49.99")],
        responses={200: OpenApiTypes.OBJECT, 400: error_response(400, "invalid_input"), **UNAUTHORIZED},
        tags=["widget"],
    )
    def get(self, request):
        serializer = self.InputSerializer(data={"subtotal": request.query_params.get("subtotal", "")})
        serializer.is_valid(raise_exception=True)
        program, config = request.program, program_config(request.program)
        multiplier, member, now = Decimal("1"), None, timezone.now()
        if request.shopper.customer_id is not None:
            member = member_configured_get(program=program, config=config, customer_id=request.shopper.customer_id)
            multiplier = member.tier.multiplier if member.tier else multiplier
        points = order_points(
            program=program,
            # Segment-limited rules count for their members only (never for a guest).
            rules=order_rules_for(config.rules, member, at=now),
            subtotal=serializer.validated_data["subtotal"],
            placed_at=now,
            tier_multiplier=multiplier,
        )
        data = {"points": points, "points_label": program.points_label(points)}
        return cached_response(request, data, public=request.shopper.customer_id is None)
