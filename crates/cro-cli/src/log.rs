//! `-v/--verbose` and `CRO_LOG` / `RUST_LOG`: what the user sees of the requests sent.
//!
//! The client opens one `tracing` span per call (`cro_api.request`, see `cro_api::trace`),
//! logs the path and query it sent in an event inside it, and fills in the attempt, status,
//! duration and request id. At
//! `-v`, [`RequestLines`] prints one line per call when its span closes; at `-vv` it also
//! prints each attempt's request and response headers, which the client logs with the
//! credentials already replaced by `<redacted>`. `CRO_LOG` (or else `RUST_LOG`) is an
//! `EnvFilter` directive for everything else the libraries log, printed by the standard
//! formatter. Everything goes to stderr: stdout may be the export.

use std::fmt::Write as _;
use std::io::Write as _;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Install the logging asked for by `-v` (`verbosity`) and `CRO_LOG` / `RUST_LOG`.
///
/// An invalid `CRO_LOG` is a usage error naming the variable.
pub fn init(verbosity: u8) -> Result<(), String> {
    let directive = std::env::var("CRO_LOG")
        .ok()
        .map(|v| ("CRO_LOG", v))
        .or_else(|| std::env::var("RUST_LOG").ok().map(|v| ("RUST_LOG", v)))
        .filter(|(_, v)| !v.trim().is_empty());
    if verbosity == 0 && directive.is_none() {
        return Ok(());
    }
    let env_layer = match directive {
        Some((name, value)) => Some(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(
                    EnvFilter::builder()
                        .parse(&value)
                        .map_err(|e| format!("{name}={value:?} is not a log filter: {e}"))?,
                ),
        ),
        None => None,
    };
    let lines = (verbosity > 0).then_some(RequestLines {
        headers: verbosity > 1,
    });
    tracing_subscriber::registry()
        .with(env_layer)
        .with(lines)
        .try_init()
        .map_err(|e| format!("cannot install logging: {e}"))
}

/// Prints one line per API call and, with `headers`, the headers of each attempt.
struct RequestLines {
    headers: bool,
}

/// The fields of a request span collected so far.
#[derive(Default)]
struct CallFields {
    method: String,
    target: String,
    request_id: String,
    attempt: Option<u64>,
    status: Option<u64>,
    duration_ms: Option<u64>,
    error: Option<String>,
}

impl Visit for CallFields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "attempt" => self.attempt = Some(value),
            "status" => self.status = Some(value),
            "duration_ms" => self.duration_ms = Some(value),
            _ => {}
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(v) = u64::try_from(value) {
            self.record_u64(field, v);
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "method" => self.method = value.to_owned(),
            "path_and_query" => self.target = value.to_owned(),
            "request_id" => self.request_id = value.to_owned(),
            "error" => self.error = Some(value.to_owned()),
            _ => {}
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // `method = %method` arrives as a Display value through this method.
        let text = format!("{value:?}");
        self.record_str(field, text.trim_matches('"'));
    }
}

impl CallFields {
    /// `GET /customers?page_index=0&page_limit=1000 -> 200 in 12 ms (attempt 1, request id ...)`
    fn line(&self) -> String {
        let outcome = match (&self.status, &self.error) {
            (Some(s), _) => s.to_string(),
            (None, Some(e)) => format!("failed ({e})"),
            (None, None) => "no answer".to_owned(),
        };
        let mut line = format!("{} {} -> {outcome}", self.method, self.target);
        if let Some(ms) = self.duration_ms {
            let _ = write!(line, " in {ms} ms");
        }
        let _ = write!(line, " (attempt {}", self.attempt.unwrap_or(1));
        if !self.request_id.is_empty() {
            let _ = write!(line, ", request id {}", self.request_id);
        }
        line.push(')');
        crate::errors::clean(&line)
    }
}

/// Message and header text of a headers event.
#[derive(Default)]
struct HeaderEvent {
    message: String,
    headers: String,
}

impl Visit for HeaderEvent {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_owned(),
            "headers" => self.headers = value.to_owned(),
            _ => {}
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        match field.name() {
            "message" => self.message = text,
            // Display values (`%`) come through Debug unquoted.
            "headers" => self.headers = text,
            _ => {}
        }
    }
}

const REQUEST_SPAN: &str = "cro_api.request";

impl<S> Layer<S> for RequestLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != REQUEST_SPAN {
            return;
        }
        let mut fields = CallFields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<CallFields>()
        {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() == cro_api::trace::TARGET_TARGET {
            if let Some(span) = ctx.event_span(event)
                && let Some(fields) = span.extensions_mut().get_mut::<CallFields>()
            {
                event.record(fields);
            }
            return;
        }
        if !self.headers || event.metadata().target() != cro_api::trace::HEADERS_TARGET {
            return;
        }
        let mut e = HeaderEvent::default();
        event.record(&mut e);
        let arrow = if e.message.starts_with("request") {
            '>'
        } else {
            '<'
        };
        let mut text = String::new();
        for line in e.headers.lines() {
            let _ = writeln!(text, "  {arrow} {}", crate::errors::clean(line));
        }
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id)
            && let Some(fields) = span.extensions().get::<CallFields>()
        {
            let _ = writeln!(std::io::stderr().lock(), "{}", fields.line());
        }
    }
}
