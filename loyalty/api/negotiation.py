"""Content negotiation for the busiest server API endpoints: DRF's, with the answer it gives a plain JSON call
decided without parsing headers.

`DefaultContentNegotiation` parses the `Accept` and `Content-Type` headers into media types and matches them
against every renderer and parser on each call. For a call that sends `Content-Type: application/json` and
`Accept: */*` or `application/json` (or no `Accept`), and no `?format=`, its choice is always the first JSON
renderer and parser: this class returns exactly that without the parsing, and hands any other call to DRF
(so an unsupported `Accept` is still `406`, another content type still `415`)."""

from rest_framework.negotiation import DefaultContentNegotiation

JSON = "application/json"
_PLAIN_ACCEPT = frozenset({"*/*", JSON})


def plain_json_accepted(meta) -> bool:
    """A call that accepts plain JSON: `Accept` `*/*` or `application/json` (or none), and no `?format=` (no query
    string at all)."""
    return not meta.get("QUERY_STRING") and meta.get("HTTP_ACCEPT", "*/*") in _PLAIN_ACCEPT


class JsonFirstNegotiation(DefaultContentNegotiation):
    def select_parser(self, request, parsers):
        if parsers and parsers[0].media_type == request.content_type:
            return parsers[0]  # what DRF picks too: the first parser whose media type matches
        return super().select_parser(request, parsers)

    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            format_suffix is None
            and plain_json_accepted(request.META)
            and renderers
            and renderers[0].media_type == JSON
        ):
            return renderers[0], JSON
        return super().select_renderer(request, renderers, format_suffix)
