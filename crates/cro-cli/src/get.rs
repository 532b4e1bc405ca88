//! `cro get <resource> <id...>`: single records by id, printed as JSON.
//!
//! The request is built from the operation's metadata (path template, path parameters) and
//! sent through the client's own hooks (`pre`/`exec`/`post`: the per-operation headers,
//! token, tenant, API version, retries and error normalisation of every generated method), so
//! there is no per-endpoint code here either. The body is printed as the server sent it.

use crate::cli::GetRequest;
use crate::errors;
use crate::exit::{CliError, CliResult};
use cro_api::meta::{Auth, Operation};
use cro_api::progenitor_client::{
    ClientHooks, ClientInfo, Error as RawError, OperationInfo, ResponseValue, encode_path,
};
use cro_api::types::ErrorBody;
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
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

/// Send a GET for `op` with the given path values; the JSON body on success.
pub async fn fetch(
    client: &cro_api::Client,
    op: &Operation,
    values: &[(&str, &str)],
) -> Result<Value, cro_api::Error> {
    let path = fill_path(op.path, values).map_err(cro_api::Error::InvalidRequest)?;
    let result: Result<Value, RawError<ErrorBody>> = async {
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
            200 => Ok(ResponseValue::<Value>::from_response(response)
                .await?
                .into_inner()),
            400..=599 => Err(RawError::ErrorResponse(
                ResponseValue::<ErrorBody>::from_response(response).await?,
            )),
            _ => Err(RawError::UnexpectedResponse(response)),
        }
    }
    .await;
    result.map_err(cro_api::Error::from)
}

/// `cro get`.
pub async fn run(client: &cro_api::Client, req: &GetRequest) -> CliResult<()> {
    let given: Vec<&str> = req.path.iter().map(|(p, _)| *p).collect();
    let op = req.resource.select_get(&given).map_err(CliError::usage)?;
    if op.auth == Auth::Bearer && !client.state().has_token() {
        return Err(CliError::auth(format!(
            "{} requires an access token and none is configured",
            op.id
        ))
        .detail(
            "hint: set CRO_TOKEN, pass --token, run `cro auth login`, or try `cro --demo ...`",
        ));
    }
    let Some(id_param) = op.path_params.last() else {
        return Err(CliError::other(format!("{} has no id parameter", op.id)));
    };
    let values: Vec<Value> = futures::stream::iter(req.ids.iter())
        .map(|id| {
            let mut v: Vec<(&str, &str)> = req.path.iter().map(|(k, v)| (*k, v.as_str())).collect();
            v.push((id_param, id.as_str()));
            async move {
                fetch(client, op, &v)
                    .await
                    .map_err(|e| errors::api(&e).context(format!("{} {id}", op.id)))
            }
        })
        .buffered(PARALLEL)
        .try_collect()
        .await?;
    let out = if values.len() == 1 {
        serde_json::to_string_pretty(&values[0])
    } else {
        serde_json::to_string_pretty(&values)
    }
    .map_err(|e| CliError::other(e.to_string()))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{out}")?;
    stdout.flush()?;
    Ok(())
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
}
