//! `cro get <resource> <id...>`: single records by id, printed as JSON.
//!
//! The request is built from the operation's metadata (path template, path parameters) and
//! sent through the client's own hooks (`pre`/`exec`/`post`: the per-operation headers,
//! token, tenant, API version, retries and error normalisation of every generated method), so
//! there is no per-endpoint code here either. The body is printed as the server sent it,
//! only re-indented: numbers are never parsed, so big ids stay exact.

use crate::cli::GetRequest;
use crate::errors;
use crate::exit::{CliError, CliResult, Exit};
use cro_api::meta::{Auth, Operation};
use cro_api::progenitor_client::{
    ClientHooks, ClientInfo, Error as RawError, OperationInfo, ResponseValue, encode_path,
};
use cro_api::types::ErrorBody;
use futures::StreamExt;
use std::io::Write;

/// Ids fetched at the same time.
const PARALLEL: usize = 4;

/// Fill the `{param}` placeholders of a path template (values percent-encoded).
pub fn fill_path(template: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            return Err(format!("malformed path template {template}"));
        };
        let name = &rest[start + 1..start + len];
        let value = values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("missing path parameter {name}"))?;
        out.push_str(&encode_path(value));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Largest record body read (a record is a few KB; this only stops a body that never ends).
pub const MAX_RECORD_BYTES: usize = 256 * 1024 * 1024;

/// Send a GET for `op` with the given path values; the body on success, exactly as sent
/// (checked to be JSON, never re-encoded, so numbers such as 99999999999999999999999 stay
/// exact).
pub async fn fetch(
    client: &cro_api::Client,
    op: &Operation,
    values: &[(&str, &str)],
) -> Result<Vec<u8>, cro_api::Error> {
    let path = fill_path(op.path, values).map_err(cro_api::Error::InvalidRequest)?;
    let result: Result<Vec<u8>, RawError<ErrorBody>> = async {
        let url = format!("{}{}", client.baseurl(), path);
        let mut request = client
            .client()
            .get(url)
            .header("accept", "application/json")
            .build()?;
        let info = OperationInfo {
            operation_id: op.id,
        };
        client.pre::<ErrorBody>(&mut request, &info).await?;
        let result = client.exec(request, &info).await;
        client.post::<ErrorBody>(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200 => read_json(response).await,
            400..=599 => Err(RawError::ErrorResponse(
                ResponseValue::<ErrorBody>::from_response(response).await?,
            )),
            _ => Err(RawError::UnexpectedResponse(response)),
        }
    }
    .await;
    result.map_err(cro_api::Error::from)
}

/// Read a success body, at most [`MAX_RECORD_BYTES`], and check that it is one JSON value.
async fn read_json(mut response: reqwest::Response) -> Result<Vec<u8>, RawError<ErrorBody>> {
    let too_large = |body: Vec<u8>| {
        RawError::InvalidResponsePayload(
            body.into(),
            serde::de::Error::custom(format!(
                "the record is larger than {} MiB",
                MAX_RECORD_BYTES / (1024 * 1024)
            )),
        )
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RECORD_BYTES as u64)
    {
        return Err(too_large(Vec::new()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(RawError::ResponseBodyError)?
    {
        if body.len() + chunk.len() > MAX_RECORD_BYTES {
            return Err(too_large(Vec::new()));
        }
        body.extend_from_slice(&chunk);
    }
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
        return Err(RawError::InvalidResponsePayload(body.into(), e));
    }
    if let Err(e) = std::str::from_utf8(&body) {
        return Err(RawError::InvalidResponsePayload(
            body.into(),
            serde::de::Error::custom(format!("the body is not UTF-8 ({e})")),
        ));
    }
    Ok(body)
}

/// Pretty-print valid JSON text token by token (two-space indent, like
/// `serde_json::to_string_pretty`), without parsing numbers: what the server sent is what is
/// printed, digit for digit.
pub fn pretty(json: &[u8]) -> String {
    fn newline(out: &mut Vec<u8>, depth: usize) {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 2));
    }
    fn next_significant(json: &[u8], mut i: usize) -> usize {
        while json.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        i
    }
    let mut out = Vec::with_capacity(json.len() + json.len() / 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let mut i = 0;
    while i < json.len() {
        let b = json[i];
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                out.push(b);
            }
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                let j = next_significant(json, i + 1);
                out.push(b);
                if json.get(j) == Some(&close) {
                    out.push(close);
                    i = j;
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(b);
            }
            b',' => {
                out.push(b);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            b if b.is_ascii_whitespace() => {}
            _ => out.push(b),
        }
        i += 1;
    }
    // The input was checked to be UTF-8 JSON and only ASCII was added.
    String::from_utf8_lossy(&out).into_owned()
}

/// `cro get`: every record found is printed; each missing id is reported on stderr, and the
/// command exits 4 at the end if any was missing. Other failures (no token, network) stop the
/// command at once, since they would repeat for every id.
pub async fn run(client: &cro_api::Client, req: &GetRequest) -> CliResult<()> {
    let given: Vec<&str> = req.path.iter().map(|(p, _)| *p).collect();
    let op = req.resource.select_get(&given).map_err(CliError::usage)?;
    let name = &req.resource.name;
    if op.auth == Auth::Bearer && !client.state().has_token() {
        return Err(CliError::auth(format!(
            "getting {name} needs an access token and none is configured"
        ))
        .detail(
            "hint: set CRO_TOKEN, pass --token, run `cro auth login`, or try `cro --demo ...`",
        ));
    }
    let Some(id_param) = op.path_params.last() else {
        return Err(CliError::other(format!("{} has no id parameter", op.id)));
    };
    let results: Vec<(&String, Result<Vec<u8>, cro_api::Error>)> =
        futures::stream::iter(req.ids.iter())
            .map(|id| {
                let mut v: Vec<(&str, &str)> =
                    req.path.iter().map(|(k, v)| (*k, v.as_str())).collect();
                v.push((id_param, id.as_str()));
                async move { (id, fetch(client, op, &v).await) }
            })
            .buffered(PARALLEL)
            .collect()
            .await;
    let mut found: Vec<Vec<u8>> = Vec::with_capacity(results.len());
    let mut missing: Vec<&str> = Vec::new();
    for (id, result) in results {
        match result {
            Ok(body) => found.push(body),
            Err(e) if e.is_not_found() => {
                eprintln!(
                    "error: {name} {}: not found (the API answered 404{})",
                    errors::clean(id),
                    e.detail()
                        .map(|d| format!(": {}", errors::clean(d)))
                        .unwrap_or_default()
                );
                missing.push(id);
            }
            Err(e) => return Err(errors::api(&e).context(format!("{name} {}", errors::clean(id)))),
        }
    }
    if !found.is_empty() {
        // One id: the record; several: an array of the records found, in the order asked.
        let text = if req.ids.len() == 1 {
            pretty(&found[0])
        } else {
            pretty(&[b"[".as_slice(), &found.join(b",".as_slice()), b"]"].concat())
        };
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{text}")?;
        stdout.flush()?;
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CliError::new(
            Exit::Api,
            format!(
                "{} of {} {name} not found: {}",
                missing.len(),
                req.ids.len(),
                missing
                    .iter()
                    .map(|id| errors::clean(id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_encodes_path_templates() {
        assert_eq!(
            fill_path(
                "/locations/{location_id}/customers/{customer_id}",
                &[("location_id", "3"), ("customer_id", "7")]
            )
            .unwrap(),
            "/locations/3/customers/7"
        );
        assert_eq!(
            fill_path("/haulers/{hauler_uuid}", &[("hauler_uuid", "a/b c")]).unwrap(),
            "/haulers/a%2Fb%20c"
        );
        assert!(fill_path("/x/{y}", &[]).is_err());
    }

    #[test]
    fn pretty_keeps_numbers_and_strings_exact() {
        let raw = br#"{"id":99999999999999999999999,"x":1.10,"s":"a,b:{c}\"]","e":{},"l":[ ],"n":[1,[2]]}"#;
        let text = pretty(raw);
        assert!(text.contains("\"id\": 99999999999999999999999,"), "{text}");
        assert!(text.contains("\"x\": 1.10,"), "{text}");
        assert!(text.contains(r#""s": "a,b:{c}\"]""#), "{text}");
        // Same layout as serde_json's pretty printer for values it can represent.
        let plain = br#"{"a":[1,{"b":null}],"c":{},"d":[],"e":"x"}"#;
        let v: serde_json::Value = serde_json::from_slice(plain).unwrap();
        assert_eq!(pretty(plain), serde_json::to_string_pretty(&v).unwrap());
    }
}
