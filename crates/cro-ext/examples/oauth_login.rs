//! OAuth 2.0: log in with the authorization code flow (PKCE), call the API with a token
//! source that refreshes itself, and refresh once explicitly.
//!
//! ```sh
//! CRO_BASE_URL=http://127.0.0.1:8080 CRO_TENANT_ID=42 \
//!     cargo run -p cro-ext --example oauth_login
//! ```
//!
//! A real login opens the authorization URL in a browser and receives the redirect on your
//! callback URL. cro-fake approves every login at once, so this example follows its redirect
//! itself. Settings: `CRO_OAUTH_CLIENT_ID` / `CRO_OAUTH_CLIENT_SECRET` (default: cro-fake's
//! demo client), `CRO_OAUTH_AUTH_URL` / `CRO_OAUTH_TOKEN_URL` (default: under CRO_BASE_URL).

use cro_api::oauth::{OAuthClient, OAuthConfig, RefreshingTokenSource};

fn env_or(name: &str, default: impl FnOnce() -> String) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = env_or("CRO_BASE_URL", || "http://127.0.0.1:8080".to_owned());
    let base = base.trim_end_matches('/').to_owned();
    let config = OAuthConfig::new(env_or("CRO_OAUTH_CLIENT_ID", || "cro-fake-demo".into()))
        .client_secret(env_or("CRO_OAUTH_CLIENT_SECRET", || {
            "cro-fake-demo-secret".into()
        }))
        .auth_url(env_or("CRO_OAUTH_AUTH_URL", || {
            format!("{base}/oauth2/auth")
        }))
        .token_url(env_or("CRO_OAUTH_TOKEN_URL", || {
            format!("{base}/oauth2/token")
        }))
        .redirect_url("http://127.0.0.1:9/callback")
        // cro-fake speaks plain HTTP on loopback; keep the default (HTTPS only) elsewhere.
        .allow_insecure_http(base.starts_with("http://127.0.0.1"));
    let oauth = OAuthClient::new(config)?;

    // 1. The login URL (state and PKCE challenge included).
    let login = oauth.authorize_url();
    println!(
        "login at {}",
        login.url().as_str().split('?').next().unwrap_or_default()
    );

    // 2. The "browser": follow the login to the redirect and read `code` and `state`.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = browser.get(login.url().as_str()).send().await?;
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("the login did not redirect")?;
    let callback = url::Url::parse(location)?;
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .ok_or(format!("the redirect has no `{name}`"))
    };
    let tokens = oauth
        .exchange_callback(&login, &param("state")?, &param("code")?)
        .await?;
    println!(
        "logged in; refresh token: {}",
        tokens.refresh_token().is_some()
    );

    // 3. A token source that refreshes itself (before expiry, and once on a 401); refresh
    //    once now to show the rotation, then hand it to a client.
    let source = RefreshingTokenSource::new(oauth, tokens)
        .on_refresh(|_| println!("tokens refreshed (store the new refresh token)"));
    source.refresh_now().await?;
    let client = cro_api::ClientBuilder::from_env()
        .token_source(source)
        .build()?;
    let tenants = client.list_tenants().send().await?;
    println!(
        "{} tenant(s) visible with the refreshed token",
        tenants.total_count
    );
    Ok(())
}
