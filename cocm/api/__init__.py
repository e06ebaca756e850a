"""The JSON API's domain side: tokens, idempotency keys, cursors, the pydantic schemas that both
validate requests and describe them in OpenAPI, and thin glue over the domain services.

Nothing here knows about HTTP requests; ``staff_app.api`` serves it under ``/api/v1``.
"""
