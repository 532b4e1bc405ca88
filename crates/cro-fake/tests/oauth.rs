//! The OAuth 2.0 authorization server, driven by the `oauth2` crate as the SDK will drive it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cro_fake::oauth::{self, OAuthConfig, TokenIssuer, is_valid_api_token};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};

const REDIRECT: &str = "http://127.0.0.1:8765/callback";

/// Tokens look like a JWT (`header.payload.signature`) and name their user, so a test can see
/// who logged in.
#[derive(Default)]
struct TestIssuer {
    n: AtomicU64,
}

impl TokenIssuer for TestIssuer {
    fn issue_access_token(&self, user: &str, client_id: &str, _ttl: Duration) -> String {
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        format!("eyJhbGciOiJIUzI1NiJ9.{user}-{client_id}-{n}.c2lnbmF0dXJl")
    }
    fn resolve_login(&self, hint: Option<&str>) -> Option<String> {
        match hint {
            None | Some("Admin") => Some("admin".into()),
            Some("Driver") | Some("driver1") => Some("driver1".into()),
            Some(_) => None,
        }
    }
}

struct Fake {
    base: String,
    http: reqwest::Client,
}

async fn start(config: OAuthConfig) -> Fake {
    let app = oauth::router(config, Arc::new(TestIssuer::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    // Redirects must not be followed: the code arrives in the Location header (and following
    // them from the token endpoint would be an SSRF hole, as the oauth2 docs warn).
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Fake {
        base: format!("http://{addr}"),
        http,
    }
}

/// The `oauth2` crate's HTTP client, over the test's reqwest client. (oauth2's own `reqwest`
/// feature would build a second reqwest, 0.12, and its TLS stack just for these tests.)
fn oauth_http(
    http: &reqwest::Client,
) -> impl Fn(
    oauth2::HttpRequest,
) -> Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, reqwest::Error>> + Send>> {
    let http = http.clone();
    move |request| {
        let http = http.clone();
        Box::pin(async move {
            let response = http.execute(reqwest::Request::try_from(request)?).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let mut out = http::Response::new(response.bytes().await?.to_vec());
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            Ok(out)
        })
    }
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn client(fake: &Fake, secret: &str) -> Client {
    BasicClient::new(ClientId::new("cro-fake-demo".into()))
        .set_client_secret(ClientSecret::new(secret.into()))
        .set_auth_uri(AuthUrl::new(format!("{}/oauth2/auth", fake.base)).expect("auth url"))
        .set_token_uri(TokenUrl::new(format!("{}/oauth2/token", fake.base)).expect("token url"))
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).expect("redirect"))
}

/// Runs the authorize step and returns the redirect's query pairs.
async fn authorize(fake: &Fake, url: url::Url) -> Vec<(String, String)> {
    let resp = fake.http.get(url.as_str()).send().await.expect("authorize");
    assert_eq!(resp.status().as_u16(), 302, "authorize did not redirect");
    let location = resp.headers()["location"].to_str().expect("location");
    assert!(location.starts_with(REDIRECT), "{location}");
    let location = url::Url::parse(location).expect("location url");
    location.query_pairs().into_owned().collect()
}

async fn json(resp: reqwest::Response) -> serde_json::Value {
    serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json")
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Authorize with S256 PKCE; returns (code, verifier).
async fn login(fake: &Fake, c: &Client, hint: Option<&str>) -> (String, PkceCodeVerifier) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = c
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("api".into()))
        .set_pkce_challenge(challenge);
    if let Some(hint) = hint {
        req = req.add_extra_param("login_hint", hint);
    }
    let (url, csrf) = req.url();
    let pairs = authorize(fake, url).await;
    assert_eq!(param(&pairs, "state"), Some(csrf.secret().as_str()));
    let code = param(&pairs, "code").expect("code in redirect").to_string();
    (code, verifier)
}

fn error_of<T: std::fmt::Debug>(
    r: Result<T, RequestTokenError<impl std::error::Error, oauth2::basic::BasicErrorResponse>>,
) -> BasicErrorResponseType {
    match r {
        Err(RequestTokenError::ServerResponse(e)) => e.error().clone(),
        other => panic!("expected an OAuth error response, got {other:?}"),
    }
}

#[tokio::test]
async fn full_flow_with_pkce_then_refresh_rotates() {
    let fake = start(OAuthConfig::default()).await;
    let c = client(&fake, "cro-fake-demo-secret");
    let (code, verifier) = login(&fake, &c, None).await;

    let tok = c
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http(&fake.http))
        .await
        .expect("token exchange");
    let access = tok.access_token().secret().clone();
    assert!(access.contains("admin-cro-fake-demo"), "{access}");
    assert!(is_valid_api_token(&access));
    assert_eq!(tok.expires_in(), Some(Duration::from_secs(3600)));
    assert_eq!(
        tok.scopes().map(|s| s[0].to_string()),
        Some("api".to_string())
    );
    let refresh1 = tok.refresh_token().expect("refresh token").clone();

    // Refresh: new access token and a new refresh token.
    let tok2 = c
        .exchange_refresh_token(&refresh1)
        .request_async(&oauth_http(&fake.http))
        .await
        .expect("refresh");
    assert_ne!(tok2.access_token().secret(), &access);
    let refresh2 = tok2.refresh_token().expect("rotated refresh token").clone();
    assert_ne!(refresh2.secret(), refresh1.secret());

    // The old refresh token is spent; presenting it again revokes the family, so the new one
    // dies too.
    let again = c
        .exchange_refresh_token(&refresh1)
        .request_async(&oauth_http(&fake.http))
        .await;
    assert_eq!(error_of(again), BasicErrorResponseType::InvalidGrant);
    let after = c
        .exchange_refresh_token(&refresh2)
        .request_async(&oauth_http(&fake.http))
        .await;
    assert_eq!(error_of(after), BasicErrorResponseType::InvalidGrant);
}

#[tokio::test]
async fn login_hint_chooses_the_user() {
    let fake = start(OAuthConfig::default()).await;
    let c = client(&fake, "cro-fake-demo-secret");
    let (code, verifier) = login(&fake, &c, Some("Driver")).await;
    let tok = c
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http(&fake.http))
        .await
        .expect("token exchange");
    assert!(tok.access_token().secret().contains("driver1"));

    // An unknown user is an access_denied redirect.
    let (url, _) = c
        .authorize_url(CsrfToken::new_random)
        .add_extra_param("login_hint", "Nobody")
        .url();
    let pairs = authorize(&fake, url).await;
    assert_eq!(param(&pairs, "error"), Some("access_denied"));
}

#[tokio::test]
async fn wrong_verifier_is_rejected_and_spends_the_code() {
    let fake = start(OAuthConfig::default()).await;
    let c = client(&fake, "cro-fake-demo-secret");
    let (code, verifier) = login(&fake, &c, None).await;
    let wrong = PkceCodeVerifier::new("x".repeat(64));
    let r = c
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(wrong)
        .request_async(&oauth_http(&fake.http))
        .await;
    assert_eq!(error_of(r), BasicErrorResponseType::InvalidGrant);
    // The right verifier no longer helps: the code was spent by the failed attempt.
    let r = c
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http(&fake.http))
        .await;
    assert_eq!(error_of(r), BasicErrorResponseType::InvalidGrant);
}

#[tokio::test]
async fn missing_verifier_is_rejected() {
    let fake = start(OAuthConfig::default()).await;
    let c = client(&fake, "cro-fake-demo-secret");
    let (code, _verifier) = login(&fake, &c, None).await;
    let r = c
        .exchange_code(AuthorizationCode::new(code))
        .request_async(&oauth_http(&fake.http))
        .await;
    assert_eq!(error_of(r), BasicErrorResponseType::InvalidGrant);
}

#[tokio::test]
async fn code_reuse_is_rejected_and_revokes_its_tokens() {
    let fake = start(OAuthConfig::default()).await;
    let c = client(&fake, "cro-fake-demo-secret");
    let (code, verifier) = login(&fake, &c, None).await;
    let secret = verifier.secret().clone();
    let tok = c
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http(&fake.http))
        .await
        .expect("first exchange");
    let r = c
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(secret))
        .request_async(&oauth_http(&fake.http))
        .await;
    assert_eq!(error_of(r), BasicErrorResponseType::InvalidGrant);
    let refresh = c
        .exchange_refresh_token(tok.refresh_token().expect("refresh"))
        .request_async(&oauth_http(&fake.http))
        .await;
    assert_eq!(error_of(refresh), BasicErrorResponseType::InvalidGrant);
}

#[tokio::test]
async fn plain_pkce_and_form_client_secret_work() {
    let fake = start(OAuthConfig::default()).await;
    let verifier = "a".repeat(43);
    let url = format!(
        "{}/oauth2/auth?response_type=code&client_id=cro-fake-demo&redirect_uri={}&state=abcdefgh\
         &code_challenge={verifier}&code_challenge_method=plain",
        fake.base,
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
    );
    let pairs = authorize(&fake, url::Url::parse(&url).expect("url")).await;
    let code = param(&pairs, "code").expect("code");
    let resp = fake
        .http
        .post(format!("{}/oauth2/token", fake.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", "cro-fake-demo"),
            ("client_secret", "cro-fake-demo-secret"),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body = json(resp).await;
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["scope"], "api");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["refresh_token"].is_string());
}

#[tokio::test]
async fn short_state_is_rejected() {
    let fake = start(OAuthConfig::default()).await;
    let c = client(&fake, "cro-fake-demo-secret");
    let (url, _) = c.authorize_url(|| CsrfToken::new("short".into())).url();
    let pairs = authorize(&fake, url).await;
    assert_eq!(param(&pairs, "error"), Some("invalid_request"));
    assert!(param(&pairs, "error_description").is_some_and(|d| d.contains("state")));
    assert_eq!(param(&pairs, "state"), Some("short"));
    assert_eq!(param(&pairs, "code"), None);
}

#[tokio::test]
async fn bad_client_or_redirect_is_not_redirected() {
    let fake = start(OAuthConfig::default()).await;
    for (client_id, redirect) in [
        ("someone-else", REDIRECT),
        ("cro-fake-demo", "https://evil.example.com/cb"),
        ("cro-fake-demo", "http://10.1.2.3/cb"),
    ] {
        let url = format!(
            "{}/oauth2/auth?response_type=code&client_id={client_id}&redirect_uri={}&state=abcdefgh",
            fake.base,
            url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>(),
        );
        let resp = fake.http.get(url).send().await.expect("authorize");
        assert_eq!(resp.status().as_u16(), 400, "{client_id} {redirect}");
        assert!(resp.headers().get("location").is_none());
        let body = json(resp).await;
        assert_eq!(body["error"], "invalid_request");
    }
}

#[tokio::test]
async fn registered_redirect_uri_is_accepted() {
    let fake = start(OAuthConfig {
        redirect_uris: vec!["https://app.example.com/cb".into()],
        ..OAuthConfig::default()
    })
    .await;
    let url = format!(
        "{}/oauth2/auth?response_type=code&client_id=cro-fake-demo&redirect_uri={}&state=abcdefgh",
        fake.base,
        url::form_urlencoded::byte_serialize(b"https://app.example.com/cb").collect::<String>(),
    );
    let resp = fake.http.get(url).send().await.expect("authorize");
    assert_eq!(resp.status().as_u16(), 302);
    let location = resp.headers()["location"].to_str().expect("location");
    assert!(
        location.starts_with("https://app.example.com/cb?code="),
        "{location}"
    );
}

#[tokio::test]
async fn wrong_secret_is_invalid_client() {
    let fake = start(OAuthConfig::default()).await;
    let good = client(&fake, "cro-fake-demo-secret");
    let (code, verifier) = login(&fake, &good, None).await;
    let bad = client(&fake, "not-the-secret");
    let r = bad
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http(&fake.http))
        .await;
    assert_eq!(error_of(r), BasicErrorResponseType::InvalidClient);
}

#[tokio::test]
async fn client_credentials_and_password_grants_are_unsupported() {
    let fake = start(OAuthConfig::default()).await;
    let c = client(&fake, "cro-fake-demo-secret");
    let r = c
        .exchange_client_credentials()
        .request_async(&oauth_http(&fake.http))
        .await;
    assert_eq!(error_of(r), BasicErrorResponseType::UnsupportedGrantType);
    let r = c
        .exchange_password(
            &oauth2::ResourceOwnerUsername::new("admin".into()),
            &oauth2::ResourceOwnerPassword::new("Secret1".into()),
        )
        .request_async(&oauth_http(&fake.http))
        .await;
    assert_eq!(error_of(r), BasicErrorResponseType::UnsupportedGrantType);
}

#[tokio::test]
async fn unknown_refresh_token_is_invalid_grant() {
    let fake = start(OAuthConfig::default()).await;
    let c = client(&fake, "cro-fake-demo-secret");
    let r = c
        .exchange_refresh_token(&RefreshToken::new("crort_nope".into()))
        .request_async(&oauth_http(&fake.http))
        .await;
    assert_eq!(error_of(r), BasicErrorResponseType::InvalidGrant);
}

#[tokio::test]
async fn expired_code_is_rejected() {
    let fake = start(OAuthConfig {
        code_ttl: Duration::from_millis(50),
        ..OAuthConfig::default()
    })
    .await;
    let c = client(&fake, "cro-fake-demo-secret");
    let (code, verifier) = login(&fake, &c, None).await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    let r = c
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http(&fake.http))
        .await;
    assert_eq!(error_of(r), BasicErrorResponseType::InvalidGrant);
}

#[tokio::test]
async fn metadata_names_the_endpoints() {
    let fake = start(OAuthConfig::default()).await;
    let resp = fake
        .http
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            fake.base
        ))
        .send()
        .await
        .expect("metadata");
    let body = json(resp).await;
    assert_eq!(
        body["token_endpoint"],
        format!("{}/oauth2/token", fake.base)
    );
    assert_eq!(body["code_challenge_methods_supported"][0], "S256");
}

#[test]
fn token_rule_matches_the_api_regex() {
    assert!(is_valid_api_token(
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"
    ));
    assert!(is_valid_api_token("abc.def"));
    assert!(!is_valid_api_token("no dots or spaces allowed"));
    assert!(!is_valid_api_token(""));
    assert!(!is_valid_api_token(&format!("a.{}", "b".repeat(260))));
}

/// The whole login against the real fake: the token the OAuth server issues is accepted by the
/// API, carries the chosen user's role, and survives a refresh.
#[tokio::test]
async fn tokens_from_the_fake_server_work_on_the_api() {
    let fake = cro_fake::FakeServer::start(cro_fake::FakeConfig::default())
        .await
        .expect("fake starts");
    let tenant = fake.tenant_ids()[0];
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let f = Fake {
        base: fake.base_url().to_string(),
        http: http.clone(),
    };
    let c = client(&f, "cro-fake-demo-secret");
    let (code, verifier) = login(&f, &c, Some("Driver")).await;
    let tok = c
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http(&http))
        .await
        .expect("token exchange");

    let call = |method: &str, path: &str, token: &str| {
        let req = match method {
            "POST" => http.post(format!("{}{path}", f.base)).body("{}"),
            _ => http.get(format!("{}{path}", f.base)),
        };
        req.header("authorization", format!("bearer {token}"))
            .header("x-tenant-id", tenant.to_string())
            .header("content-type", "application/json")
            .send()
    };
    let access = tok.access_token().secret();
    assert_eq!(
        call("GET", "/tenants", access)
            .await
            .expect("call")
            .status()
            .as_u16(),
        200
    );
    // Create Hook is for Admin and Dispatcher only: the Driver who logged in is refused.
    assert_eq!(
        call("POST", "/hooks", access)
            .await
            .expect("call")
            .status()
            .as_u16(),
        403
    );

    let tok2 = c
        .exchange_refresh_token(tok.refresh_token().expect("refresh token"))
        .request_async(&oauth_http(&http))
        .await
        .expect("refresh");
    let access2 = tok2.access_token().secret();
    assert_eq!(
        call("GET", "/tenants", access2)
            .await
            .expect("call")
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        call("GET", "/tenants", "not.a.token")
            .await
            .expect("call")
            .status()
            .as_u16(),
        401
    );
}
