"""API errors of the emulated DNAnexus platform and checks of request fields.

Offers ApiError (an error type, its HTTP status and message), error_body()
(the platform's error JSON shape) and small typed getters that read a field
of a request body and raise InvalidInput (422) when it has the wrong type.

Status codes: MalformedJSON 400, ResourceNotFound 404 and InvalidInput 422
are confirmed by the reference; the rest of the table follows the DNAnexus
"Protocols" page as remembered (UNCONFIRMED there): InvalidAuthentication and
PermissionDenied 401, SpendingLimitExceeded 403, InvalidState and InvalidType
422, RateLimitConditional 429, InternalError 500, ServiceUnavailable 503.
"""

STATUS = {
    "MalformedJSON": 400,
    "InvalidAuthentication": 401,
    "PermissionDenied": 401,
    "SpendingLimitExceeded": 403,
    "ResourceNotFound": 404,
    "MethodNotAllowed": 405,
    "InvalidInput": 422,
    "InvalidState": 422,
    "InvalidType": 422,
    "RateLimitConditional": 429,
    "InternalError": 500,
    "ServiceUnavailable": 503,
}

# The error type injected faults report for a bare status code.
TYPE_FOR_STATUS = {
    400: "MalformedJSON",
    401: "InvalidAuthentication",
    403: "SpendingLimitExceeded",
    404: "ResourceNotFound",
    422: "InvalidInput",
    429: "RateLimitConditional",
    500: "InternalError",
    502: "InternalError",
    503: "ServiceUnavailable",
    504: "ServiceUnavailable",
}


class ApiError(Exception):
    """An error the API answers with: {"error": {"type": ..., "message": ...}}."""

    def __init__(self, etype, message, status=None):
        super().__init__(message)
        self.type = etype
        self.message = message
        self.status = status or STATUS.get(etype, 500)


def error_body(etype, message):
    """The platform's error JSON object."""
    return {"error": {"type": etype, "message": message}}


def invalid(message):
    """An InvalidInput error (422)."""
    return ApiError("InvalidInput", message)


_MISSING = object()


def _get(body, key, required):
    value = body.get(key, _MISSING)
    if value is _MISSING and required:
        raise invalid(f'Expected input to have property "{key}"')
    return value


def get_str(body, key, required=False, default=None):
    """A string field; InvalidInput if present with another type."""
    value = _get(body, key, required)
    if value is _MISSING:
        return default
    if not isinstance(value, str):
        raise invalid(f'Expected key "{key}" of input to be a string')
    return value


def get_bool(body, key, default=False):
    """A boolean field."""
    value = _get(body, key, False)
    if value is _MISSING:
        return default
    if not isinstance(value, bool):
        raise invalid(f'Expected key "{key}" of input to be a boolean')
    return value


def get_int(body, key, default=None, minimum=None, maximum=None):
    """An integer field (booleans are not integers), optionally bounded."""
    value = _get(body, key, False)
    if value is _MISSING:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f'Expected key "{key}" of input to be an integer')
    if minimum is not None and value < minimum:
        raise invalid(f'Expected key "{key}" of input to be at least {minimum}')
    if maximum is not None and value > maximum:
        raise invalid(f'Expected key "{key}" of input to be at most {maximum}')
    return value


def get_dict(body, key, required=False, default=None):
    """A JSON object field."""
    value = _get(body, key, required)
    if value is _MISSING:
        return default
    if not isinstance(value, dict):
        raise invalid(f'Expected key "{key}" of input to be a JSON object')
    return value


def get_str_list(body, key, default=None):
    """A field holding an array of strings."""
    value = _get(body, key, False)
    if value is _MISSING:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(f'Expected key "{key}" of input to be an array of strings')
    return value


def get_str_map(body, key):
    """A field holding an object whose values are strings (properties)."""
    value = get_dict(body, key, default={})
    if not all(isinstance(v, str) for v in value.values()):
        raise invalid(f'Expected key "{key}" of input to map names to strings')
    return value


def get_fields(body):
    """The describe options: (fields or None, defaultFields)."""
    fields = get_dict(body, "fields")
    if fields is not None and not all(isinstance(v, bool) for v in fields.values()):
        raise invalid('Expected every value of "fields" to be a boolean')
    return fields, get_bool(body, "defaultFields", False)


def select_fields(full, fields, default_fields, default_keys):
    """Apply describe's field selection to a full describe hash.

    Without `fields`, the default keys come back; with `fields`, only the
    requested keys set to true plus `id`, and also the defaults when
    `defaultFields` is true."""
    if fields is None:
        keys = set(default_keys)
    else:
        keys = {k for k, v in fields.items() if v} | {"id"}
        if default_fields:
            keys |= set(default_keys)
    return {k: v for k, v in full.items() if k in keys}
