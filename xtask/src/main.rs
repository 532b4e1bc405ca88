//! `cargo xtask`: repository automation for cro-rs.
//!
//! ```text
//! cargo xtask codegen            regenerate the checked-in code from spec/openapi.yaml
//! cargo xtask codegen --check    fail (exit 1, with a diff) if the checked-in code is stale
//!       [--spec PATH]            read another spec (for trying out spec changes)
//! cargo xtask bench [...]        export benchmarks: cro vs the sample script vs the transfer
//!                                floor, and cro's peak memory (see [`bench`])
//! ```
//!
//! Codegen pipeline, one module per step:
//! 1. [`spec`]: read `spec/openapi.yaml` into JSON;
//! 2. [`lenient`]: relax validation keywords in response-only schemas;
//! 3. [`model`]: read and check operations, security, `x-cro-*` extensions;
//! 4. [`client`]: run progenitor, then [`rewrite`] its output (one error type, plain-value
//!    setters, version-proof accessors, ...) -> `cro-api/src/generated.rs`;
//! 5. [`surface`]: index the generated client (builder structs, types);
//! 6. [`emit_meta`] -> `cro-api/src/generated_meta.rs`;
//!    [`emit_paging`] -> `cro-ext/src/generated_paging.rs`;
//! 7. [`output`]: write the files that changed, or diff them (`--check`); the spec itself is
//!    copied into `crates/cro-fake/spec/` (the published cro-fake embeds it, cro-cli reads it
//!    from there), so it is checked the same way.
//!
//! Output is deterministic: everything is ordered by the spec or sorted, nothing depends on
//! hash-map order, time or the environment, so two runs are byte-identical.

mod bench;
mod client;
mod emit_meta;
mod emit_paging;
mod lenient;
mod model;
mod output;
mod render;
mod rewrite;
mod spec;
mod surface;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::output::GeneratedFile;

/// Path of the generated client, relative to the workspace root.
const CLIENT_PATH: &str = "crates/cro-api/src/generated.rs";

/// The copy of the spec inside cro-fake's package (cro-fake embeds it, cro-cli reads it from
/// cro-fake): a published crate may only include files below its own directory.
const SPEC_COPY_PATH: &str = "crates/cro-fake/spec/openapi.yaml";

/// The license texts at the root, copied into each published crate (`cargo package` takes
/// files from the crate's directory only, and every `.crate` must carry both texts).
const LICENSE_COPIES: &[(&str, &[&str])] = &[
    (
        "LICENSE-MIT",
        &[
            "crates/cro-api/LICENSE-MIT",
            "crates/cro-ext/LICENSE-MIT",
            "crates/cro-fake/LICENSE-MIT",
            "crates/cro-cli/LICENSE-MIT",
        ],
    ),
    (
        "LICENSE-APACHE",
        &[
            "crates/cro-api/LICENSE-APACHE",
            "crates/cro-ext/LICENSE-APACHE",
            "crates/cro-fake/LICENSE-APACHE",
            "crates/cro-cli/LICENSE-APACHE",
        ],
    ),
];

/// Why response-only schemas are relaxed; heads `generated.rs` (see [`lenient`]).
const CLIENT_PREAMBLE: &[&str] = &[
    "Lenient responses: before generation, validation keywords (minLength, maxLength, pattern,",
    "minimum, maximum, exclusiveMinimum, exclusiveMaximum, minItems, maxItems, uniqueItems) were",
    "removed from the component schemas reachable only from responses. Be strict in what we send,",
    "lenient in what we decode: with them, typify emits validating newtypes, and one value the API",
    "returns outside its documented limits (a 65-character legacy name) would make a whole page",
    "fail to decode. Schemas used by request bodies or parameters keep every constraint, so input",
    "is validated before it is sent. `enum`s are kept everywhere.",
];

/// Parsed command line.
struct Args {
    check: bool,
    spec: Option<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("codegen") => {}
        Some(other) => {
            bail!(
                "unknown task `{other}`; usage: cargo xtask codegen [--check] [--spec PATH] | cargo xtask bench [...]"
            )
        }
        None => bail!("usage: cargo xtask codegen [--check] [--spec PATH]"),
    }
    let mut parsed = Args {
        check: false,
        spec: None,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => parsed.check = true,
            "--spec" => match args.next() {
                Some(path) => parsed.spec = Some(PathBuf::from(path)),
                None => bail!("--spec needs a path"),
            },
            other => bail!("unknown argument `{other}`"),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("bench") {
        return bench::main(&args[1..]);
    }
    match parse_args().and_then(|args| codegen(&args)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Generate every file, then write or check them.
fn codegen(args: &Args) -> Result<ExitCode> {
    let root = spec::workspace_root();
    let spec_path = args
        .spec
        .clone()
        .unwrap_or_else(|| root.join(spec::SPEC_PATH));
    let mut files = generate(&spec::load(&spec_path)?)?;
    files.push(GeneratedFile {
        path: SPEC_COPY_PATH,
        contents: std::fs::read_to_string(&spec_path)
            .with_context(|| format!("cannot read {}", spec_path.display()))?,
    });
    files.extend(package_copies(&root)?);

    if args.check {
        let stale = output::check(&root, &files)?;
        if stale.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "error: generated code is out of date with {}: {}\n\
             run `cargo xtask codegen` and commit the result",
            spec_path
                .strip_prefix(&root)
                .unwrap_or(&spec_path)
                .display(),
            stale.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    let written = output::write(&root, &files)?;
    if written.is_empty() {
        eprintln!("codegen: all {} files up to date", files.len());
    }
    for path in written {
        eprintln!("codegen: wrote {path}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The files copied verbatim into the published crates' directories (see [`LICENSE_COPIES`]).
fn package_copies(root: &std::path::Path) -> Result<Vec<GeneratedFile>> {
    let mut files = Vec::new();
    for (source, copies) in LICENSE_COPIES {
        let text = std::fs::read_to_string(root.join(source))
            .with_context(|| format!("cannot read {source}"))?;
        files.extend(copies.iter().map(|path| GeneratedFile {
            path,
            contents: text.clone(),
        }));
    }
    Ok(files)
}

/// Run the whole pipeline in memory.
fn generate(raw_spec: &serde_json::Value) -> Result<Vec<GeneratedFile>> {
    let mut spec = raw_spec.clone();
    let report = lenient::apply(&mut spec)?;
    eprintln!(
        "codegen: relaxed {} response-only schemas ({} keywords removed); {} request schemas kept strict",
        report.relaxed.len(),
        report.keywords_removed,
        report.strict.len()
    );
    let api = spec::parse(&spec)?;
    let model = model::Model::from_spec(&api, &spec)?;
    let mut client = client::generate(&api)?;
    rewrite::apply(&mut client.file, &spec)?;
    rewrite::document_types(&mut client.file, &model)?;
    client.source = prettyplease::unparse(&client.file);
    let surface = surface::Surface::new(&client.file)?;
    Ok(vec![
        GeneratedFile {
            path: CLIENT_PATH,
            contents: render::with_header(&client.source, CLIENT_PREAMBLE),
        },
        GeneratedFile {
            path: emit_meta::PATH,
            contents: emit_meta::emit(&model)?,
        },
        GeneratedFile {
            path: emit_paging::PATH,
            contents: emit_paging::emit(&model, &surface)?,
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// A small spec following the conventions (`xtask/testdata/mini-openapi.yaml`).
    fn mini_spec() -> Value {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/mini-openapi.yaml");
        spec::load(&path).expect("test spec loads")
    }

    fn contents<'a>(files: &'a [GeneratedFile], path: &str) -> &'a str {
        &files
            .iter()
            .find(|f| f.path == path)
            .expect("file generated")
            .contents
    }

    #[test]
    fn generates_deterministically() {
        let spec = mini_spec();
        let first = generate(&spec).unwrap();
        let second = generate(&spec).unwrap();
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(a.contents, b.contents, "{} differs between runs", a.path);
            assert!(a.contents.starts_with(&render::header_line()), "{}", a.path);
        }
        let client = contents(&first, CLIENT_PATH);
        // Lenient: the response-only `CustomerModel.name` lost its maxLength, so no newtype;
        // the request-side `CreateCustomerModel.name` keeps its validating newtype.
        assert!(!client.contains("pub struct CustomerModelName"));
        assert!(client.contains("pub struct CreateCustomerModelName"));
        assert!(client.contains("pub created_on: crate::Timestamp"));
        assert!(client.contains("::std::option::Option<crate::Timestamp>"));
    }

    #[test]
    fn meta_maps_security_and_paging() {
        let files = generate(&mini_spec()).unwrap();
        let meta = contents(&files, emit_meta::PATH);
        let op = |id: &str| {
            let start = meta.find(&format!("id: \"{id}\"")).expect(id);
            let end = meta[start..].find("request_body").unwrap() + start;
            meta[start..end].to_owned()
        };
        assert!(op("create_user").contains("auth: Auth::None"));
        assert!(op("create_user").contains("tenant: TenantHeader::Absent"));
        assert!(op("get_hauler").contains("tenant: TenantHeader::Optional"));
        assert!(op("list_tenants").contains("tenant: TenantHeader::Absent"));
        assert!(op("list_tenants").contains("auth: Auth::Bearer"));
        assert!(op("list_customers").contains("tenant: TenantHeader::Required"));
        assert!(op("list_materials").contains("Paging::BareArray"));
        assert!(op("list_customers").contains("list_model: \"CustomerListModel\""));
        assert!(op("list_customers").contains("format: Some(\"iso8601\")"));
        assert!(meta.contains("pub const LATEST_API_VERSION: &str = \"2023/04/19\";"));

        let paging = contents(&files, emit_paging::PATH);
        assert!(paging.contains("impl_bare_array_paged!(ListMaterials, \"list_materials\", ::cro_api::types::MaterialModel);"));
        assert!(!paging.contains("\"create_customer\""));
    }

    #[test]
    fn convention_violations_are_all_reported() {
        let mut spec = mini_spec();
        let customers = &mut spec["paths"]["/locations/{location_id}/customers"];
        customers["get"]
            .as_object_mut()
            .unwrap()
            .remove("x-cro-roles");
        customers["post"]["x-cro-paging"] = json!("envelope");
        customers["post"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "x-tenant-id", "in": "header", "schema": {"type": "integer"}}));
        spec["paths"]["/users"]["post"]["x-cro-roles"] = json!(["Nobody"]);
        let error = format!("{:#}", generate(&spec).unwrap_err());
        for expected in [
            "GET /locations/{location_id}/customers: x-cro-roles",
            "POST /locations/{location_id}/customers: header parameter `x-tenant-id` is not allowed",
            "POST /locations/{location_id}/customers: x-cro-paging is set but the `page_index` query parameter is missing",
            "POST /users: x-cro-roles: \"Nobody\" is not a Role value",
        ] {
            assert!(
                error.contains(expected),
                "missing `{expected}` in:\n{error}"
            );
        }
    }
}
