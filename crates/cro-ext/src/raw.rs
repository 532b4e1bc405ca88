//! Paged requests built from the operation table at run time, whose items are the server's
//! JSON exactly as sent ([`RawListRequest`], [`RawItem`]).
//!
//! The typed requests (`client.list_customers()`, ...) decode every item into its generated
//! model. A program that only passes records on (`cro export --format ndjson`) pays for that
//! decode and for encoding the model again, and loses what the model does not hold (fields
//! the spec does not know yet, `null` optionals). A [`RawListRequest`] walks the same pages
//! through the same [`Paginator`](crate::Paginator) (stop rules, prefetch, drift and advance
//! checks) but only checks that each page is valid JSON of the expected shape, and hands out
//! each item as a zero-copy slice of the page body.
//!
//! ```no_run
//! use cro_ext::{Paginate, Params, RawListRequest};
//! use futures::TryStreamExt;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = cro_api::Client::from_env()?;
//! let op = cro_api::meta::Operation::find("list_customers").expect("in the table");
//! let request = RawListRequest::new(&client, op, &Params::new())?;
//! let mut items = request.paginate().concurrency(4).items();
//! while let Some(item) = items.try_next().await? {
//!     println!("{}", String::from_utf8_lossy(item.as_bytes()));
//! }
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use cro_api::meta::{Operation, Paging, QueryParam};
use cro_api::progenitor_client::{
    ClientHooks, ClientInfo, Error as HookError, OperationInfo, ResponseValue, encode_path,
};
use cro_api::types::ErrorBody;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::registry::{self, ParamError, Params};
use crate::request::{PageStyle, PagedRequest, PagedVisitor, RawPage, page_number};

/// One item of a list, as the JSON text the server sent for it (no surrounding whitespace).
///
/// The bytes are always one complete, valid UTF-8 JSON value: they come from a page body that
/// was parsed before being sliced, from [`from_json`](RawItem::from_json), or from
/// deserializing. Cloning is cheap (a reference-counted slice of the page body); note that an
/// item keeps its whole page body alive.
///
/// `Serialize` writes the JSON verbatim through serde_json's raw values (serde_json
/// serializers copy it as is; it is checked again on the way, so prefer
/// [`as_bytes`](RawItem::as_bytes) on hot paths). `Deserialize` accepts any JSON value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawItem(Bytes);

impl RawItem {
    /// An item from JSON text, which must be exactly one valid JSON value (surrounding
    /// whitespace is dropped).
    pub fn from_json(json: impl Into<Bytes>) -> Result<Self, serde_json::Error> {
        let body = json.into();
        let raw: &RawValue = serde_json::from_slice(&body)?;
        Ok(RawItem(slice_of(&body, raw)))
    }

    /// The item's JSON, byte for byte as the server sent it.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The item's JSON as [`Bytes`] (no copy).
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl AsRef<[u8]> for RawItem {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for RawItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawItem")
            .field(&String::from_utf8_lossy(&self.0))
            .finish()
    }
}

impl Serialize for RawItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // serde_json offers no unchecked `&str -> &RawValue`, so the text is parsed once more;
        // it is valid by construction, so this cannot fail in practice.
        let raw: &RawValue = serde_json::from_slice(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text: Box<str> = raw.into();
        Ok(RawItem(Bytes::from(String::from(text))))
    }
}

/// A paged list request built at run time from an entry of `cro_api::meta::OPERATIONS` and
/// textual parameters, yielding [`RawItem`]s.
///
/// Parameters are validated exactly as [`with_paged_request`](crate::with_paged_request)
/// validates them (same names, same conversions, same [`ParamError`]s), and sent in the form
/// the typed builder would send them (integers and booleans normalised, UUIDs hyphenated
/// lower case, text verbatim; path values percent-encoded). Each page is a GET sent through
/// the client's own hooks, as the generated methods send theirs: token, tenant,
/// `x-api-version`, `x-request-id`, retries and typed errors all apply. A body that is not
/// valid JSON of the operation's paging shape is a [`cro_api::Error::Decode`].
///
/// Its operation and paging style are known only at run time: use the
/// [`operation_id`](PagedRequest::operation_id) and [`style`](PagedRequest::style) methods,
/// not the trait's constants.
#[derive(Clone)]
pub struct RawListRequest<'c> {
    client: &'c cro_api::Client,
    operation: &'static Operation,
    style: PageStyle,
    /// The path with its parameters filled in and percent-encoded (without the base URL).
    path: Arc<str>,
    /// Filters as sent, in the operation's query parameter order (shared by every page's
    /// clone of the request).
    filters: Arc<[(&'static str, String)]>,
}

impl fmt::Debug for RawListRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawListRequest")
            .field("operation", &self.operation.id)
            .field("style", &self.style)
            .field("path", &self.path)
            .field("filters", &self.filters)
            .finish_non_exhaustive()
    }
}

/// Builds nothing and sends nothing: [`with_paged_request`](crate::with_paged_request) run
/// only for its validation.
struct Validate;

impl PagedVisitor for Validate {
    type Output = ();
    fn visit<R: PagedRequest>(self, _request: R) {}
}

impl<'c> RawListRequest<'c> {
    /// The request of the paged operation `operation` with `params` (wire names of path
    /// parameters and filters to textual values, as for
    /// [`with_paged_request`](crate::with_paged_request)).
    pub fn new(
        client: &'c cro_api::Client,
        operation: &'static Operation,
        params: &Params,
    ) -> Result<Self, ParamError> {
        // The typed registry is the one place that knows every parameter's type: running it
        // keeps the two kinds of request in agreement on what is accepted.
        crate::with_paged_request(client, operation.id, params, Validate)?;
        let style = match operation.paging {
            Paging::Envelope { .. } => PageStyle::Envelope,
            Paging::BareArray { .. } => PageStyle::BareArray,
            Paging::None => return Err(registry::not_paged(operation.id)),
        };
        let path = fill_path(operation, params)?;
        let filters: Vec<(&'static str, String)> = operation
            .filters()
            .filter_map(|q| {
                params
                    .get(q.name)
                    .map(|v| (q.name, query_value(operation, q, v)))
            })
            .collect();
        Ok(RawListRequest {
            client,
            operation,
            style,
            path: path.into(),
            filters: filters.into(),
        })
    }

    /// [`new`](RawListRequest::new) for the operation named `operation_id`.
    pub fn from_operation_id(
        client: &'c cro_api::Client,
        operation_id: &str,
        params: &Params,
    ) -> Result<Self, ParamError> {
        let operation =
            Operation::find(operation_id).ok_or_else(|| registry::not_paged(operation_id))?;
        Self::new(client, operation, params)
    }

    /// The operation's entry in the operation table.
    pub fn operation(&self) -> &'static Operation {
        self.operation
    }

    /// Send the GET for one page through the client's hooks; the `200` response (its body
    /// not read yet) on success.
    async fn send(
        &self,
        page_index: u32,
        page_limit: u32,
    ) -> Result<reqwest::Response, HookError<ErrorBody>> {
        let (page_index, page_limit) = (page_index.to_string(), page_limit.to_string());
        // In the spec's parameter order, with the pager's two where the spec puts them.
        let mut query: Vec<(&str, &str)> = Vec::with_capacity(self.filters.len() + 2);
        for q in self.operation.query_params {
            match q.name {
                "page_index" => query.push(("page_index", &page_index)),
                "page_limit" => query.push(("page_limit", &page_limit)),
                name => {
                    if let Some((_, value)) = self.filters.iter().find(|(n, _)| *n == name) {
                        query.push((name, value));
                    }
                }
            }
        }
        let url = format!("{}{}", self.client.baseurl(), self.path);
        let mut request = self
            .client
            .client()
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .query(&query)
            .build()?;
        let info = OperationInfo {
            operation_id: self.operation.id,
        };
        self.client.pre::<ErrorBody>(&mut request, &info).await?;
        let result = self.client.exec(request, &info).await;
        self.client.post::<ErrorBody>(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200 => Ok(response),
            400..=599 => Err(HookError::ErrorResponse(
                ResponseValue::<ErrorBody>::from_response(response).await?,
            )),
            _ => Err(HookError::UnexpectedResponse(response)),
        }
    }
}

/// Read a `200` response's body and parse it as a page of `style`.
///
/// Inside a tokio runtime this runs as a task of its own: the walk's consumer polls the
/// requests in flight from one thread, and a body is only received while its future is
/// polled, so reading and checking each page on the runtime's workers lets every page in
/// flight arrive and be parsed in parallel (on a 2-core machine, the difference between one
/// busy core and two). The task is aborted if the walk drops the page (a stop, an error).
async fn read_page(
    style: PageStyle,
    response: reqwest::Response,
) -> Result<RawPage<RawItem>, cro_api::Error> {
    let work = async move {
        let body = response
            .bytes()
            .await
            .map_err(|e| cro_api::Error::from(HookError::ResponseBodyError(e)))?;
        parse_page(style, body)
    };
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            let mut task = AbortOnDrop(runtime.spawn(work));
            match (&mut task.0).await {
                Ok(page) => page,
                // Only when the runtime shuts down under the walk (the parse does not panic).
                Err(e) => Err(cro_api::Error::from(HookError::Custom(format!(
                    "reading the page body did not complete: {e}"
                )))),
            }
        }
        Err(_) => work.await,
    }
}

/// Aborts the task when dropped, so that a page the walk no longer wants stops downloading.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl PagedRequest for RawListRequest<'_> {
    type Item = RawItem;
    /// Placeholder required by the trait: the operation is chosen at run time, so the
    /// paginator asks [`operation_id`](PagedRequest::operation_id), which this type overrides.
    const OPERATION_ID: &'static str = "raw_list_request";
    /// Placeholder required by the trait; see [`style`](PagedRequest::style).
    const STYLE: PageStyle = PageStyle::Envelope;

    fn operation_id(&self) -> &'static str {
        self.operation.id
    }

    fn style(&self) -> PageStyle {
        self.style
    }

    fn client(&self) -> Option<&cro_api::Client> {
        Some(self.client)
    }

    async fn fetch_page(
        self,
        page_index: u32,
        page_limit: u32,
    ) -> Result<RawPage<RawItem>, cro_api::Error> {
        let response = self
            .send(page_index, page_limit)
            .await
            .map_err(cro_api::Error::from)?;
        read_page(self.style, response).await
    }
}

/// The paging envelope with the items left as raw JSON borrowed from the body. The numbers
/// are decoded as leniently as the generated envelopes decode them (`i64`, `null` allowed).
#[derive(Deserialize)]
struct Envelope<'a> {
    current_page: Option<i64>,
    current_limit: Option<i64>,
    total_pages: Option<i64>,
    total_count: Option<i64>,
    #[serde(borrow)]
    results: Vec<&'a RawValue>,
}

/// Parse a page body of `style` and slice its items out of it.
///
/// Parsing the whole body (not just finding the item boundaries) is what makes a truncated or
/// otherwise broken page an error rather than a silently short page.
pub(crate) fn parse_page(
    style: PageStyle,
    body: Bytes,
) -> Result<RawPage<RawItem>, cro_api::Error> {
    // The generated methods' decode error, so that callers see one error for one problem.
    let invalid =
        |body: &Bytes, e| cro_api::Error::from(HookError::InvalidResponsePayload(body.clone(), e));
    match style {
        PageStyle::Envelope => {
            let envelope: Envelope<'_> = match serde_json::from_slice(&body) {
                Ok(envelope) => envelope,
                Err(e) => return Err(invalid(&body, e)),
            };
            Ok(RawPage {
                current_page: page_number(envelope.current_page),
                current_limit: page_number(envelope.current_limit),
                total_pages: page_number(envelope.total_pages),
                total_count: page_number(envelope.total_count),
                results: items(&body, &envelope.results),
            })
        }
        PageStyle::BareArray => {
            let array: Vec<&RawValue> = match serde_json::from_slice(&body) {
                Ok(array) => array,
                Err(e) => return Err(invalid(&body, e)),
            };
            Ok(RawPage {
                current_page: None,
                current_limit: None,
                total_pages: None,
                total_count: None,
                results: items(&body, &array),
            })
        }
    }
}

fn items(body: &Bytes, raws: &[&RawValue]) -> Vec<RawItem> {
    raws.iter()
        .map(|raw| RawItem(slice_of(body, raw)))
        .collect()
}

/// `raw` (borrowed from `body` by the parser) as a slice of `body`, without copying.
fn slice_of(body: &Bytes, raw: &RawValue) -> Bytes {
    let text = raw.get();
    let start = (text.as_ptr() as usize).checked_sub(body.as_ptr() as usize);
    match start {
        Some(start) if start + text.len() <= body.len() => body.slice(start..start + text.len()),
        // Not borrowed from `body` (serde_json always borrows from a slice, so this is only a
        // safety net): a copy is as correct, just slower.
        _ => Bytes::copy_from_slice(text.as_bytes()),
    }
}

/// `operation.path` with each `{name}` replaced by the percent-encoded value of `name`.
fn fill_path(operation: &Operation, params: &Params) -> Result<String, ParamError> {
    let template = operation.path;
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            // Generated templates are well formed; anything else is passed through as text.
            break;
        };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..open + len];
        let value = registry::required(operation.id, params, name)?;
        out.push_str(&encode_path(&path_value(name, value)));
        rest = &rest[open + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A path value in the form the typed builder sends: the spec's path parameters are integer
/// ids, and UUIDs for the `*_uuid` ones (both already validated by the registry).
fn path_value(name: &str, value: &str) -> String {
    if name.ends_with("uuid") {
        canonical_uuid(value)
    } else {
        canonical_integer(value)
    }
}

/// A filter value in the form the typed builder sends (`1` → `true`, ` 7 ` → `7`, ...).
fn query_value(operation: &Operation, param: &QueryParam, value: &str) -> String {
    match (param.kind, param.format) {
        ("boolean", _) => match registry::parse_boolean::<bool>(operation.id, param.name, value) {
            Ok(b) => b.to_string(),
            Err(_) => value.to_owned(),
        },
        ("integer", _) => canonical_integer(value),
        ("number", _) => value.trim().to_owned(),
        ("string", Some("uuid")) => canonical_uuid(value),
        _ => value.to_owned(),
    }
}

fn canonical_integer(value: &str) -> String {
    value
        .trim()
        .parse::<i128>()
        .map_or_else(|_| value.to_owned(), |n| n.to_string())
}

fn canonical_uuid(value: &str) -> String {
    uuid::Uuid::try_parse(value).map_or_else(|_| value.to_owned(), |u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_slices_of_the_body() {
        let body = Bytes::from_static(
            br#"{"current_page":1,"current_limit":2,"total_pages":1,"total_count":2,
                "results":[ {"id":1,"x":null,"new":{"a":[1,2.50]}} ,"s\u00e9"],"extra":true}"#,
        );
        let page = parse_page(PageStyle::Envelope, body.clone()).unwrap();
        assert_eq!(page.total_count, Some(2));
        assert_eq!(
            page.results[0].as_bytes(),
            br#"{"id":1,"x":null,"new":{"a":[1,2.50]}}"#
        );
        assert_eq!(page.results[1].as_bytes(), br#""s\u00e9""#);
        let start = body.as_ptr() as usize;
        let item = page.results[0].as_bytes().as_ptr() as usize;
        assert!(item > start && item < start + body.len(), "not copied");
    }

    #[test]
    fn broken_pages_are_payload_errors() {
        for (style, body) in [
            (PageStyle::Envelope, &b"{\"results\":[{\"id\":1}"[..]),
            (PageStyle::Envelope, b"[]"),
            (PageStyle::Envelope, b"{\"results\":[]} x"),
            (PageStyle::BareArray, b"{\"results\":[]}"),
            (PageStyle::BareArray, b"[{\"id\":1},"),
            (PageStyle::BareArray, b"[\"\xff\"]"),
            (PageStyle::BareArray, b""),
        ] {
            let result = parse_page(style, Bytes::from_static(body));
            assert!(
                matches!(result, Err(cro_api::Error::Decode(_))),
                "{style:?} {body:?}"
            );
        }
    }

    #[test]
    fn serde_round_trip_is_verbatim() {
        let item = RawItem::from_json(&b" {\"b\":1.0,\"a\":null} "[..]).unwrap();
        assert_eq!(item.as_bytes(), b"{\"b\":1.0,\"a\":null}");
        assert_eq!(
            serde_json::to_string(&vec![item.clone()]).unwrap(),
            "[{\"b\":1.0,\"a\":null}]"
        );
        let back: RawItem = serde_json::from_str(" {\"b\":1.0,\"a\":null}").unwrap();
        assert_eq!(back, item);
        assert!(RawItem::from_json(&b"{\"a\":"[..]).is_err());
    }

    #[test]
    fn parameters_take_the_typed_form() {
        assert_eq!(canonical_integer(" 007 "), "7");
        assert_eq!(
            canonical_uuid("3FA85F64-5717-4562-B3FC-2C963F66AFA6"),
            "3fa85f64-5717-4562-b3fc-2c963f66afa6"
        );
        assert_eq!(path_value("location_id", "12"), "12");
    }
}
