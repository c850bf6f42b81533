"""`GET /api/widget/v1/me/challenges`: the signed-in shopper's running challenges with their progress, for the
storefront widget's challenges panel. Texts come in the language of `?lang=` (the widget's), else the program's."""

from django.conf import settings
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from challenges.selectors import ChallengeCard, challenge_cards
from challenges.templatetags.challenges import progress_words, reward_words
from loyalty.api.schema import error_response
from storefront.widget.views import SHOPPER_HEADERS, UNAUTHORIZED, WidgetApi

LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _card_data(card: ChallengeCard) -> dict:
    challenge = card.challenge
    return {
        "key": challenge.key,
        "name": challenge.text("name"),
        "description": challenge.text("description"),
        "metric": challenge.metric,
        "target": str(card.shown_target),
        "value": str(card.shown_value),
        "fraction": round(card.fraction, 4),
        "completed": card.completed_at is not None,
        "completed_at": card.completed_at.isoformat() if card.completed_at else None,
        "ends_at": challenge.ends_at.isoformat() if challenge.ends_at else None,
        "progress_text": progress_words(card),
        "reward_text": reward_words(challenge),
    }


class WidgetChallengesApi(WidgetApi):
    customer_required = True

    @extend_schema(
        operation_id="widget_me_challenges",
        summary="The signed-in shopper's challenges",
        description="Running challenges and milestones with the shopper's progress (`value` of `target`, "
        "`fraction` 0-1, `completed`), and ready-made `progress_text` / `reward_text` in the language asked.",
        parameters=[*SHOPPER_HEADERS, OpenApiParameter("lang", str, description="en, ar or fa.")],
        responses={200: OpenApiTypes.OBJECT, 404: error_response(404, "member_not_found"), **UNAUTHORIZED},
        tags=["widget"],
    )
    def get(self, request):
        member = self.shopper_member(request)
        language = request.query_params.get("lang", "")
        if language not in LANGUAGES:
            language = (request.program.locale or settings.LANGUAGE_CODE).split("-")[0]
        with translation.override(language if language in LANGUAGES else settings.LANGUAGE_CODE):
            data = {"challenges": [_card_data(card) for card in challenge_cards(member=member)]}
        return Response(data)
