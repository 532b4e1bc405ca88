//! Webhook signatures and event names.

use std::collections::BTreeSet;

use cro_ext::webhooks::{
    HookEvent, SIGNATURE_HEADER, SignatureError, event_from_name, known_events, sign,
    verify_signature,
};

const BODY: &[u8] = br#"{"event":"Customer","id":1}"#;
const SECRET: &str = "VGhlIGxhenkgYnJvd24gZG9n";

#[test]
fn sign_is_hmac_sha1_keyed_with_the_secret_text() {
    // The classic HMAC-SHA1 test vector (RFC 2104 style, widely published).
    assert_eq!(
        sign("key", b"The quick brown fox jumps over the lazy dog"),
        "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
    );
    assert_eq!(SIGNATURE_HEADER, "X-Cro-Signature");
}

#[test]
fn valid_signatures_verify_in_any_reasonable_spelling() {
    let header = sign(SECRET, BODY);
    verify_signature(SECRET, BODY, &header).unwrap();
    verify_signature(SECRET, BODY, &format!("  {}\n", header.to_uppercase())).unwrap();
    verify_signature("", b"", &sign("", b"")).unwrap();
}

#[test]
fn wrong_secret_body_or_digest_is_a_mismatch() {
    let header = sign(SECRET, BODY);
    assert_eq!(
        verify_signature("other", BODY, &header),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(SECRET, b"{}", &header),
        Err(SignatureError::Mismatch)
    );
    let mut flipped = header.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    assert_eq!(
        verify_signature(SECRET, BODY, &flipped),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn malformed_headers_are_rejected() {
    let digest = &sign(SECRET, BODY)[5..];
    assert!(matches!(
        verify_signature(SECRET, BODY, digest),
        Err(SignatureError::Malformed(_))
    ));
    assert!(matches!(
        verify_signature(SECRET, BODY, ""),
        Err(SignatureError::Malformed(_))
    ));
    assert!(matches!(
        verify_signature(SECRET, BODY, &format!("sha256={digest}")),
        Err(SignatureError::Malformed(_))
    ));
    assert_eq!(
        verify_signature(SECRET, BODY, "sha1=zz"),
        Err(SignatureError::BadDigest)
    );
    assert_eq!(
        verify_signature(SECRET, BODY, "sha1=abcd"),
        Err(SignatureError::BadDigest)
    );
    assert_eq!(
        verify_signature(SECRET, BODY, &format!("sha1={digest}00")),
        Err(SignatureError::BadDigest)
    );
}

#[test]
fn hook_events_match_the_spec() {
    let known: BTreeSet<String> = known_events().map(|e| e.to_string()).collect();
    let spec: BTreeSet<String> = cro_api::meta::HOOK_EVENTS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        known, spec,
        "known_events() and cro_api::meta::HOOK_EVENTS differ"
    );
}

#[test]
fn hook_event_names_round_trip_and_unknown_ones_are_skipped() {
    for event in known_events() {
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<HookEvent>(&json).unwrap(), event);
        assert_eq!(event.to_string().parse::<HookEvent>().unwrap(), event);
    }
    // One type for creating hooks and reading deliveries.
    let _: fn() -> cro_api::types::HookEvent = || HookEvent::Customer;
    assert_eq!(
        event_from_name("customerlocation"),
        Some(HookEvent::CustomerLocation)
    );
    assert_eq!(event_from_name("Invoice"), None);
}
