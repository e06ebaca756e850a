"""The API's request and response bodies as pydantic v2 models: one source for validating
requests and for the OpenAPI description (``cocm.api.openapi``)."""
