//! Which headers each operation sends (from `meta::OPERATIONS`), and which it must not.

mod common;

use std::collections::HashSet;

use common::*;

const HAULER: uuid::Uuid = uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);

#[tokio::test]
async fn public_create_user_sends_no_authorization_and_no_tenant() {
    bounded(async {
        let server =
            TestServer::start(|_, _| error_body(409, "CreateUserRequestModel.username", "Taken."))
                .await;
        let client = server.client();
        let err = client
            .create_user()
            .body(new_user())
            .send()
            .await
            .unwrap_err();
        let err = err;
        assert!(err.is_conflict(), "{err}");

        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        let r = &requests[0];
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/users"));
        assert_eq!(r.header("authorization"), None);
        assert_eq!(r.header("x-tenant-id"), None);
        assert_eq!(r.header("x-api-version"), Some("2023/04/19"));
        assert!(r.header("x-request-id").is_some());
        assert_eq!(r.header("content-type"), Some("application/json"));
    })
    .await;
}

#[tokio::test]
async fn public_operation_works_without_any_token() {
    bounded(async {
        let server =
            TestServer::start(|_, _| error_body(409, "CreateUserRequestModel.username", "Taken."))
                .await;
        let client = cro_api::Client::builder()
            .base_url(&server.url)
            .build()
            .unwrap();
        let err = client
            .create_user()
            .body(new_user())
            .send()
            .await
            .unwrap_err();
        assert!(err.is_conflict(), "{err}");
        assert_eq!(server.count(), 1);
    })
    .await;
}

#[tokio::test]
async fn list_tenants_sends_authorization_but_no_tenant() {
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        let page = server.client().list_tenants().send().await.unwrap();
        assert_eq!(page.total_count, 0);
        let r = &server.requests()[0];
        assert_eq!(
            r.header("authorization"),
            Some(format!("bearer {TOKEN}").as_str())
        );
        assert_eq!(r.header("x-tenant-id"), None);
        assert_eq!(r.header("x-api-version"), Some("2023/04/19"));
    })
    .await;
}

#[tokio::test]
async fn tenant_required_operation_sends_tenant() {
    bounded(async {
        let server = TestServer::start(|_, _| error_body(404, "", "No such customer.")).await;
        let err = server
            .client()
            .get_customer()
            .customer_id(5)
            .send()
            .await
            .unwrap_err();
        assert!(err.is_not_found());
        let r = &server.requests()[0];
        assert_eq!(r.path, "/customers/5");
        assert_eq!(r.header("x-tenant-id"), Some("7"));
        assert!(r.header("authorization").is_some());
    })
    .await;
}

#[tokio::test]
async fn get_hauler_sends_tenant_only_when_configured() {
    bounded(async {
        let server = TestServer::start(|_, _| error_body(404, "", "No such hauler.")).await;
        let with = server.client();
        let _ = with.get_hauler().hauler_uuid(HAULER).send().await;
        let without = with.without_tenant();
        let _ = without.get_hauler().hauler_uuid(HAULER).send().await;
        let other = with.with_tenant(99);
        let _ = other.get_hauler().hauler_uuid(HAULER).send().await;
        let requests = server.requests();
        assert_eq!(requests.len(), 3);
        assert_eq!(requests[0].header("x-tenant-id"), Some("7"));
        assert_eq!(requests[1].header("x-tenant-id"), None);
        assert_eq!(requests[2].header("x-tenant-id"), Some("99"));
        assert!(requests.iter().all(|r| r.header("authorization").is_some()));
    })
    .await;
}

#[tokio::test]
async fn missing_tenant_is_a_local_error_and_nothing_is_sent() {
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        let client = server.client().without_tenant();
        let err = client.get_customer().customer_id(5).send().await.unwrap_err();
        assert!(err.is_config(), "{err:?}");
        assert!(
            matches!(&err, cro_api::Error::Config(cro_api::ConfigError::MissingTenant { operation }) if operation == "get_customer"),
            "{err:?}"
        );
        assert!(err.to_string().contains("get_customer requires a tenant id"), "{err}");
        assert_eq!(server.count(), 0);
    })
    .await;
}

#[tokio::test]
async fn missing_token_is_a_local_error_and_nothing_is_sent() {
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        let client = cro_api::Client::builder()
            .base_url(&server.url)
            .build()
            .unwrap();
        let err = client.list_tenants().send().await.unwrap_err();
        assert!(
            matches!(
                &err,
                cro_api::Error::Config(cro_api::ConfigError::MissingToken { .. })
            ),
            "{err:?}"
        );
        assert_eq!(server.count(), 0);
    })
    .await;
}

#[tokio::test]
async fn progenitor_api_version_header_is_removed() {
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        let client = server.client();
        client.list_tenants().send().await.unwrap();
        let _ = client.create_user().body(new_user()).send().await;
        for r in server.requests() {
            assert_eq!(r.header("api-version"), None, "{} {}", r.method, r.path);
            assert_eq!(r.header("x-api-version"), Some("2023/04/19"));
        }
    })
    .await;
}

#[tokio::test]
async fn only_documented_headers_are_sent() {
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        server
            .client()
            .list_tenants()
            .page_index(2)
            .send()
            .await
            .unwrap();
        let r = &server.requests()[0];
        let names: HashSet<&str> = r.headers.keys().map(|k| k.as_str()).collect();
        let allowed: HashSet<&str> = [
            "authorization",
            "x-api-version",
            "x-request-id",
            "accept",
            "user-agent",
            "host",
        ]
        .into();
        assert!(
            names.is_subset(&allowed),
            "unexpected headers: {:?}",
            names.difference(&allowed)
        );
        assert_eq!(r.query.as_deref(), Some("page_index=2"));
        let ua = r.header("user-agent").unwrap();
        assert_eq!(ua, concat!("cro-rs/", env!("CARGO_PKG_VERSION")));
    })
    .await;
}

#[tokio::test]
async fn user_agent_suffix_is_appended() {
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        let client = server
            .builder()
            .user_agent_suffix("my-app/2.1")
            .build()
            .unwrap();
        client.list_tenants().send().await.unwrap();
        let ua = server.requests()[0]
            .header("user-agent")
            .unwrap()
            .to_owned();
        assert_eq!(ua, format!("{} my-app/2.1", cro_api::USER_AGENT));
    })
    .await;
}

#[tokio::test]
async fn request_id_is_a_fresh_uuid_per_request() {
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        let client = server.client();
        for _ in 0..5 {
            client.list_tenants().send().await.unwrap();
        }
        let ids: Vec<String> = server
            .requests()
            .iter()
            .map(|r| r.header("x-request-id").unwrap().to_owned())
            .collect();
        for id in &ids {
            let parsed = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(parsed.get_version_num(), 4);
        }
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
    })
    .await;
}

#[tokio::test]
async fn request_id_is_shared_by_the_retries_of_one_call() {
    bounded(async {
        let server = TestServer::start(|_, i| {
            if i == 0 {
                json(503, serde_json::json!({}))
            } else {
                tenants_page()
            }
        })
        .await;
        server.client().list_tenants().send().await.unwrap();
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(
            requests[0].header("x-request-id"),
            requests[1].header("x-request-id")
        );
    })
    .await;
}

#[tokio::test]
async fn caller_set_request_id_and_version_are_kept() {
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        let id = uuid::Uuid::new_v4();
        server
            .client()
            .list_tenants()
            .x_request_id(id)
            .x_api_version(cro_api::types::ApiVersion::V2021_04_07)
            .send()
            .await
            .unwrap();
        let r = &server.requests()[0];
        assert_eq!(r.header("x-request-id"), Some(id.to_string().as_str()));
        assert_eq!(r.header("x-api-version"), Some("2021/04/07"));
        assert_eq!(r.headers.get_all("x-api-version").iter().count(), 1);
    })
    .await;
}

#[tokio::test]
async fn configured_api_version_is_sent() {
    bounded(async {
        let server = TestServer::start(|_, _| tenants_page()).await;
        let client = server
            .builder()
            .api_version_str("2021/11/04")
            .build()
            .unwrap();
        client.list_tenants().send().await.unwrap();
        assert_eq!(
            server.requests()[0].header("x-api-version"),
            Some("2021/11/04")
        );
    })
    .await;
}

#[tokio::test]
async fn every_operation_in_the_table_has_consistent_rules() {
    // Public operations never need a tenant; this is what the hook relies on.
    for op in cro_api::meta::OPERATIONS {
        if op.auth == cro_api::meta::Auth::None {
            assert_eq!(op.tenant, cro_api::meta::TenantHeader::Absent, "{}", op.id);
        }
    }
}
