//! Locating and loading `spec/openapi.yaml`.
//!
//! The spec is read into a plain `serde_json::Value` first (not straight into
//! `openapiv3::OpenAPI`) because the lenient-response transform rewrites it generically before
//! progenitor sees it, and because YAML allows non-string mapping keys (`200:`) that JSON, and
//! therefore the OpenAPI model, does not.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

/// Spec path relative to the workspace root; also quoted in generated-file headers.
pub const SPEC_PATH: &str = "spec/openapi.yaml";

/// The workspace root: the parent of this crate's manifest directory.
///
/// Using `CARGO_MANIFEST_DIR` (baked in at compile time) rather than the current directory lets
/// `cargo xtask codegen` work from any sub-directory of the workspace.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Read a YAML (or JSON, which is YAML) OpenAPI document into a JSON value.
pub fn load(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the OpenAPI spec at {}", path.display()))?;
    let mut yaml: serde_yaml::Value = serde_yaml::from_str(&text)
        .with_context(|| format!("{} is not valid YAML", path.display()))?;
    // Resolve `<<: *anchor` merge keys so that nothing downstream has to know about them.
    yaml.apply_merge()
        .with_context(|| format!("cannot apply YAML merge keys in {}", path.display()))?;
    yaml_to_json(yaml, "")
}

/// Deserialize the (possibly transformed) JSON value into the typed OpenAPI model.
pub fn parse(value: &Value) -> Result<openapiv3::OpenAPI> {
    let version = value.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.0.") {
        bail!("spec declares `openapi: {version}`; progenitor only accepts OpenAPI 3.0.x");
    }
    serde_json::from_value(value.clone())
        .context("the spec does not match the OpenAPI 3.0 object model")
}

/// Convert YAML to JSON, turning scalar mapping keys into strings (`200:` -> `"200"`).
///
/// `location` is a JSON-pointer-like path used only in error messages.
fn yaml_to_json(yaml: serde_yaml::Value, location: &str) -> Result<Value> {
    use serde_yaml::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .with_context(|| format!("{location}: {f} is not a JSON number"))?
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| yaml_to_json(item, &format!("{location}/{i}")))
                .collect::<Result<_>>()?,
        ),
        Y::Mapping(mapping) => {
            let mut object = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => bail!("{location}: unsupported mapping key {other:?}"),
                };
                let child = format!("{location}/{key}");
                object.insert(key, yaml_to_json(value, &child)?);
            }
            Value::Object(object)
        }
        Y::Tagged(tagged) => bail!("{location}: YAML tag {} is not supported", tagged.tag),
    })
}
