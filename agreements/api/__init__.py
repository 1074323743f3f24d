"""The partner REST API's shared layer and the agreements resources.

auth (keys, scope, throttle, docs access), input (strict JSON, cursors, query parameters), idempotency
(Idempotency-Key on POST), base (the viewset and filter pieces every resource shares), schema (the OpenAPI
error envelope), resources (organisations, frameworks, working groups). followups' resources build on base.
"""
