"""Schemathesis hooks for fuzzing `POST /api/graphql` (loaded with SCHEMATHESIS_HOOKS).

Schemathesis' own `not_a_server_error` counts every GraphQL `errors` array as a server error,
so an invalid argument refused with INVALID_INPUT would fail it. This check holds GraphQL to the
REST routes' rule instead: a refusal is fine when it names its machine code, a server error is not.
"""

import schemathesis

# Codes that say the server, not the request, is at fault.
SERVER_FAULTS = {"INTERNAL", "STORE_UNAVAILABLE"}


@schemathesis.check
def graphql_errors_are_coded_refusals(ctx, response, case):
    """No 5xx, JSON always, and every error in `errors` carries a machine code that is not a fault."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
    try:
        body = response.json()
    except ValueError as error:
        raise AssertionError(f"the answer is not JSON: {error}: {response.text[:500]}") from None
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if not code:
            raise AssertionError(f"an error without a machine code: {error}")
        if code in SERVER_FAULTS:
            raise AssertionError(f"a server fault: {error}")
