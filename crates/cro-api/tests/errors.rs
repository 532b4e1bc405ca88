//! Typed errors: the status line, the body, odd bodies, helpers.

mod common;

use common::*;
use cro_api::Error;

async fn call(server: &TestServer) -> Error {
    // POST: never retried on a response, so one request per call.
    server
        .client()
        .create_user()
        .body(new_user())
        .send()
        .await
        .unwrap_err()
}

/// `line (request id <the error's id>)`: how a one-attempt error displays.
fn with_id(line: &str, err: &Error) -> String {
    format!(
        "{line} (request id {})",
        err.request_id().expect("a request id")
    )
}

#[tokio::test]
async fn reason_phrase_is_the_display() {
    bounded(async {
        let server = TestServer::start(|_, _| {
            with_header(
                with_reason(
                    error_body(400, "CreateCustomerModel.user_id", "Unknown field."),
                    "CreateCustomerModel.user_id: Unknown field.",
                ),
                "x-request-id",
                "3f0e8d5c-0000-4000-8000-000000000001",
            )
        })
        .await;
        let err = call(&server).await;
        // One line: status, the API's message once, the request id (issue 12).
        assert_eq!(
            err.to_string(),
            "400 CreateCustomerModel.user_id: Unknown field. \
             (request id 3f0e8d5c-0000-4000-8000-000000000001)"
        );
        assert_eq!(
            err.reason(),
            Some("CreateCustomerModel.user_id: Unknown field.")
        );
        assert!(err.is_bad_request());
        let field = err.field().unwrap();
        assert_eq!(field.model(), Some("CreateCustomerModel"));
        assert_eq!(field.name(), Some("user_id"));
        assert_eq!(err.detail(), Some("Unknown field."));
        assert_eq!(
            err.explanation(),
            Some("The resource could not be accessed.")
        );
        assert_eq!(
            err.request_id(),
            Some("3f0e8d5c-0000-4000-8000-000000000001")
        );
        let api = err.api_error().unwrap();
        assert_eq!(api.operation(), Some("create_user"));
        // Internal diagnostics headers are not exposed.
        assert!(
            api.headers()
                .keys()
                .all(|k| !k.as_str().starts_with("x-cro-rs-"))
        );
    })
    .await;
}

#[tokio::test]
async fn reason_alone_still_gives_field_and_detail() {
    bounded(async {
        let server = TestServer::start(|_, _| {
            with_reason(
                json(400, serde_json::json!({})),
                "CreateUserRequestModel.username: Already taken.",
            )
        })
        .await;
        let err = call(&server).await;
        assert_eq!(
            err.to_string(),
            with_id("400 CreateUserRequestModel.username: Already taken.", &err)
        );
        assert_eq!(err.field().and_then(|f| f.name()), Some("username"));
        assert_eq!(err.detail(), Some("Already taken."));
    })
    .await;
}

#[tokio::test]
async fn without_reason_the_body_makes_the_status_line() {
    bounded(async {
        let server = TestServer::start(|_, _| {
            error_body(400, "CreateCustomerModel.user_id", "Unknown field.")
        })
        .await;
        let err = call(&server).await;
        assert_eq!(err.reason(), None);
        assert_eq!(
            err.to_string(),
            with_id("400 CreateCustomerModel.user_id: Unknown field.", &err)
        );
    })
    .await;
}

#[tokio::test]
async fn older_title_shape_is_understood() {
    bounded(async {
        let server = TestServer::start(|_, _| {
            json(
                403,
                serde_json::json!({"title": "Forbidden", "detail": "Not your tenant.", "explanation": "x"}),
            )
        })
        .await;
        let err = call(&server).await;
        assert!(err.is_forbidden());
        assert_eq!(err.title(), Some("Forbidden"));
        assert_eq!(err.field(), None);
        assert_eq!(err.to_string(), with_id("403 Not your tenant.", &err));
        assert_eq!(err.body_excerpt(), None);
    })
    .await;
}

#[tokio::test]
async fn html_page_from_a_proxy() {
    bounded(async {
        let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
                    <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n\
                    </body>\r\n</html>\r\n";
        let server = TestServer::start(move |_, _| raw(502, "text/html", page)).await;
        let err = call(&server).await;
        assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
        assert_eq!(err.body_excerpt(), Some("502 Bad Gateway 502 Bad Gateway nginx/1.25.3"));
        assert_eq!(
            err.to_string(),
            with_id("502 Bad Gateway; body: 502 Bad Gateway 502 Bad Gateway nginx/1.25.3", &err)
        );
        assert!(err.request_id().is_some(), "the id the client sent is reported");
        assert!(err.is_retryable());
    })
    .await;
}

#[tokio::test]
async fn html_page_after_get_retries() {
    bounded(async {
        let server =
            TestServer::start(|_, _| raw(504, "text/html", "<h1>Gateway Timeout</h1>")).await;
        let err = server.client().list_tenants().send().await.unwrap_err();
        assert_eq!(err.attempts(), Some(3));
        assert_eq!(
            err.to_string(),
            format!(
                "504 Gateway Timeout; body: Gateway Timeout (after 3 attempts; request id {})",
                err.request_id().unwrap()
            )
        );
    })
    .await;
}

#[tokio::test]
async fn json_of_another_shape() {
    bounded(async {
        let server =
            TestServer::start(|_, _| json(422, serde_json::json!({"errors": [{"msg": "bad"}]})))
                .await;
        let err = call(&server).await;
        assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
        assert_eq!(err.detail(), None);
        assert_eq!(err.body_excerpt(), Some(r#"{"errors":[{"msg":"bad"}]}"#));
        assert_eq!(
            err.to_string(),
            with_id(
                r#"422 Unprocessable Entity; body: {"errors":[{"msg":"bad"}]}"#,
                &err
            )
        );
    })
    .await;
}

#[tokio::test]
async fn json_array_or_wrong_types() {
    bounded(async {
        let server = TestServer::start(|_, i| match i {
            0 => json(400, serde_json::json!(["a", "b"])),
            _ => json(400, serde_json::json!({"detail": 5})),
        })
        .await;
        let err = call(&server).await;
        assert!(err.is_bad_request());
        assert_eq!(err.body_excerpt(), Some(r#"["a","b"]"#));
        let err = call(&server).await;
        assert!(err.is_bad_request());
        assert_eq!(err.detail(), None);
        assert_eq!(err.body_excerpt(), Some(r#"{"detail":5}"#));
    })
    .await;
}

#[tokio::test]
async fn empty_body() {
    bounded(async {
        let server = TestServer::start(|_, _| raw(500, "application/json", "")).await;
        let err = call(&server).await;
        assert!(err.is_server_error());
        assert_eq!(err.body_excerpt(), Some(""));
        assert_eq!(
            err.to_string(),
            with_id("500 Internal Server Error; empty body", &err)
        );
    })
    .await;
}

#[tokio::test]
async fn binary_garbage_and_huge_bodies_do_not_panic() {
    bounded(async {
        let server = TestServer::start(|_, i| match i {
            0 => raw(
                400,
                "application/octet-stream",
                vec![0u8, 159, 146, 150, 255, 10, 13],
            ),
            _ => raw(400, "text/plain", "x".repeat(1 << 20)),
        })
        .await;
        let err = call(&server).await;
        assert!(err.is_bad_request());
        let err = call(&server).await;
        let excerpt = err.body_excerpt().unwrap();
        assert!(excerpt.chars().count() <= 301, "{}", excerpt.len());
    })
    .await;
}

#[tokio::test]
async fn status_helpers() {
    bounded(async {
        let server = TestServer::start(|_, i| {
            let status = [401u16, 403, 404, 409, 429][i % 5];
            json(status, serde_json::json!({"detail": "x"}))
        })
        .await;
        let client = server
            .builder()
            .retry_policy(cro_api::RetryPolicy::disabled())
            .build()
            .unwrap();
        let mut errors = Vec::new();
        for _ in 0..5 {
            errors.push(
                client
                    .get_customer()
                    .customer_id(1)
                    .send()
                    .await
                    .unwrap_err(),
            );
        }
        assert!(errors[0].is_unauthorized());
        assert!(errors[1].is_forbidden());
        assert!(errors[2].is_not_found());
        assert!(errors[3].is_conflict());
        assert!(errors[4].is_rate_limited());
        assert!(errors[4].is_retryable());
        assert!(!errors[2].is_retryable());
    })
    .await;
}

#[tokio::test]
async fn invalid_parameters_are_rejected_before_sending() {
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        let client = server.client();
        // A required path parameter left unset.
        let err = client.get_customer().send().await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
        // page_index outside 1..=10000.
        let err = client
            .list_tenants()
            .page_index(0u64)
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
        assert_eq!(server.count(), 0);
    })
    .await;
}

#[tokio::test]
async fn undecodable_success_body_is_a_decode_error() {
    bounded(async {
        let server =
            TestServer::start(|_, _| json(200, serde_json::json!({"unexpected": true}))).await;
        let err = server.client().list_tenants().send().await.unwrap_err();
        assert!(matches!(err, Error::Decode(_)), "{err:?}");
        assert!(err.to_string().contains("could not decode"), "{err}");
        assert_eq!(err.body_excerpt(), Some(r#"{"unexpected":true}"#));
    })
    .await;
}

#[tokio::test]
async fn undocumented_success_status() {
    bounded(async {
        let server = TestServer::start(|_, _| raw(204, "application/json", "")).await;
        let err = server.client().list_tenants().send().await.unwrap_err();
        assert!(matches!(err, Error::UnexpectedStatus { .. }), "{err:?}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(204));
    })
    .await;
}
