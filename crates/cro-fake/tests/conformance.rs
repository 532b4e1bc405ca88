//! Every operation of the spec answers a valid request with 200 and a body that validates
//! against the spec's response schema, at every documented API version.

mod common;

use common::*;
use cro_api::meta::{API_VERSIONS, Auth, OPERATIONS};
use reqwest::Method;
use serde_json::{Value, json};

fn body_for(op: &str, hauler: &str) -> Option<Value> {
    Some(match op {
        "add_customer_address" => json!({
            "country": "US", "is_billing": true, "is_shipping": true, "latitude": 48.076273,
            "line_1": "345 B Street", "locality": "Sequim", "longitude": -123.117185,
            "postcode": "98368", "region": "WA"}),
        "update_customer_address" => json!({
            "country": "US", "is_billing": true, "is_shipping": false, "latitude": 48.0,
            "line_1": "1 Updated Rd", "line_2": "Unit 5", "locality": "Sequim", "longitude": -123.0,
            "postcode": "98382", "region": "WA"}),
        "create_customer_contact" => json!({"name": "John J NewContact"}),
        "update_customer_contact" => json!({"email": "test.updated@contacts.com"}),
        "add_customer_location" => json!({"reference_number": "A140", "is_commercial": true}),
        "update_customer_location" => json!({
            "is_commercial": true, "note": "A note about something", "reference_number": "A140",
            "renewal_date": "2049-10-31T11:32:38.390000", "sales_rep": "Jane Johnson"}),
        "update_customer" => json!({"name": "Test Update"}),
        "create_customer" => json!({
            "name": "Conformance Co",
            "addresses": [{"country": "US", "is_billing": true, "is_shipping": true,
                "latitude": 47.0, "line_1": "9 Test Ave", "locality": "Olympia",
                "longitude": -122.9, "postcode": "98501", "region": "WA"}],
            "contacts": [{"name": "Pat Test", "email": "pat@test.example"}]}),
        "create_driver_chat_message" => {
            json!({"text": "On my way", "receiver": {"id": 300001, "type": "Dispatcher"}})
        }
        "update_driver_chat_message" => json!({"is_read": true}),
        "log_gps_event" => json!({"location": {
            "coords": {"latitude": 48.1, "longitude": -123.1, "heading": 184.57, "speed": 2.41},
            "timestamp": "2019-02-07T00:12:19.354Z"}}),
        "create_hauler" => {
            json!({"company_name": "A Test Company, Inc.", "password": "This1s@Test!",
            "recaptcha": "DummyCaptcha", "username": "test_new_user@crosoftware.net"})
        }
        "create_hauler_connection" => json!({"tenant_code": "SMSCORP+3"}),
        "create_job" => json!({"address_id": 4}),
        "update_job" => json!({"driver_notes": "Left by the gate", "priority": 1}),
        "dispatch_job" => json!({"truck_id": 1, "new_schedule_date": "2099-01-02T08:00:00"}),
        "update_truck" => json!({"driver_id": null}),
        "create_user" => json!({"password": "PassWorD100100", "recaptcha": "asdf1234",
            "user_type": "ClientCustomer", "username": "new_user@crosoftware.net"}),
        "create_hook" | "update_hook" => json!({"events": ["Customer"],
            "secret": "VGhlIGxhenkgYnJvd24gZG9n", "url": "http://127.0.0.1:9/hook"}),
        _ => {
            let _ = hauler;
            return None;
        }
    })
}

fn path_for(template: &str, hauler: &str, hook: i64) -> String {
    template
        .replace("{location_id}", "1")
        .replace("{customer_id}", "1")
        .replace("{customer_address_id}", "4")
        .replace("{customer_contact_id}", "4")
        .replace("{customer_location_id}", "3")
        .replace("{driver_id}", "100001")
        .replace("{driver_chat_msg_id}", "1000010")
        .replace("{dump_destination_id}", "1")
        .replace("{hauler_uuid}", hauler)
        .replace("{job_id}", "1")
        .replace("{truck_id}", "1")
        .replace("{user_id}", "300001")
        .replace("{hook_id}", &hook.to_string())
}

#[tokio::test]
async fn every_operation_conforms_at_every_version() {
    bounded(async {
        for version in API_VERSIONS {
            let fake = start_default().await;
            let admin = Api::new(&fake, "MultiTenantAdmin").version(Some(version));
            let haulers = admin.get_json("/haulers", 200).await;
            let hauler = haulers["results"][0]["id"].as_str().unwrap().to_owned();
            let hook = admin
                .send(Method::POST, "/hooks", body_for("create_hook", &hauler))
                .await;
            let hook = expect_json(hook, 200).await["id"].as_i64().unwrap();
            // A second hook for delete_hook, which sorts before ping_hook.
            let doomed = admin
                .send(Method::POST, "/hooks", body_for("create_hook", &hauler))
                .await;
            let doomed = expect_json(doomed, 200).await["id"].as_i64().unwrap();
            // Writes first would change what later reads see; any order must conform anyway.
            for op in OPERATIONS {
                let role = if op.allows_role("Admin") || op.allows_role("Dispatcher") {
                    "MultiTenantAdmin"
                } else {
                    op.roles
                        .iter()
                        .find(|r| **r != "Public")
                        .copied()
                        .unwrap_or("Admin")
                };
                let mut api = Api::new(&fake, role).version(Some(version));
                if op.auth == Auth::None {
                    api = api.token(None).tenant(None);
                }
                let h = if op.id == "delete_hook" { doomed } else { hook };
                let path = path_for(op.path, &hauler, h);
                let method = Method::from_bytes(op.method.as_str().as_bytes()).unwrap();
                let resp = api.send(method, &path, body_for(op.id, &hauler)).await;
                let status = resp.status().as_u16();
                let ct = resp
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                assert_eq!(
                    resp.headers()
                        .get("x-api-version")
                        .unwrap()
                        .to_str()
                        .unwrap(),
                    *version
                );
                assert!(resp.headers().get("x-request-id").is_some());
                if op.id == "get_truck_jobs_pdf" {
                    assert_eq!(status, 200);
                    assert_eq!(ct, "application/pdf");
                    let bytes = resp.bytes().await.unwrap();
                    assert!(bytes.starts_with(b"%PDF-1.4"));
                    continue;
                }
                let text = resp.text().await.unwrap();
                assert_eq!(status, 200, "{} {path} @ {version}: {text}", op.id);
                let body: Value = serde_json::from_str(&text).unwrap();
                conforms(op.id, &body, version);
            }
        }
    })
    .await;
}
