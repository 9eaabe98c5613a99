"""schemathesis hooks for `make contract` (loaded through SCHEMATHESIS_HOOKS).

The contract states every rule JSON Schema can state. A few rules it cannot: they depend on
stored data, on the time, or compare two fields. For a schema-valid request the server may
refuse only with one of the answers below, each named in the contract's text; any other refusal
of a schema-valid request is still a finding. This replaces schemathesis's
positive_data_acceptance check (scripts/contract.sh excludes it) with the same check plus this
list, so nothing else is loosened.
"""
import html
import json

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

# Problem `code`s of whole-request refusals that no schema can foresee.
SEMANTIC_PROBLEMS = {
    "outside_service_area",  # no council covers the point (depends on the stored boundaries)
    "category_not_available_here",  # the councils there do not handle the category
    "invalid_boundary",  # PostGIS finds the rings do not make a valid area
    "not_an_image",  # an upload is recognised by its bytes, not by anything a schema states
    "outside_councils",  # an area alert's centre that no council covers (stored boundaries)
    "email_alerts_unavailable",  # the sending council has no Notify settings for email alerts
}

# (pointer, code) of field errors that no schema can foresee.
SEMANTIC_FIELDS = {
    ("/query/cursor", "invalid_cursor"),  # a cursor this service did not give out
    ("/query/bbox", "invalid_bbox"),  # a minimum not below its maximum, or a latitude past 90
    ("/expires_at", "out_of_range"),  # a key's expiry must be in the future
    ("/council", "unknown_council"),  # a backoffice key's council must exist
    ("/url", "private_address"),  # the host is, or resolves to, an address inside the network
    ("/webhook_url", "private_address"),  # likewise an alert's webhook
    ("/password", "weak_password"),  # a staff password that is the email address or the name
    ("/api_key", "required"),  # GOV.UK Pay's key: required unless one is stored
    ("/webhook_secret", "required"),  # likewise its webhook secret
    ("/account_reference/pattern", "invalid_pattern"),  # a regular expression that does not compile
    ("/account_reference/example", "invalid_example"),  # the example must pass its own rule
    ("/amount", "out_of_range"),  # above the council's maximum (the minimum is in the schema)
    ("/account_reference", "invalid_account_reference"),  # not in the council's format
    ("/metadata", "duplicate_key"),  # keys that differ only in letter case
}
# Field errors at any index of a list: duplicates within the list (attribute codes, value keys).
SEMANTIC_SUFFIXES = {("/code", "duplicate"), ("/key", "invalid_key")}
# Field errors anywhere under a list: a photo id must be one this key uploaded and has not used.
SEMANTIC_LIST_ITEMS = {("/photos/", "unknown_photo")}
# Rules the contract states once for every field, in its description, rather than in each schema.
EVERYWHERE = {"invalid_character"}  # no NUL (U+0000) in any text
# On a PATCH the destination's kind is stored, not sent: its URL and Open311 rules follow it.
SEMANTIC_PATCH_FIELDS = {
    ("/url", "required"),
    ("/url", "not_allowed"),
    ("/open311_api_key", "not_allowed"),
    ("/open311_jurisdiction_id", "not_allowed"),
    ("/receives_payments", "not_allowed"),
}


# A report's answers are checked against its category's questions, which are stored data.
CATEGORY_RULES = {("POST", "/v1/reports"): ("/attributes/",)}


# The Open311 facade answers in Open311's format (400 with descriptions), not with problems: its
# refusals that depend on stored data or compare two fields, by their words.
OPEN311_SEMANTIC = (
    "end_date is before start_date",
    "may be at most 90 days apart",  # the date window
    "is outside every council's area",
    "is not handled at this point",
    " requests go to ",  # routing: the point's councils, the category, the jurisdiction
    "cannot be reported anonymously",
    "an email address or phone number is required",
    "at least one photo is required",  # the category's rules
    "is not a photo you uploaded",  # photo ids must be the key's own, not yet attached
    "is not a JPEG, PNG or WebP image",
    "is a damaged image",  # an upload is recognised by its bytes
)


def _open311_semantic(case, response) -> bool:
    if response.status_code != 400 or not case.operation.path.startswith("/open311/"):
        return False
    text = response.text
    descriptions = [html.unescape(part.split("</description>")[0]) for part in text.split("<description>")[1:]]
    if not descriptions:
        try:
            descriptions = [error.get("description", "") for error in json.loads(text)]
        except (ValueError, AttributeError):
            return False
    # Every error must be one of those: an answer to the category's questions counts too.
    return bool(descriptions) and all(
        any(reason in d for reason in OPEN311_SEMANTIC) or d.startswith("attribute[") for d in descriptions
    )


def _semantic(case, response) -> bool:
    if _open311_semantic(case, response):
        return True
    if response.status_code != 422:
        return False
    try:
        problem = json.loads(response.content)
    except ValueError:
        return False
    if problem.get("code") in SEMANTIC_PROBLEMS:
        return True
    errors = problem.get("errors") or []
    if not errors:
        return False
    allowed = set(SEMANTIC_FIELDS)
    if case.method.upper() == "PATCH":
        allowed |= SEMANTIC_PATCH_FIELDS
    for error in errors:
        pointer, code = error.get("pointer", ""), error.get("code")
        if (pointer, code) in allowed or code in EVERYWHERE:
            continue
        prefixes = CATEGORY_RULES.get((case.method.upper(), case.operation.path), ())
        if any(pointer.startswith(prefix) for prefix in prefixes):
            continue
        if any(pointer.endswith(suffix) and code == c for suffix, c in SEMANTIC_SUFFIXES):
            continue
        if any(pointer.startswith(prefix) and code == c for prefix, c in SEMANTIC_LIST_ITEMS):
            continue
        return False
    return True


@schemathesis.check
def positive_data_acceptance_but_semantic(ctx, response, case):
    """positive_data_acceptance, except for the refusals listed above."""
    if _semantic(case, response):
        return None
    return positive_data_acceptance(ctx, response, case)

