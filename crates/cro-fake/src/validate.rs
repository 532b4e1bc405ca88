//! Generic validation of JSON values against the spec's schemas, with the API's error wording
//! (`Model.field: Missing data for required field.`, `... Unknown field.`, ...).
//!
//! Covers what the spec uses: `$ref`, `allOf`/`anyOf`/`oneOf`, `nullable`, `type`, `required`,
//! `properties` (unknown keys are rejected, as the API does), `enum`, string lengths, `pattern`
//! (ECMAScript, via `regress`), formats (`uuid`, `email`, `iso8601`, `date-time`, `uri`),
//! numeric bounds and arrays. The same walker checks the fake's own responses in tests.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use serde_json::Value;

use crate::errors::ApiError;
use crate::spec::{Param, Spec, ref_name};
use crate::versions::Version;

/// A failed check: the field to blame and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `Model.field` (or `Model`).
    pub field: String,
    /// Reason (`Unknown field.`).
    pub detail: String,
}

impl Violation {
    /// As a 400.
    pub fn into_error(self) -> ApiError {
        ApiError::bad_request(self.field, self.detail)
    }
}

/// Which objects refuse keys their schema does not declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// Request bodies: models that [`Spec::rejects_unknown`] (as the API does).
    Request,
    /// Everywhere (the fake's self-checks of its responses: an extra key means the fake and
    /// the spec disagree).
    Strict,
}

/// Validates `value` against `schema`; `model` names the top-level model in errors.
///
/// With a `version`, properties marked `x-cro-since: V` count as unknown before `V` and
/// `x-cro-removed-in: V` ones from `V` on (renamed fields are only known under their name of
/// that version).
pub fn check(
    spec: &Spec,
    schema: &Value,
    value: &Value,
    model: &str,
    version: Option<Version>,
    unknown: Unknown,
) -> Result<(), Violation> {
    Walker {
        spec,
        depth: 0,
        version,
        unknown,
    }
    .walk(schema, value, model, "")
}

/// Converts a query-string or header text to the JSON value its schema describes, then
/// validates it. `model` names the parameter model.
pub fn check_param(spec: &Spec, param: &Param, raw: &str, model: &str) -> Result<Value, Violation> {
    let schema = match param.schema.get("$ref").and_then(Value::as_str) {
        Some(r) => spec.resolve(r).unwrap_or(&param.schema),
        None => &param.schema,
    };
    let field = || format!("{model}.{}", param.name);
    let ty = schema_type(spec, schema);
    let value = match ty {
        Some("integer") => match raw.trim().parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => return Err(v(field(), "Not a valid integer.")),
        },
        Some("number") => match raw.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Value::from(n),
            _ => return Err(v(field(), "Not a valid number.")),
        },
        Some("boolean") => match parse_bool(raw) {
            Some(b) => Value::Bool(b),
            None => return Err(v(field(), "Not a valid boolean.")),
        },
        _ => Value::String(raw.to_owned()),
    };
    let walker = Walker {
        spec,
        depth: 0,
        version: None,
        unknown: Unknown::Request,
    };
    walker.walk(schema, &value, model, &param.name)?;
    Ok(value)
}

/// The API's boolean inputs: "One of 0, 1, True, False (case insensitive)".
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

fn schema_type<'a>(spec: &'a Spec, schema: &'a Value) -> Option<&'a str> {
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        return Some(t);
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return spec.resolve(r).and_then(|s| schema_type(spec, s));
    }
    schema
        .get("allOf")
        .and_then(Value::as_array)
        .and_then(|all| all.iter().find_map(|s| schema_type(spec, s)))
}

fn v(field: String, detail: impl Into<String>) -> Violation {
    Violation {
        field,
        detail: detail.into(),
    }
}

struct Walker<'a> {
    spec: &'a Spec,
    depth: u32,
    version: Option<Version>,
    unknown: Unknown,
}

impl Walker<'_> {
    /// Whether a property exists in the walker's API version.
    fn in_version(&self, prop: &Value) -> bool {
        let Some(v) = self.version else { return true };
        let since = prop.get("x-cro-since").and_then(Value::as_str);
        let removed = prop.get("x-cro-removed-in").and_then(Value::as_str);
        since.is_none_or(|s| v.at_least(s)) && removed.is_none_or(|r| !v.at_least(r))
    }
}

fn join(model: &str, path: &str) -> String {
    if path.is_empty() {
        model.to_owned()
    } else {
        format!("{model}.{path}")
    }
}

fn sub(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl Walker<'_> {
    fn walk(
        &self,
        schema: &Value,
        value: &Value,
        model: &str,
        path: &str,
    ) -> Result<(), Violation> {
        // Guard against reference cycles and hostile nesting.
        if self.depth > 64 {
            return Err(v(join(model, path), "Nested too deeply."));
        }
        let deeper = Walker {
            depth: self.depth + 1,
            ..*self
        };
        let Some(obj) = schema.as_object() else {
            return Ok(()); // `true`/empty schema: anything goes
        };
        let nullable = obj.get("nullable").and_then(Value::as_bool) == Some(true);
        if value.is_null() && nullable {
            return Ok(());
        }
        if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
            let Some(target) = self.spec.resolve(r) else {
                return Ok(());
            };
            // A named model: errors inside it name that model, as the API's messages do.
            let name = ref_name(r);
            if r.starts_with("#/components/schemas/") {
                // Null and wrong-type values are the parent field's fault, not the model's.
                if value.is_null() {
                    if target.get("nullable").and_then(Value::as_bool) == Some(true) {
                        return Ok(());
                    }
                    return Err(v(join(model, path), "Field may not be null."));
                }
                let is_object = target.get("type").and_then(Value::as_str) == Some("object")
                    || target.get("properties").is_some();
                if !is_object {
                    // A named scalar (an enum such as HookEvent): the field is still the parent's.
                    return deeper.walk(target, value, model, path);
                }
                if !value.is_object() {
                    return Err(v(join(model, path), "Invalid input type."));
                }
                return deeper.walk(target, value, name, "");
            }
            return deeper.walk(target, value, model, path);
        }
        if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
            for s in all {
                deeper.walk(s, value, model, path)?;
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(any) = obj.get(key).and_then(Value::as_array) {
                let mut first_err = None;
                let ok = any
                    .iter()
                    .any(|s| match deeper.walk(s, value, model, path) {
                        Ok(()) => true,
                        Err(e) => {
                            first_err.get_or_insert(e);
                            false
                        }
                    });
                if !ok && let Some(e) = first_err {
                    return Err(e);
                }
            }
        }
        if value.is_null() {
            if obj.contains_key("type") || obj.contains_key("properties") {
                return Err(v(join(model, path), "Field may not be null."));
            }
            return Ok(());
        }
        if let Some(allowed) = obj.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            let list: Vec<String> = allowed
                .iter()
                .map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_owned))
                .collect();
            return Err(v(
                join(model, path),
                format!("Must be one of: {}.", list.join(", ")),
            ));
        }
        let ty = obj.get("type").and_then(Value::as_str).or_else(|| {
            (obj.contains_key("properties") || obj.contains_key("required")).then_some("object")
        });
        match ty {
            Some("string") => self.string(obj, value, model, path),
            Some("integer") => {
                // Integers are int64: larger ones (which serde keeps as u64) do not fit.
                let ok = value.is_i64()
                    || (value.is_f64()
                        && value
                            .as_f64()
                            .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.2e18));
                if !ok {
                    return Err(v(join(model, path), "Not a valid integer."));
                }
                self.bounds(obj, value, model, path)
            }
            Some("number") => {
                if !value.is_number() {
                    return Err(v(join(model, path), "Not a valid number."));
                }
                self.bounds(obj, value, model, path)
            }
            Some("boolean") => {
                if !value.is_boolean() {
                    return Err(v(join(model, path), "Not a valid boolean."));
                }
                Ok(())
            }
            Some("array") => {
                let Some(items) = value.as_array() else {
                    return Err(v(join(model, path), "Not a valid list."));
                };
                if let Some(min) = obj.get("minItems").and_then(Value::as_u64)
                    && (items.len() as u64) < min
                {
                    return Err(v(
                        join(model, path),
                        format!("Must have at least {min} items."),
                    ));
                }
                if let Some(max) = obj.get("maxItems").and_then(Value::as_u64)
                    && (items.len() as u64) > max
                {
                    return Err(v(
                        join(model, path),
                        format!("Must have at most {max} items."),
                    ));
                }
                if let Some(item_schema) = obj.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        deeper.walk(item_schema, item, model, &sub(path, &format!("{i}")))?;
                    }
                }
                Ok(())
            }
            Some("object") => {
                let Some(map) = value.as_object() else {
                    return Err(v(join(model, path), "Invalid input type."));
                };
                let props = obj.get("properties").and_then(Value::as_object);
                if let Some(required) = obj.get("required").and_then(Value::as_array) {
                    for name in required.iter().filter_map(Value::as_str) {
                        if !map.contains_key(name) {
                            return Err(v(
                                join(model, &sub(path, name)),
                                "Missing data for required field.",
                            ));
                        }
                    }
                }
                let additional = obj.get("additionalProperties");
                for (key, val) in map {
                    match props
                        .and_then(|p| p.get(key))
                        .filter(|s| self.in_version(s))
                    {
                        Some(s) => deeper.walk(s, val, model, &sub(path, key))?,
                        None => match additional {
                            Some(Value::Object(s)) => deeper.walk(
                                &Value::Object(s.clone()),
                                val,
                                model,
                                &sub(path, key),
                            )?,
                            Some(Value::Bool(true)) => {}
                            // A free-form object (`type: object`, no properties) takes anything.
                            _ if props.is_none() => {}
                            _ if self.unknown == Unknown::Request
                                && !self.spec.rejects_unknown(model) => {}
                            _ => {
                                // An empty key still shows as `Model.` in the message.
                                let field = if key.is_empty() {
                                    format!("{}.", join(model, path))
                                } else {
                                    join(model, &sub(path, key))
                                };
                                return Err(v(field, "Unknown field."));
                            }
                        },
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn string(
        &self,
        obj: &serde_json::Map<String, Value>,
        value: &Value,
        model: &str,
        path: &str,
    ) -> Result<(), Violation> {
        let Some(s) = value.as_str() else {
            return Err(v(join(model, path), "Not a valid string."));
        };
        let len = s.chars().count() as u64;
        let min = obj.get("minLength").and_then(Value::as_u64);
        let max = obj.get("maxLength").and_then(Value::as_u64);
        let too_short = min.is_some_and(|m| len < m);
        let too_long = max.is_some_and(|m| len > m);
        if too_short || too_long {
            let detail = match (min, max) {
                (Some(a), Some(b)) => format!("Length must be between {a} and {b}."),
                (Some(a), None) => format!("Shorter than minimum length {a}."),
                (None, Some(b)) => format!("Longer than maximum length {b}."),
                (None, None) => unreachable_detail(),
            };
            return Err(v(join(model, path), detail));
        }
        let format = obj.get("format").and_then(Value::as_str);
        if let Some(p) = obj.get("pattern").and_then(Value::as_str)
            && !pattern_matches(p, s)
        {
            // A date's pattern spells out the accepted ISO 8601 forms (spec/README.md): a
            // mismatch is a bad date, as the API words it.
            let detail = if format == Some("iso8601") {
                "Not a valid datetime."
            } else {
                "String does not match expected pattern."
            };
            return Err(v(join(model, path), detail));
        }
        match format {
            Some("uuid") if uuid::Uuid::parse_str(s).is_err() => {
                Err(v(join(model, path), "Not a valid UUID."))
            }
            Some("email") if !is_email(s) => {
                Err(v(join(model, path), "Not a valid email address."))
            }
            Some("iso8601" | "date-time" | "date") if crate::time::Stamp::parse(s).is_none() => {
                Err(v(join(model, path), "Not a valid datetime."))
            }
            Some("uri" | "url") if url::Url::parse(s).is_err() => {
                Err(v(join(model, path), "Not a valid URL."))
            }
            _ => Ok(()),
        }
    }

    fn bounds(
        &self,
        obj: &serde_json::Map<String, Value>,
        value: &Value,
        model: &str,
        path: &str,
    ) -> Result<(), Violation> {
        let x = value.as_f64().unwrap_or(0.0);
        let min = obj.get("minimum").and_then(Value::as_f64);
        let max = obj.get("maximum").and_then(Value::as_f64);
        let ex_min = obj.get("exclusiveMinimum").and_then(Value::as_bool) == Some(true);
        let ex_max = obj.get("exclusiveMaximum").and_then(Value::as_bool) == Some(true);
        let low = min.is_some_and(|m| if ex_min { x <= m } else { x < m });
        let high = max.is_some_and(|m| if ex_max { x >= m } else { x > m });
        if !(low || high) {
            return Ok(());
        }
        let n = |f: f64| {
            if f.fract() == 0.0 {
                format!("{}", f as i64)
            } else {
                f.to_string()
            }
        };
        let detail = match (min, max) {
            (Some(a), Some(b)) => format!(
                "Must be greater than or equal to {} and less than or equal to {}.",
                n(a),
                n(b)
            ),
            (Some(a), None) => format!("Must be greater than or equal to {}.", n(a)),
            (None, Some(b)) => format!("Must be less than or equal to {}.", n(b)),
            (None, None) => unreachable_detail(),
        };
        Err(v(join(model, path), detail))
    }
}

fn unreachable_detail() -> String {
    "Invalid value.".to_owned()
}

/// A pragmatic email check (one `@`, non-empty local part, a dot in the domain, no spaces).
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// Matches `text` against an ECMAScript pattern, compiling each pattern once. Patterns that do
/// not compile are treated as matching (the spec, not the caller, is wrong then).
pub fn pattern_matches(pattern: &str, text: &str) -> bool {
    static CACHE: LazyLock<Mutex<HashMap<String, Option<regress::Regex>>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let re = cache
        .entry(pattern.to_owned())
        .or_insert_with(|| regress::Regex::new(pattern).ok());
    re.as_ref().is_none_or(|re| re.find(text).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Spec {
        Spec::parse(
            r##"
openapi: 3.0.3
paths: {}
components:
  schemas:
    Outer:
      type: object
      required: [name, inner]
      properties:
        name: {type: string, minLength: 1, maxLength: 4}
        code: {type: string, pattern: '^[A-Z]+\+[0-9]{1,3}$'}
        n: {type: integer, minimum: 1, maximum: 10}
        when: {type: string, format: iso8601, nullable: true}
        id: {type: string, format: uuid}
        tags: {type: array, items: {type: string, enum: [A, B]}}
        inner: {$ref: '#/components/schemas/Inner'}
        opt: {allOf: [{$ref: '#/components/schemas/Inner'}], nullable: true}
        free: {type: object}
    Inner:
      type: object
      required: [x]
      properties:
        x: {type: boolean}
"##,
        )
    }

    fn err(value: Value) -> String {
        let s = spec();
        let schema = json!({"$ref": "#/components/schemas/Outer"});
        match check(&s, &schema, &value, "Outer", None, Unknown::Request) {
            Ok(()) => "ok".into(),
            Err(e) => format!("{}: {}", e.field, e.detail),
        }
    }

    #[test]
    fn reports_fields_like_the_api() {
        let base = json!({"name": "ab", "inner": {"x": true}});
        assert_eq!(err(base.clone()), "ok");
        assert_eq!(
            err(json!({"inner": {"x": true}})),
            "Outer.name: Missing data for required field."
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": {"x": true}, "user_id": 1})),
            "Outer.user_id: Unknown field."
        );
        assert_eq!(
            err(json!({"name": "", "inner": {"x": true}})),
            "Outer.name: Length must be between 1 and 4."
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": {}})),
            "Inner.x: Missing data for required field."
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": {"x": 1}})),
            "Inner.x: Not a valid boolean."
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": {"x": true}, "n": 0})),
            "Outer.n: Must be greater than or equal to 1 and less than or equal to 10."
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": {"x": true}, "n": "3"})),
            "Outer.n: Not a valid integer."
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": {"x": true}, "code": "SMSCORP+3"})),
            "ok"
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": {"x": true}, "code": "x"})),
            "Outer.code: String does not match expected pattern."
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": {"x": true}, "when": null, "opt": null})),
            "ok"
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": null})),
            "Outer.inner: Field may not be null."
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": {"x": true}, "when": "nope"})),
            "Outer.when: Not a valid datetime."
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": {"x": true}, "id": "nope"})),
            "Outer.id: Not a valid UUID."
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": {"x": true}, "tags": ["A", "C"]})),
            "Outer.tags.1: Must be one of: A, B."
        );
        assert_eq!(
            err(json!({"name": "ab", "inner": {"x": true}, "free": {"any": 1}})),
            "ok"
        );
        assert_eq!(err(json!([1])), "Outer: Invalid input type.");
    }

    #[test]
    fn booleans_accept_the_documented_spellings() {
        for (t, b) in [("1", true), ("TRUE", true), ("False", false), ("0", false)] {
            assert_eq!(parse_bool(t), Some(b));
        }
        assert_eq!(parse_bool("yes"), None);
    }
}
