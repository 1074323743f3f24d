"""The OpenAPI document's shared parts (drf-spectacular post-processing): the error envelope and every error
status on every operation, Idempotency-Key on every POST, the RateLimit headers on successful answers; and the
document's audience: partners and staff may send different bodies, and each is served its own contract."""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from agreements.api.auth import partner_of

ERROR_CODES = [
    "bad_request",
    "validation_error",
    "invalid_parameter",
    "invalid_cursor",
    "invalid_json",
    "invalid_encoding",
    "too_deeply_nested",
    "nul_character",
    "invalid_idempotency_key",
    "not_authenticated",
    "authentication_failed",
    "permission_denied",
    "not_found",
    "method_not_allowed",
    "not_acceptable",
    "idempotency_key_reused",
    "too_many_endpoints",
    "request_too_large",
    "unsupported_media_type",
    "rate_limited",
    "server_error",
    "service_unavailable",
]
_ERROR = {
    "type": "object",
    "description": "Every error answer: a stable English code for programs, a message for people.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "enum": ERROR_CODES, "example": "invalid_parameter"},
                "message": {"type": "string", "example": "Some query parameters are wrong: page_size."},
                "fields": {
                    "type": "object",
                    "description": "The fields, query parameters or headers at fault, each with its messages.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "example": {"page_size": ["Give a whole number from 1 to 200."]},
                },
                "request_id": {"type": "string", "description": "Also in X-Request-Id; quote it to us."},
            },
            "required": ["code", "message", "fields", "request_id"],
            "additionalProperties": False,
        }
    },
    "required": ["error"],
    "additionalProperties": False,
}
_RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Requests allowed per window."},
    "RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "Requests left in this window."},
    "RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Seconds until a request frees up."},
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string (a UUID): a retry with the same key and body within 24 hours gets the first "
    "answer again (Idempotent-Replayed: true) without a second effect; another body with it is a 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


def _answer(description: str, headers: dict | None = None) -> dict:
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"description": description, "content": content, **({"headers": headers} if headers else {})}


# A NUL cannot be stored (PostgreSQL text) and is refused (400 nul_character) wherever it is sent.
NO_NUL = "^[^\\u0000]*$"


def _text_without_nul(schema: dict) -> None:
    if schema.get("type") == "string" and not ({"enum", "format", "pattern", "$ref"} & set(schema)):
        schema["pattern"] = NO_NUL


_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}


def _document_operation(operation: dict, method: str, *, detail: bool) -> None:
    for parameter in operation.get("parameters", []):
        value_schema = parameter.get("schema", {})
        if parameter.get("in") == "query" and value_schema.get("type") == "boolean":
            # Read as the words, exactly (1, 0 and yes are refused): what a client must send is the text.
            parameter["schema"] = value_schema = {"type": "string", "enum": ["true", "false"]}
        if parameter.get("in") == "query" and value_schema.get("type") == "string":
            value_schema.setdefault("minLength", 1)  # an empty value is refused, not ignored
            _text_without_nul(value_schema)
    responses = operation.setdefault("responses", {})
    for code, response in responses.items():
        if code.startswith("2"):
            response.setdefault("headers", {}).update(_RATE_LIMIT_HEADERS)
    responses.setdefault("400", _answer("A field, query parameter or header is wrong; each is named."))
    responses.setdefault("401", _answer("No key, or a key that is unknown, expired or revoked."))
    responses.setdefault("403", _answer("A session without a role that may do this."))
    responses.setdefault("404", _answer("No such object that you may see (or named in the body), or a forged cursor."))
    responses.setdefault("405", _answer("This method is not offered here."))
    responses.setdefault("406", _answer("Only JSON is answered."))
    responses.setdefault("429", _answer("Too many requests with this key: wait Retry-After.", _RETRY_AFTER))
    responses.setdefault("500", _answer("Server error: nothing was applied."))
    responses.setdefault("503", _answer("Unavailable for a moment: nothing was applied.", _RETRY_AFTER))
    if method in ("post", "put", "patch"):
        responses.setdefault("413", _answer("The body is larger than 2.5 MB."))
        responses.setdefault("415", _answer("The body is not JSON (Content-Type: application/json)."))
    if method == "post":
        responses.setdefault(
            "409", _answer("The Idempotency-Key was used for another request, or a limit is reached (the code says).")
        )
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" for p in parameters):
            parameters.append(_IDEMPOTENCY_KEY)
    if method == "get" and detail:
        responses.setdefault("304", {"description": "Not modified since the ETag sent in If-None-Match."})


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: the error envelope and every error status on every operation,
    Idempotency-Key on every POST, the RateLimit headers on successful answers, non-empty query strings."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR
    result["servers"] = [{"url": settings.SITE_URL, "description": "This tracker"}]
    _add_examples(result)
    _keep_audience_security(result, schema_audience())
    for name, component in result["components"]["schemas"].items():
        if name.endswith("Request"):  # what callers send (COMPONENT_SPLIT_REQUEST)
            component["additionalProperties"] = False  # any other field is refused, by name
            for field in component.get("properties", {}).values():
                _text_without_nul(field)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete", "head", "options"):
                _document_operation(operation, method, detail="{" in path)
    return result


# --- One contract per audience -----------------------------------------------------------------------------

_AUDIENCE: ContextVar[str] = ContextVar("schema_audience", default="partner")


def schema_audience() -> str:
    """'partner' or 'staff': whose contract the document being generated is (read by the views' schemas)."""
    return _AUDIENCE.get()


class AudienceSchemaGenerator(SchemaGenerator):
    """The schema of the caller's audience: a partner's key (or an anonymous reader of public docs) gets the
    partners' contract, a staff session the staff's. `audience` forces one (the tests' fuzzing does)."""

    audience: str | None = None

    def get_schema(self, request=None, public=False):
        audience = self.audience or _audience_of(request)
        token = _AUDIENCE.set(audience)
        try:
            return super().get_schema(request=request, public=public)
        finally:
            _AUDIENCE.reset(token)


_SCHEMES = {"partner": "partnerKey", "staff": "staffSession"}


def _keep_audience_security(result: dict, audience: str) -> None:
    """A partner's document names the key as its one way in, staff's the session: each what its audience uses."""
    scheme = _SCHEMES[audience]
    schemes = result.get("components", {}).get("securitySchemes", {})
    for other in set(schemes) - {scheme}:
        del schemes[other]
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "security" in operation:
                operation["security"] = [{scheme: []}]


def _audience_of(request) -> str:
    if request is None or partner_of(request) is not None:
        return "partner"
    user = getattr(request, "user", None)
    return "staff" if user is not None and user.is_authenticated else "partner"


# --- Examples: every operation shows what it answers (and what it takes) ---------------------------------------

# Values of fields by name, as a partner would meet them; other fields get one from their type.
_FIELD_EXAMPLES = {
    "ref": "CMT-AU-01",
    "commitment": "CMT-AU-01",
    "framework": "FW-US-AU",
    "organisation": "ORG-AU",
    "owner": "ORG-AU",
    "parent": None,
    "working_group": "WG-US-AU-1",
    "deadline": "DL-AU-01",
    "title": "Joint critical minerals project pipeline",
    "name": "Australia",
    "organisation_name": "Australia",
    "note": "Pipeline agreed at the March meeting.",
    "url": "https://erp.example.org/tracker-hooks",
    "evidence_url": "https://example.org/evidence/minutes.pdf",
    "actor": "ERP sync key",
    "secret": "whsec_8f14e45fceea167a5a36dedd4bea2543",
    "iso_alpha2": "AU",
    "events": ["commitment.status_changed"],
}
_FORMAT_EXAMPLES = {
    "date": "2026-03-15",
    "date-time": "2026-03-15T09:30:00Z",
    "uuid": "3f2b8c1e-5d4a-4f6b-9e7c-1a2b3c4d5e6f",
    "uri": "https://example.org/evidence/minutes.pdf",
}


def _example(schema: dict, components: dict, name: str = "", depth: int = 0):
    """An example value of `schema`: the field's usual value by name, else one from its type and format."""
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "example" in schema:
        return schema["example"]
    for key in ("oneOf", "anyOf", "allOf"):
        if schema.get(key):
            return _example(schema[key][0], components, name, depth)
    if name in _FIELD_EXAMPLES and depth > 0:
        return _FIELD_EXAMPLES[name]
    if schema.get("enum"):
        return next((v for v in schema["enum"] if v not in ("", None)), schema["enum"][0])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        return {key: _example(sub, components, key, depth + 1) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [] if depth > 4 else [_example(schema.get("items", {}), components, name, depth + 1)]
    return _scalar_example(schema)


def _scalar_example(schema: dict):
    kind = schema.get("type")
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    return _FORMAT_EXAMPLES.get(schema.get("format", ""), "text")


def _add_examples(result: dict) -> None:
    """An example on every operation's successful answer and request body that has none."""
    components = result.get("components", {}).get("schemas", {})
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            parts = [operation.get("requestBody", {})]
            parts += [answer for code, answer in operation.get("responses", {}).items() if code.startswith("2")]
            for part in parts:
                media = part.get("content", {}).get("application/json")
                if media and "schema" in media and "example" not in media and "examples" not in media:
                    media["example"] = _example(media["schema"], components)
