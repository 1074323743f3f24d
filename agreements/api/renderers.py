"""The API's JSON, written by orjson: the same bytes as DRF's JSONRenderer (compact, UTF-8, `\\u2028`/`\\u2029`
escaped, dates, times, Decimal, UUID and lazy strings as DRF's encoder gives them), several times faster.

Anything orjson would write differently is handed to DRF's own renderer: an `indent` asked in the Accept header,
integers beyond 64 bits or any other value orjson refuses, and floats in exponent form below 1e-4 (Python writes
`1e-07`, orjson `1e-7`). One difference is kept: a float NaN or infinity, which DRF refuses (a 500), is written
as null (no field of the API holds a float). bench/bench_api.py checks the bytes against its bare baseline.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# Dates, times and datetimes go through DRF's encoder (its `Z` for UTC, its refusal of aware times).
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_NEGATIVE_EXPONENT = re.compile(rb"[0-9]e-[0-9]")
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class OrjsonRenderer(JSONRenderer):
    """DRF's JSONRenderer with orjson doing the writing."""

    _encoder = JSONEncoder()

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        if not (self.compact and self.strict and not self.ensure_ascii) or self.get_indent(
            accepted_media_type or "", renderer_context or {}
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=self._encoder.default, option=_OPTIONS)
        except (orjson.JSONEncodeError, TypeError, ValueError):
            # DRF's renderer either writes it (a huge integer) or raises the error it always raised.
            return super().render(data, accepted_media_type, renderer_context)
        if b"e-" in out and _NEGATIVE_EXPONENT.search(out):
            return super().render(data, accepted_media_type, renderer_context)
        for raw, escaped in _LINE_SEPARATORS:
            if raw in out:
                out = out.replace(raw, escaped)
        return out
