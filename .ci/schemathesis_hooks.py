"""Schemathesis hooks for `.ci/run` (loaded through SCHEMATHESIS_HOOKS): what spec/openapi.yaml
states only in prose or in `x-` extensions, so that "schema-valid" generated requests are valid
for the API too. Nothing here relaxes a check; each hook narrows generation.
"""

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import schemathesis
import yaml
from hypothesis import strategies as st

# ---- the custom `iso8601` format -----------------------------------------------------------
#
# The spec marks every date or date-time as `format: iso8601` (spec/README.md): the API writes
# naive times with microseconds (2022-08-20T01:10:52.307000) and reads ISO 8601. Schemathesis
# cannot know a custom format and would send arbitrary strings as "valid" dates.

_NAIVE = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31))

schemathesis.openapi.format(
    "iso8601",
    st.one_of(
        _NAIVE.map(lambda d: d.isoformat(timespec="microseconds")),
        _NAIVE.map(lambda d: d.isoformat(timespec="seconds")),
        _NAIVE.map(lambda d: d.date().isoformat()),
    ),
)


# ---- versioned request fields --------------------------------------------------------------
#
# A property marked `x-cro-since: V` exists from API version V on, one marked
# `x-cro-removed-in: V` only before V (e.g. JobModel's created_by_id -> created_by at
# 2021/11/04), and the server rejects the other name as an unknown field. JSON Schema cannot say
# that, so schemathesis may send a name the requested version does not have, or both at once.
# This keeps request bodies to the names of the version the request asks for (and asks for the
# newest version when the request names none, since the server would otherwise use whatever
# version this client id sent last).

_SPEC = yaml.safe_load((Path(__file__).resolve().parent.parent / "spec" / "openapi.yaml").read_text())
_VERSIONS = _SPEC["components"]["schemas"]["ApiVersion"]["enum"]
_NEWEST = max(_VERSIONS)


def _resolve(schema):
    while isinstance(schema, dict) and "$ref" in schema:
        node = _SPEC
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _versioned_body_fields():
    """(METHOD, path) -> {property: (since, removed_in)} for request bodies."""
    out = {}
    for path, item in _SPEC["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "requestBody" not in op:
                continue
            for media in _resolve(op["requestBody"]).get("content", {}).values():
                props = _resolve(media.get("schema", {})).get("properties", {})
                fields = {
                    name: (p.get("x-cro-since"), p.get("x-cro-removed-in"))
                    for name, p in props.items()
                    if "x-cro-since" in p or "x-cro-removed-in" in p
                }
                if fields:
                    out[(method.upper(), path)] = fields
    return out


_VERSIONED = _versioned_body_fields()


@schemathesis.hook("map_case")
def versioned_fields(context, case):
    fields = _VERSIONED.get((case.operation.method.upper(), case.operation.path))
    if not fields or not isinstance(case.body, dict) or not any(k in case.body for k in fields):
        return case
    headers = case.headers if case.headers is not None else {}
    version = next((v for k, v in headers.items() if k.lower() == "x-api-version"), None)
    if version not in _VERSIONS:
        if version is not None:
            return case  # an invalid version: the request is meant to fail anyway
        version = _NEWEST
        headers["x-api-version"] = version
        case.headers = headers
    # Version strings are YYYY/MM/DD, so they compare as strings.
    case.body = {
        k: v
        for k, v in case.body.items()
        if k not in fields
        or ((fields[k][0] is None or version >= fields[k][0])
            and (fields[k][1] is None or version < fields[k][1]))
    }
    return case


# ---- CreateCustomerModel's address rule ----------------------------------------------------
#
# A new customer needs a billing and a shipping address (one address with both flags, or two
# with one each; cro-api-facts §4.3). The spec says so in prose only, since OpenAPI 3.0 cannot
# state "some item has is_billing: true", so the first address of a generated customer gets
# both flags.

_CREATE_CUSTOMER = {
    (method.upper(), path)
    for path, item in _SPEC["paths"].items()
    for method, op in item.items()
    if isinstance(op, dict)
    and "CreateCustomerModel" in str(op.get("requestBody", {}))
}


@schemathesis.hook("map_case")
def billing_and_shipping(context, case):
    if (case.operation.method.upper(), case.operation.path) not in _CREATE_CUSTOMER:
        return case
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("addresses"), list) and body["addresses"]:
        first = body["addresses"][0]
        if isinstance(first, dict):
            case.body = {**body, "addresses": [{**first, "is_billing": True, "is_shipping": True}, *body["addresses"][1:]]}
    return case


# ---- dates that must lie in the future or the past -----------------------------------------
#
# Some request dates are documented as "in the future" (DispatchJobRequestModel
# .new_schedule_date, pickup_date) or "in the past" (GPS fix timestamps); the server checks
# that against its clock. The spec says so in the property's `x-cro-date: future|past`, or in
# its description; a generated date on the wrong side of now is moved to the right side.

_SIDE = re.compile(r"\bin the (future|past)\b", re.IGNORECASE)


def _side(prop):
    side = prop.get("x-cro-date") or next(iter(_SIDE.findall(prop.get("description", ""))), None)
    return side.lower() if isinstance(side, str) and side.lower() in ("future", "past") else None


def _fix_dates(schema, value, now):
    schema = _resolve(schema)
    for sub in schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", []):
        value = _fix_dates(sub, value, now)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        out = dict(value)
        for name, prop in props.items():
            if name not in out:
                continue
            side = _side(_resolve(prop))
            if side and isinstance(out[name], str):
                try:
                    when = datetime.fromisoformat(out[name])
                except ValueError:
                    continue  # not a date: left for the negative checks
                if when.tzinfo is not None:
                    when = when.astimezone(timezone.utc).replace(tzinfo=None)
                if side == "future" and when <= now:
                    out[name] = (now + timedelta(days=30)).isoformat(timespec="microseconds")
                elif side == "past" and when >= now:
                    out[name] = (now - timedelta(days=30)).isoformat(timespec="microseconds")
            else:
                out[name] = _fix_dates(prop, out[name], now)
        return out
    if isinstance(value, list) and "items" in schema:
        return [_fix_dates(schema["items"], v, now) for v in value]
    return value


def _body_schemas():
    out = {}
    for path, item in _SPEC["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "requestBody" in op:
                for media in _resolve(op["requestBody"]).get("content", {}).values():
                    out[(method.upper(), path)] = media.get("schema", {})
    return out


_BODY_SCHEMAS = _body_schemas()


@schemathesis.hook("map_case")
def dates_on_the_documented_side(context, case):
    schema = _BODY_SCHEMAS.get((case.operation.method.upper(), case.operation.path))
    if schema is not None and isinstance(case.body, (dict, list)):
        # The API's clock is naive UTC.
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        case.body = _fix_dates(schema, case.body, now)
    return case
