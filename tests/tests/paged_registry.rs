//! `cro_ext::with_paged_request` covers every paged operation of the operation table, builds
//! the right progenitor builder, converts every kind of parameter, and reports bad input as a
//! `ParamError` naming the operation and the parameter.

use cro_api::meta::{OPERATIONS, Operation, Paging};
use cro_ext::{PageStyle, PagedRequest, PagedVisitor, ParamError, Params, with_paged_request};

/// Reports which `PagedRequest` impl it was handed.
struct Identify;

impl PagedVisitor for Identify {
    type Output = (&'static str, PageStyle);
    fn visit<R: PagedRequest>(self, request: R) -> Self::Output {
        // The page future is `Send` (checked at compile time; never polled here).
        fn assert_send<F: Send>(_: F) {}
        assert_send(request.fetch_page(1, 100));
        (R::OPERATION_ID, R::STYLE)
    }
}

fn client() -> cro_api::Client {
    cro_api::Client::new("http://127.0.0.1:9", Default::default())
}

/// A valid textual value for a parameter of `kind`/`format`.
fn sample_value(name: &str, kind: &str, format: Option<&str>) -> String {
    match (kind, format) {
        ("integer", _) => "5".into(),
        ("number", _) => "1.5".into(),
        ("boolean", _) => "TRUE".into(),
        ("string", Some("iso8601")) => "2022-08-20T01:10:52.307000".into(),
        ("string", Some("uuid")) => "3fa85f64-5717-4562-b3fc-2c963f66afa6".into(),
        ("string", _) if name.ends_with("uuid") => "3fa85f64-5717-4562-b3fc-2c963f66afa6".into(),
        _ => "Acme".into(),
    }
}

/// Path parameters (`*_uuid` are UUIDs, the others integer ids) and every filter.
fn full_params(op: &Operation) -> Params {
    let mut params = Params::new();
    for name in op.path_params {
        let value = if name.ends_with("uuid") {
            sample_value(name, "string", Some("uuid"))
        } else {
            "1".into()
        };
        params.insert((*name).into(), value);
    }
    for filter in op.filters() {
        params.insert(
            filter.name.into(),
            sample_value(filter.name, filter.kind, filter.format),
        );
    }
    params
}

#[test]
fn every_paged_operation_is_registered() {
    let client = client();
    let paged: Vec<&Operation> = OPERATIONS
        .iter()
        .filter(|op| op.paging.is_paged())
        .collect();
    assert!(!paged.is_empty());
    for op in paged {
        let (id, style) = with_paged_request(&client, op.id, &full_params(op), Identify)
            .unwrap_or_else(|e| panic!("{}: {e}", op.id));
        assert_eq!(id, op.id);
        let expected = match op.paging {
            Paging::Envelope { .. } => PageStyle::Envelope,
            Paging::BareArray { .. } => PageStyle::BareArray,
            Paging::None => unreachable!(),
        };
        assert_eq!(style, expected, "{}", op.id);
    }
}

#[test]
fn errors_name_the_operation_and_parameter() {
    let client = client();
    let op = OPERATIONS
        .iter()
        .find(|op| op.paging.is_paged() && !op.path_params.is_empty())
        .expect("a paged operation with a path parameter");
    let path_param = op.path_params[0];

    let err =
        with_paged_request(&client, "no_such_operation", &Params::new(), Identify).unwrap_err();
    assert_eq!(
        err,
        ParamError::UnknownOperation {
            operation: "no_such_operation".into()
        }
    );

    let not_paged = OPERATIONS.iter().find(|op| !op.paging.is_paged()).unwrap();
    let err = with_paged_request(&client, not_paged.id, &Params::new(), Identify).unwrap_err();
    assert!(matches!(err, ParamError::NotPaged { .. }), "{err}");

    let err = with_paged_request(&client, op.id, &Params::new(), Identify).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "operation `{}` needs the path parameter `{path_param}`",
            op.id
        )
    );

    let mut params = full_params(op);
    params.insert("bogus".into(), "1".into());
    let err = with_paged_request(&client, op.id, &params, Identify).unwrap_err();
    assert!(
        matches!(&err, ParamError::UnknownParameter { parameter, .. } if parameter == "bogus"),
        "{err}"
    );

    let mut params = full_params(op);
    params.insert("page_index".into(), "2".into());
    let err = with_paged_request(&client, op.id, &params, Identify).unwrap_err();
    assert!(matches!(err, ParamError::PagingParameter { .. }), "{err}");

    if let Some(flag) = OPERATIONS
        .iter()
        .filter(|op| op.paging.is_paged())
        .find_map(|op| op.filters().find(|f| f.kind == "boolean").map(|f| (op, f)))
    {
        let (op, filter) = flag;
        let mut params = full_params(op);
        params.insert(filter.name.into(), "maybe".into());
        let err = with_paged_request(&client, op.id, &params, Identify).unwrap_err();
        assert!(
            matches!(&err, ParamError::InvalidValue { parameter, expected: "a boolean", .. } if parameter == filter.name),
            "{err}"
        );
    }

    if let Some((op, filter)) = OPERATIONS
        .iter()
        .filter(|op| op.paging.is_paged())
        .find_map(|op| {
            op.filters()
                .find(|f| f.format == Some("iso8601"))
                .map(|f| (op, f))
        })
    {
        let mut params = full_params(op);
        params.insert(filter.name.into(), "2022-02-30".into());
        let err = with_paged_request(&client, op.id, &params, Identify).unwrap_err();
        assert!(
            matches!(&err, ParamError::InvalidValue { parameter, .. } if parameter == filter.name),
            "{err}"
        );
    }
}
