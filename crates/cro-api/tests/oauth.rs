//! OAuth helpers against a tiny authorization server written here (cro-fake has the full one;
//! cro-api's tests do not depend on it to avoid a dependency cycle).

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json, Router};
use base64::Engine;
use common::*;
use cro_api::SecretString;
use cro_api::oauth::{
    AuthorizationRequest, OAuthClient, OAuthConfig, OAuthError, RefreshingTokenSource, TokenSet,
};
use sha2::Digest;

const CLIENT_ID: &str = "cro-test-client";
const CLIENT_SECRET: &str = "client-secret-value";
const REDIRECT: &str = "http://127.0.0.1/callback";
const CODE: &str = "auth-code-1";

#[derive(Default)]
struct IdpState {
    /// PKCE challenge of the pending authorization (the test registers it).
    challenge: Option<String>,
    /// Access token generation; tokens are `acc.v<N>.sig`.
    generation: usize,
    refresh_token: String,
    rotate_refresh: bool,
    refreshes: usize,
    seen_basic_auth: bool,
}

#[derive(Clone)]
struct Idp {
    state: Arc<Mutex<IdpState>>,
    url: String,
}

impl Idp {
    async fn start() -> Idp {
        let state = Arc::new(Mutex::new(IdpState {
            refresh_token: "refresh-1".to_owned(),
            ..IdpState::default()
        }));
        let app = Router::new()
            .route("/token", axum::routing::post(token))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Idp {
            state,
            url: format!("http://{addr}"),
        }
    }

    fn client(&self) -> OAuthClient {
        OAuthClient::new(
            OAuthConfig::new(CLIENT_ID)
                .client_secret(CLIENT_SECRET)
                .auth_url(format!("{}/authorize", self.url))
                .token_url(format!("{}/token", self.url))
                .redirect_url(REDIRECT),
        )
        .unwrap()
    }

    fn refreshes(&self) -> usize {
        self.state.lock().unwrap().refreshes
    }

    /// Remember the challenge the browser would carry to the authorization endpoint.
    fn authorize(&self, login: &AuthorizationRequest) {
        let challenge = query(login.url())["code_challenge"].clone();
        self.state.lock().unwrap().challenge = Some(challenge);
    }
}

fn query(url: &url::Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

fn oauth_error(error: &str) -> Response {
    (
        axum::http::StatusCode::BAD_REQUEST,
        Json(serde_json::json!({"error": error, "error_description": "test server says no"})),
    )
        .into_response()
}

async fn token(
    State(state): State<Arc<Mutex<IdpState>>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut s = state.lock().unwrap();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return oauth_error("invalid_client");
    }
    s.seen_basic_auth = true;
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let Some(challenge) = s.challenge.clone() else {
                return oauth_error("invalid_request");
            };
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(verifier.as_bytes()));
            if form.get("code").map(String::as_str) != Some(CODE)
                || computed != challenge
                || form.get("redirect_uri").map(String::as_str) != Some(REDIRECT)
            {
                return oauth_error("invalid_grant");
            }
        }
        Some("refresh_token") => {
            if form.get("refresh_token") != Some(&s.refresh_token) {
                return oauth_error("invalid_grant");
            }
            s.refreshes += 1;
            if s.rotate_refresh {
                s.refresh_token = format!("refresh-{}", s.refreshes + 1);
            }
        }
        _ => return oauth_error("unsupported_grant_type"),
    }
    s.generation += 1;
    let mut body = serde_json::json!({
        "access_token": format!("acc.v{}.sig", s.generation),
        "token_type": "bearer",
        "expires_in": 3600,
        "scope": "api",
    });
    // Issue the refresh token on the code grant, and on refreshes only when rotating.
    if form.get("grant_type").map(String::as_str) == Some("authorization_code") || s.rotate_refresh
    {
        body["refresh_token"] = serde_json::Value::String(s.refresh_token.clone());
    }
    Json(body).into_response()
}

#[tokio::test]
async fn authorization_url_has_pkce_and_a_random_state() {
    bounded(async {
        let idp = Idp::start().await;
        let oauth = idp.client();
        let a = oauth.authorize_url();
        let b = oauth.authorize_url();
        let q = query(a.url());
        assert!(
            a.url()
                .as_str()
                .starts_with(&format!("{}/authorize?", idp.url))
        );
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], CLIENT_ID);
        assert_eq!(q["redirect_uri"], REDIRECT);
        assert_eq!(q["scope"], "api");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"].len(), 43);
        assert_eq!(q["state"], a.state());
        assert!(a.state().len() >= cro_api::oauth::MIN_STATE_LEN);
        assert_ne!(a.state(), b.state());
        assert_ne!(q["code_challenge"], query(b.url())["code_challenge"]);
        assert!(!a.url().as_str().contains(a.pkce_verifier().expose_secret()));
    })
    .await;
}

#[tokio::test]
async fn caller_state_must_have_eight_characters() {
    bounded(async {
        let idp = Idp::start().await;
        let oauth = idp.client();
        assert_eq!(
            oauth.authorize_url_with_state("short").unwrap_err(),
            OAuthError::StateTooShort { length: 5, min: 8 }
        );
        let login = oauth.authorize_url_with_state("exactly8").unwrap();
        assert_eq!(query(login.url())["state"], "exactly8");
    })
    .await;
}

#[tokio::test]
async fn code_exchange_with_state_check() {
    bounded(async {
        let idp = Idp::start().await;
        let oauth = idp.client();
        let login = oauth.authorize_url();
        idp.authorize(&login);

        let err = oauth
            .exchange_callback(&login, "forged-state", CODE)
            .await
            .unwrap_err();
        assert_eq!(err, OAuthError::StateMismatch);
        assert!(
            !idp.state.lock().unwrap().seen_basic_auth,
            "nothing sent on a state mismatch"
        );

        let tokens = oauth
            .exchange_callback(&login, login.state(), CODE)
            .await
            .unwrap();
        assert_eq!(tokens.access_token().expose_secret(), "acc.v1.sig");
        assert_eq!(tokens.refresh_token().unwrap().expose_secret(), "refresh-1");
        assert_eq!(tokens.scopes(), ["api"]);
        let expires = tokens.expires_at().unwrap();
        let left = expires.duration_since(SystemTime::now()).unwrap();
        assert!(left > Duration::from_secs(3500) && left <= Duration::from_secs(3600));

        // A wrong verifier (or code) is the server's invalid_grant.
        let err = oauth
            .exchange_code(
                CODE,
                &SecretString::new("not-the-verifier-0123456789-0123456789-0123"),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, OAuthError::Server { error, .. } if error == "invalid_grant"),
            "{err:?}"
        );
        assert!(err.to_string().contains("test server says no"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn refresh_keeps_or_rotates_the_refresh_token() {
    bounded(async {
        let idp = Idp::start().await;
        let oauth = idp.client();
        let refreshed = oauth
            .refresh(&SecretString::new("refresh-1"))
            .await
            .unwrap();
        assert_eq!(refreshed.access_token().expose_secret(), "acc.v1.sig");
        assert_eq!(
            refreshed.refresh_token().unwrap().expose_secret(),
            "refresh-1"
        );

        idp.state.lock().unwrap().rotate_refresh = true;
        let rotated = oauth
            .refresh(&SecretString::new("refresh-1"))
            .await
            .unwrap();
        assert_eq!(
            rotated.refresh_token().unwrap().expose_secret(),
            "refresh-3"
        );

        let err = oauth
            .refresh(&SecretString::new("refresh-1"))
            .await
            .unwrap_err();
        assert!(matches!(err, OAuthError::Server { .. }), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn endpoints_must_be_https_or_loopback() {
    let err =
        OAuthClient::new(OAuthConfig::new("id").token_url("http://idp.example/token")).unwrap_err();
    assert!(
        matches!(
            err,
            OAuthError::Config {
                setting: "token_url",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        OAuthClient::new(OAuthConfig::new("id")).is_ok(),
        "defaults are valid"
    );
    assert!(OAuthClient::new(OAuthConfig::new(" ")).is_err());
}

/// An API server that accepts only the given access token generation.
async fn api_accepting(generation: &'static str) -> TestServer {
    TestServer::start(move |request, _| {
        let expected = format!("bearer acc.{generation}.sig");
        if request.header("authorization") == Some(expected.as_str()) {
            if request.method == "POST" {
                error_body(409, "CreateUserRequestModel.username", "Taken.")
            } else {
                tenants_page()
            }
        } else {
            with_reason(
                json(401, serde_json::json!({"detail": "Bad token."})),
                "Invalid access token.",
            )
        }
    })
    .await
}

#[tokio::test]
async fn source_refreshes_shortly_before_expiry() {
    bounded(async {
        let idp = Idp::start().await;
        let api = api_accepting("v1").await;
        let persisted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&persisted);
        // Expires in 30 s, margin 60 s: the first request refreshes.
        let tokens = TokenSet::new(
            "acc.v0.sig",
            Some(SecretString::new("refresh-1")),
            Some(SystemTime::now() + Duration::from_secs(30)),
        );
        let source = RefreshingTokenSource::new(idp.client(), tokens).on_refresh(move |t| {
            assert_eq!(t.access_token().expose_secret(), "acc.v1.sig");
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let client = api.builder().token_source(source).build().unwrap();
        client.list_tenants().send().await.unwrap();
        client.list_tenants().send().await.unwrap();
        assert_eq!(idp.refreshes(), 1);
        assert_eq!(persisted.load(Ordering::SeqCst), 1);
        assert_eq!(api.count(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_401_refreshes_once_and_repeats_the_request_once() {
    bounded(async {
        let idp = Idp::start().await;
        let api = api_accepting("v1").await;
        let tokens = TokenSet::new(
            "acc.v0.sig",
            Some(SecretString::new("refresh-1")),
            Some(SystemTime::now() + Duration::from_secs(3600)),
        );
        let client = api
            .builder()
            .token_source(RefreshingTokenSource::new(idp.client(), tokens))
            .build()
            .unwrap();
        client.list_tenants().send().await.unwrap();
        let seen: Vec<String> = api
            .requests()
            .iter()
            .map(|r| r.header("authorization").unwrap().to_owned())
            .collect();
        assert_eq!(seen, ["bearer acc.v0.sig", "bearer acc.v1.sig"]);
        assert_eq!(idp.refreshes(), 1);
        // The repeat shares the call's request id.
        let requests = api.requests();
        assert_eq!(
            requests[0].header("x-request-id"),
            requests[1].header("x-request-id")
        );
    })
    .await;
}

#[tokio::test]
async fn a_post_rejected_with_401_is_repeated_once_too() {
    bounded(async {
        let idp = Idp::start().await;
        // create_hauler_connection is a POST that needs the token.
        let api = api_accepting("v1").await;
        let tokens = TokenSet::new("acc.v0.sig", Some(SecretString::new("refresh-1")), None);
        let client = api
            .builder()
            .token_source(RefreshingTokenSource::new(idp.client(), tokens))
            .build()
            .unwrap();
        let body =
            cro_api::types::CreateHaulerConnectionRequestModel::builder().tenant_code("SMSCORP+3");
        let result = client
            .create_hauler_connection()
            .hauler_uuid(uuid::Uuid::nil())
            .body(body)
            .send()
            .await;
        let err = result.unwrap_err();
        assert!(err.is_conflict(), "{err}");
        assert_eq!(api.count(), 2);
        assert_eq!(idp.refreshes(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_second_401_is_returned_not_looped() {
    bounded(async {
        let idp = Idp::start().await;
        let api = api_accepting("never").await;
        let tokens = TokenSet::new("acc.v0.sig", Some(SecretString::new("refresh-1")), None);
        let client = api
            .builder()
            .token_source(RefreshingTokenSource::new(idp.client(), tokens))
            .build()
            .unwrap();
        let err = client.list_tenants().send().await.unwrap_err();
        assert!(err.is_unauthorized());
        assert_eq!(
            err.to_string(),
            format!(
                "401 Invalid access token. (after 2 attempts; request id {})",
                err.request_id().unwrap()
            )
        );
        assert_eq!(api.count(), 2);
        assert_eq!(idp.refreshes(), 1);
    })
    .await;
}

#[tokio::test]
async fn without_a_refresh_token_a_401_is_returned() {
    bounded(async {
        let idp = Idp::start().await;
        let api = api_accepting("v1").await;
        let source =
            RefreshingTokenSource::new(idp.client(), TokenSet::new("acc.v0.sig", None, None));
        let client = api.builder().token_source(source).build().unwrap();
        let err = client.list_tenants().send().await.unwrap_err();
        assert!(err.is_unauthorized());
        assert_eq!(api.count(), 1);
    })
    .await;
}

#[tokio::test]
async fn expired_token_with_failing_refresh_is_an_auth_error() {
    bounded(async {
        let idp = Idp::start().await;
        let api = api_accepting("v1").await;
        let tokens = TokenSet::new(
            "acc.v0.sig",
            Some(SecretString::new("revoked")),
            Some(SystemTime::now() - Duration::from_secs(5)),
        );
        let client = api
            .builder()
            .token_source(RefreshingTokenSource::new(idp.client(), tokens))
            .build()
            .unwrap();
        let err = client.list_tenants().send().await.unwrap_err();
        assert!(matches!(err, cro_api::Error::Auth(_)), "{err:?}");
        assert!(err.to_string().contains("invalid_grant"), "{err}");
        assert_eq!(api.count(), 0);
    })
    .await;
}

#[tokio::test]
async fn concurrent_calls_share_one_refresh() {
    bounded(async {
        let idp = Idp::start().await;
        let api = api_accepting("v1").await;
        let tokens = TokenSet::new(
            "acc.v0.sig",
            Some(SecretString::new("refresh-1")),
            Some(SystemTime::now() + Duration::from_secs(1)),
        );
        let client = api
            .builder()
            .token_source(RefreshingTokenSource::new(idp.client(), tokens))
            .build()
            .unwrap();
        let calls = (0..8).map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.list_tenants().send().await.map(|_| ()) })
        });
        for call in calls.collect::<Vec<_>>() {
            call.await.unwrap().unwrap();
        }
        assert_eq!(idp.refreshes(), 1);
        assert_eq!(api.count(), 8);
    })
    .await;
}

#[tokio::test]
async fn refresh_now_and_tokens() {
    bounded(async {
        let idp = Idp::start().await;
        let source = RefreshingTokenSource::new(
            idp.client(),
            TokenSet::new("acc.v0.sig", Some(SecretString::new("refresh-1")), None),
        );
        source.refresh_now().await.unwrap();
        assert_eq!(
            source.tokens().await.access_token().expose_secret(),
            "acc.v1.sig"
        );
        let none =
            RefreshingTokenSource::new(idp.client(), TokenSet::new("acc.v0.sig", None, None));
        assert_eq!(
            none.refresh_now().await.unwrap_err(),
            OAuthError::NoRefreshToken
        );
    })
    .await;
}
