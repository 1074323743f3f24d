"""The OpenAPI document's shared parts (drf-spectacular post-processing): the error envelope and every error
status on every operation, Idempotency-Key on every POST, the RateLimit headers on successful answers."""

from __future__ import annotations

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


_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}


def _document_operation(operation: dict, method: str, *, detail: bool) -> None:
    for parameter in operation.get("parameters", []):
        value_schema = parameter.get("schema", {})
        if parameter.get("in") == "query" and value_schema.get("type") == "string":
            value_schema.setdefault("minLength", 1)  # an empty value is refused, not ignored
    responses = operation.setdefault("responses", {})
    for code, response in responses.items():
        if code.startswith("2"):
            response.setdefault("headers", {}).update(_RATE_LIMIT_HEADERS)
    responses.setdefault("400", _answer("A field, query parameter, cursor or header is wrong; each is named."))
    responses.setdefault("401", _answer("No key, or a key that is unknown, expired or revoked."))
    responses.setdefault("403", _answer("A session without a role that may do this."))
    responses.setdefault("404", _answer("No such object that you may see."))
    responses.setdefault("405", _answer("This method is not offered here."))
    responses.setdefault("406", _answer("Only JSON is answered."))
    responses.setdefault("429", _answer("Too many requests with this key: wait Retry-After.", _RETRY_AFTER))
    responses.setdefault("500", _answer("Server error: nothing was applied."))
    responses.setdefault("503", _answer("Unavailable for a moment: nothing was applied.", _RETRY_AFTER))
    if method in ("post", "put", "patch"):
        responses.setdefault("413", _answer("The body is larger than 2.5 MB."))
        responses.setdefault("415", _answer("The body is not JSON (Content-Type: application/json)."))
    if method == "post":
        responses.setdefault("409", _answer("The Idempotency-Key was used for another request."))
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" for p in parameters):
            parameters.append(_IDEMPOTENCY_KEY)
    if method == "get" and detail:
        responses.setdefault("304", {"description": "Not modified since the ETag sent in If-None-Match."})


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: the error envelope and every error status on every operation,
    Idempotency-Key on every POST, the RateLimit headers on successful answers, non-empty query strings."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete", "head", "options"):
                _document_operation(operation, method, detail="{" in path)
    return result
