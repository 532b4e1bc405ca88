//! One `cro_api.request` span per call with the documented fields.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

type Fields = HashMap<String, String>;

/// Collects the fields of every span (last value wins) and keeps closed spans in order.
#[derive(Clone, Default)]
struct Capture {
    open: Arc<Mutex<HashMap<u64, (String, Fields)>>>,
    closed: Arc<Mutex<Vec<(String, Fields)>>>,
    events: Arc<Mutex<Vec<Fields>>>,
}

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>> Layer<S>
    for Capture
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        attrs.record(&mut Visitor(&mut fields));
        self.open
            .lock()
            .unwrap()
            .insert(id.into_u64(), (attrs.metadata().name().to_owned(), fields));
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        if let Some((_, fields)) = self.open.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Visitor(fields));
        }
    }
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        event.record(&mut Visitor(&mut fields));
        self.events.lock().unwrap().push(fields);
    }
    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        if let Some(span) = self.open.lock().unwrap().remove(&id.into_u64()) {
            self.closed.lock().unwrap().push(span);
        }
    }
}

#[tokio::test]
async fn span_fields() {
    let capture = Capture::default();
    let subscriber = Registry::default().with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    bounded(async {
        let server = TestServer::start(|_, i| {
            if i == 0 {
                json(503, serde_json::json!({}))
            } else {
                error_body(404, "", "No such customer.")
            }
        })
        .await;
        let client = server.client();
        let err = client
            .get_customer()
            .customer_id(31337)
            .send()
            .await
            .unwrap_err();
        assert!(err.is_not_found());
        let sent_id = server.requests()[0]
            .header("x-request-id")
            .unwrap()
            .to_owned();

        let closed = capture.closed.lock().unwrap().clone();
        let spans: Vec<&Fields> = closed
            .iter()
            .filter(|(name, _)| name == cro_api::trace::REQUEST_SPAN)
            .map(|(_, f)| f)
            .collect();
        assert_eq!(spans.len(), 1, "{closed:?}");
        let span = spans[0];
        assert_eq!(span["operation_id"], "get_customer");
        assert_eq!(span["method"], "GET");
        // The path template: no ids, no query values.
        assert_eq!(span["path"], "/customers/{customer_id}");
        assert_eq!(span["request_id"], sent_id);
        assert_eq!(span["attempt"], "2");
        assert_eq!(span["status"], "404");
        assert!(span["duration_ms"].parse::<u64>().is_ok(), "{span:?}");
        assert!(!span.contains_key("error"));
        assert!(span.values().all(|v| !v.contains("31337")));

        let events = capture.events.lock().unwrap().clone();
        assert!(
            events
                .iter()
                .any(|e| e.get("message").is_some_and(|m| m == "retrying")
                    && e.get("status").is_some_and(|s| s == "503")),
            "{events:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn span_records_local_failures() {
    let capture = Capture::default();
    let subscriber = Registry::default().with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    bounded(async {
        let addr = closed_port().await;
        let client = cro_api::Client::builder()
            .base_url(format!("http://{addr}"))
            .token(TOKEN)
            .retry_policy(cro_api::RetryPolicy::disabled())
            .build()
            .unwrap();
        let _ = client.list_tenants().send().await;
        let closed = capture.closed.lock().unwrap().clone();
        let (_, span) = closed
            .iter()
            .find(|(name, _)| name == cro_api::trace::REQUEST_SPAN)
            .expect("span");
        assert_eq!(span["error"], "connect");
        assert_eq!(span["attempt"], "1");
        assert!(!span.contains_key("status"));
    })
    .await;
}
