//! Writes are visible to reads, per tenant.

mod common;

use common::*;
use cro_fake::FakeConfig;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn created_customers_show_up_everywhere() {
    bounded(async {
        let fake = start(FakeConfig::default().with_customers(10)).await;
        let disp = Api::new(&fake, "Dispatcher");
        let r = disp
            .send(
                Method::POST,
                "/locations/3/customers",
                Some(new_customer("Fresh Co", "5 New Rd")),
            )
            .await;
        let c = expect_json(r, 200).await;
        let id = c["id"].as_i64().unwrap();
        assert!(id > 20, "ids follow the seeded range: {id}");
        assert_eq!(
            (c["location_id"].as_i64(), c["is_active"].as_bool()),
            (Some(3), Some(true))
        );
        assert_eq!(c["addresses"][0]["line_1"], "5 New Rd");
        let got = disp.get_json(&format!("/customers/{id}"), 200).await;
        assert_eq!(got["name"], "Fresh Co");
        assert_eq!(got["locations"][0]["location_id"], 3);
        let at = disp
            .get_json(&format!("/locations/3/customers/{id}"), 200)
            .await;
        assert_eq!(at["name"], "Fresh Co");
        let list = disp.get_json("/locations/3/customers", 200).await;
        assert_eq!(list["total_count"], 6);
        assert_eq!(*ids(&list).last().unwrap(), id);
        let all = disp.get_json("/customers", 200).await;
        assert_eq!(all["total_count"], 11);
        // The other tenant sees nothing of it.
        let multi = Api::new(&fake, "MultiTenantAdmin").tenant(Some(35));
        expect_error(
            multi.get(&format!("/customers/{id}")).await,
            404,
            "customer_id",
        )
        .await;
        assert_eq!(multi.get_json("/customers", 200).await["total_count"], 10);
    })
    .await;
}

#[tokio::test]
async fn updates_and_deactivations_are_read_back() {
    bounded(async {
        let fake = start_default().await;
        let disp = Api::new(&fake, "Dispatcher");
        let r = disp
            .send(
                Method::PATCH,
                "/customers/1",
                Some(json!({"name": "Renamed Inc", "parent_id": 3})),
            )
            .await;
        let c = expect_json(r, 200).await;
        assert_eq!(
            (c["name"].as_str(), c["parent_id"].as_i64()),
            (Some("Renamed Inc"), Some(3))
        );
        let page = disp.get_json("/customers?page_limit=1", 200).await;
        assert_eq!(page["results"][0]["name"], "Renamed Inc");
        let r = disp
            .send(
                Method::PATCH,
                "/customers/1/locations/1",
                Some(json!({"note": "A note", "renewal_date": "2049-10-31T11:32:38.390000"})),
            )
            .await;
        let p = expect_json(r, 200).await;
        assert_eq!(
            (p["note"].as_str(), p["renewal_date"].as_str()),
            (Some("A note"), Some("2049-10-31T11:32:38.390000"))
        );
        let before = disp
            .get_json("/customers?active=false&page_limit=1000", 200)
            .await["total_count"]
            .as_i64()
            .unwrap();
        let r = disp
            .send(Method::DELETE, "/customers/1/locations/1", None)
            .await;
        assert_eq!(expect_json(r, 200).await["is_active"], false);
        let p = disp.get_json("/customers/1/locations/1", 200).await;
        assert_eq!(p["is_active"], false);
        let after = disp
            .get_json("/customers?active=false&page_limit=1000", 200)
            .await["total_count"]
            .as_i64()
            .unwrap();
        assert_eq!(after, before + 1);
        // Another location for the same customer.
        let r = disp
            .send(
                Method::POST,
                "/customers/1/locations/3",
                Some(json!({"reference_number": "A140"})),
            )
            .await;
        assert_eq!(expect_json(r, 200).await["location_id"], 3);
        let profiles = disp.get_json("/customers/1/locations", 200).await;
        assert_eq!(profiles["total_count"], 2);
        let r = disp
            .send(Method::POST, "/customers/1/locations/3", Some(json!({})))
            .await;
        assert_eq!(r.status(), 409);
        let at3 = disp
            .get_json("/locations/3/customers?page_limit=1000", 200)
            .await;
        assert!(ids(&at3).contains(&1));
    })
    .await;
}

#[tokio::test]
async fn addresses_and_contacts() {
    bounded(async {
        let fake = start_default().await;
        let disp = Api::new(&fake, "Dispatcher");
        let before = disp.get_json("/customers/1/addresses", 200).await["total_count"]
            .as_i64()
            .unwrap();
        let r = disp
            .send(
                Method::POST,
                "/customers/1/addresses",
                Some(json!({
                "country": "US", "is_billing": false, "is_shipping": true, "latitude": 48.076273,
                "line_1": "345 B Street", "locality": "Sequim", "longitude": -123.117185,
                "postcode": "98368", "region": "WA"})),
            )
            .await;
        let a = expect_json(r, 200).await;
        let aid = a["id"].as_i64().unwrap();
        assert_eq!(
            (a["is_active"].as_bool(), a["line_2"].is_null()),
            (Some(true), true)
        );
        assert_eq!(
            disp.get_json("/customers/1/addresses", 200).await["total_count"],
            before + 1
        );
        let r = disp
            .send(
                Method::PATCH,
                &format!("/customers/1/addresses/{aid}"),
                Some(json!({
                "country": "US", "is_billing": true, "is_shipping": true, "latitude": 48.0,
                "line_1": "1 Updated Rd", "line_2": "Unit 5", "locality": "Sequim",
                "longitude": -123.0, "postcode": "98382", "region": "WA"})),
            )
            .await;
        assert_eq!(expect_json(r, 200).await["line_2"], "Unit 5");
        let r = disp
            .send(
                Method::DELETE,
                &format!("/customers/1/addresses/{aid}"),
                None,
            )
            .await;
        assert_eq!(expect_json(r, 200).await["is_active"], false);
        let a = disp
            .get_json(&format!("/customers/1/addresses/{aid}"), 200)
            .await;
        assert_eq!(
            (a["is_active"].as_bool(), a["line_1"].as_str()),
            (Some(false), Some("1 Updated Rd"))
        );
        // Another customer's address id is a 404 here.
        expect_error(
            disp.get(&format!("/customers/3/addresses/{aid}")).await,
            404,
            "customer_address_id",
        )
        .await;

        let r = disp
            .send(
                Method::POST,
                "/customers/1/contacts",
                Some(json!({"name": "John J NewContact"})),
            )
            .await;
        let c = expect_json(r, 200).await;
        let cid = c["id"].as_i64().unwrap();
        assert!(c["email"].is_null() && c["notify_on_new_request"] == false);
        let r = disp
            .send(
                Method::PATCH,
                &format!("/customers/1/contacts/{cid}"),
                Some(json!({"email": "test.updated@contacts.com"})),
            )
            .await;
        assert_eq!(
            expect_json(r, 200).await["email"],
            "test.updated@contacts.com"
        );
        let c = disp
            .get_json(&format!("/customers/1/contacts/{cid}"), 200)
            .await;
        assert_eq!(
            (c["name"].as_str(), c["email"].as_str()),
            (Some("John J NewContact"), Some("test.updated@contacts.com"))
        );
        let all = disp.get_json("/customers/1/contacts", 200).await;
        assert!(ids(&all).contains(&cid));
        let cust = disp.get_json("/customers/1", 200).await;
        assert!(
            cust["contacts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == cid)
        );
    })
    .await;
}

#[tokio::test]
async fn jobs_hooks_users_haulers_chat() {
    bounded(async {
        let fake = start_default().await;
        let disp = Api::new(&fake, "Dispatcher");
        // Jobs.
        let before = disp.get_json("/locations/1/jobs", 200).await["total_count"].as_i64().unwrap();
        let r = disp
            .send(Method::POST, "/locations/1/jobs", Some(json!({"address_id": 4, "driver_notes": "Back in"})))
            .await;
        let j = expect_json(r, 200).await;
        let jid = j["id"].as_i64().unwrap();
        assert_eq!((j["customer_id"].as_i64(), j["driver_notes"].as_str()), (Some(1), Some("Back in")));
        assert_eq!(disp.get_json("/locations/1/jobs", 200).await["total_count"], before + 1);
        let r = disp
            .send(Method::PATCH, &format!("/locations/1/jobs/{jid}/dispatch"), Some(json!({"truck_id": 1, "new_schedule_date": "2099-01-01T08:00:00"})))
            .await;
        let j = expect_json(r, 200).await;
        assert_eq!((j["truck_id"].as_i64(), j["schedule_date"].as_str()), (Some(1), Some("2099-01-01T08:00:00.000000")));
        assert!(j["dispatched_on"].is_string());
        let r = disp
            .send(Method::PATCH, &format!("/locations/1/jobs/{jid}/dispatch"), Some(json!({"new_schedule_date": "2001-01-01T08:00:00"})))
            .await;
        // `x-cro-date: future` is advice the spec cannot enforce; the fake applies any valid
        // date (spec/README.md), and rejects only a malformed one.
        let j = expect_json(r, 200).await;
        assert_eq!(j["schedule_date"].as_str(), Some("2001-01-01T08:00:00.000000"));
        let r = disp
            .send(Method::PATCH, &format!("/locations/1/jobs/{jid}/dispatch"), Some(json!({"new_schedule_date": "2001-02-30"})))
            .await;
        expect_error(r, 400, "DispatchJobRequestModel.new_schedule_date").await;
        let by_truck = disp.get_json("/locations/1/jobs?truck_id=1&page_limit=1000", 200).await;
        assert!(ids(&by_truck).contains(&jid));
        assert!(by_truck["results"].as_array().unwrap().iter().all(|j| j["truck_id"] == 1));
        let r = disp.send(Method::POST, "/locations/1/jobs", Some(json!({"address_id": 999999}))).await;
        expect_error(r, 404, "CreateJobRequestBodyModel.address_id").await;
        // A driver may not change dispatcher-only fields.
        let driver = Api::new(&fake, "Driver");
        let r = driver.send(Method::PATCH, &format!("/locations/1/jobs/{jid}"), Some(json!({"priority": 1}))).await;
        expect_error(r, 403, "UpdateJobProfileModel.priority").await;
        let r = driver.send(Method::PATCH, &format!("/locations/1/jobs/{jid}"), Some(json!({"driver_notes": "Done"}))).await;
        assert_eq!(expect_json(r, 200).await["driver_notes"], "Done");

        // Hooks.
        let admin = Api::new(&fake, "Admin");
        let r = admin
            .send(Method::POST, "/hooks", Some(json!({"events": ["Customer"], "secret": "VGhlIGxhenkgYnJvd24gZG9n", "url": "https://test.url"})))
            .await;
        let h = expect_json(r, 200).await;
        let hid = h["id"].as_i64().unwrap();
        let r = admin
            .send(Method::PATCH, &format!("/hooks/{hid}"), Some(json!({"events": [], "url": "https://test.updated.url"})))
            .await;
        let h = expect_json(r, 200).await;
        assert_eq!((h["url"].as_str(), h["events"].clone()), (Some("https://test.updated.url"), json!([])));
        let r = admin.send(Method::DELETE, &format!("/hooks/{hid}"), None).await;
        assert!(expect_json(r, 200).await["deleted_at"].is_string());
        let h = admin.get_json(&format!("/hooks/{hid}"), 200).await;
        assert!(h["deleted_at"].is_string());
        assert_eq!(admin.get_json("/hooks", 200).await["total_count"], 1);
        // Hooks are per tenant.
        let other = Api::new(&fake, "MultiTenantAdmin").tenant(Some(35));
        assert_eq!(other.get_json("/hooks", 200).await["total_count"], 0);

        // Users: public sign-up, duplicates are 409.
        let body = json!({"password": "PassWorD100100", "recaptcha": "asdf1234", "user_type": "ThirdPartyDispatcher", "username": "dup@example.com"});
        let public = Api::new(&fake, "Admin").token(None).tenant(None);
        assert_eq!(public.send(Method::POST, "/users", Some(body.clone())).await.status(), 200);
        expect_error(public.send(Method::POST, "/users", Some(body)).await, 409, "CreateUserRequestModel.username").await;
        let users = admin.get_json("/locations/1/users", 200).await;
        let uid = ids(&users)[0];
        assert_eq!(admin.get_json(&format!("/locations/1/users/{uid}"), 200).await["id"], uid);

        // Haulers and connections.
        let r = public
            .send(Method::POST, "/haulers", Some(json!({"company_name": "New Hauler", "password": "This1s@Test!", "recaptcha": "DummyCaptcha", "username": "h@example.com"})))
            .await;
        let hid = expect_json(r, 200).await["id"].as_str().unwrap().to_owned();
        assert_eq!(admin.get_json(&format!("/haulers/{hid}"), 200).await["name"], "New Hauler");
        let r = admin
            .send(Method::POST, &format!("/haulers/{hid}/connections"), Some(json!({"tenant_code": "SMSCORP+3"})))
            .await;
        let c = expect_json(r, 200).await;
        assert_eq!((c["provider_id"].as_i64(), c["location_id"].as_i64(), c["is_approved"].as_bool()), (Some(34), Some(3), Some(false)));
        let r = admin
            .send(Method::POST, &format!("/haulers/{hid}/connections"), Some(json!({"tenant_code": "SMSCORP+3"})))
            .await;
        assert_eq!(r.status(), 409);
        let r = admin
            .send(Method::POST, &format!("/haulers/{hid}/connections"), Some(json!({"tenant_code": "NOPE+3"})))
            .await;
        expect_error(r, 404, "CreateHaulerConnectionRequestModel.tenant_code").await;
        assert_eq!(admin.get_json(&format!("/haulers/{hid}/connections"), 200).await["total_count"], 1);

        // Driver chat.
        let before = driver.get_json("/drivers/100001/chats", 200).await["total_count"].as_i64().unwrap();
        let r = driver.send(Method::POST, "/drivers/100001/chats", Some(json!({"text": "Flat tire"}))).await;
        let m = expect_json(r, 200).await;
        assert_eq!(m["sender"], json!({"id": 100001, "type": "Driver"}));
        let mid = m["id"].as_i64().unwrap();
        let r = driver.send(Method::PATCH, &format!("/drivers/100001/chats/{mid}"), Some(json!({"text": "Flat tire, fixed"}))).await;
        assert_eq!(expect_json(r, 200).await["is_edited"], true);
        let list = driver.get_json("/drivers/100001/chats?is_read=false", 200).await;
        assert!(ids(&list).contains(&mid));
        assert_eq!(driver.get_json("/drivers/100001/chats", 200).await["total_count"], before + 1);
    })
    .await;
}

#[tokio::test]
async fn ping_delivers_a_signed_request_and_reports_it() {
    use axum::routing::post;
    bounded(async {
        type Seen = (Option<String>, Option<String>, Vec<u8>);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Seen>();
        let app = axum::Router::new().route(
            "/hook",
            post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let tx = tx.clone();
                async move {
                    let get = |h: &str| headers.get(h).map(|v| v.to_str().unwrap().to_owned());
                    let _ = tx.send((get("x-cro-signature"), get("x-api-version"), body.to_vec()));
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });

        let fake = start_default().await;
        let admin = Api::new(&fake, "Admin");
        let secret = "VGhlIGxhenkgYnJvd24gZG9n";
        let r = admin
            .send(Method::POST, "/hooks", Some(json!({"events": ["Ping"], "secret": secret, "url": format!("http://{addr}/hook")})))
            .await;
        let hid = expect_json(r, 200).await["id"].as_i64().unwrap();
        let r = admin.clone().version(Some("2021/08/02")).get(&format!("/hooks/{hid}/ping")).await;
        let header_sig = r.headers()["x-cro-signature"].to_str().unwrap().to_owned();
        let body = r.bytes().await.unwrap();
        let result: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((result["http_status"].as_i64(), result["message"].as_str()), (Some(204), Some("No exceptions raised.")));
        let (sig, version, delivered) = rx.recv().await.unwrap();
        let expected = cro_fake::webhook_delivery::sign(secret, &delivered);
        assert_eq!(sig.unwrap(), expected);
        // The ping's answer carries the delivery's signature, and the delivery the ping's
        // API version.
        assert_eq!(header_sig, expected);
        assert_eq!(version.as_deref(), Some("2021/08/02"));
        let payload: Value = serde_json::from_slice(&delivered).unwrap();
        assert_eq!(payload["delivery_id"], result["delivery_id"]);
        assert!(admin.get_json(&format!("/hooks/{hid}"), 200).await["last_http_success"].is_string());
        // A dead URL is reported as -1, not as an error of the ping call.
        let r = admin
            .send(Method::PATCH, &format!("/hooks/{hid}"), Some(json!({"url": "http://127.0.0.1:9/nothing"})))
            .await;
        assert_eq!(r.status(), 200);
        let res = admin.get_json(&format!("/hooks/{hid}/ping"), 200).await;
        assert_eq!(res["http_status"], -1);
        assert!(admin.get_json(&format!("/hooks/{hid}"), 200).await["last_http_fail"].is_string());
    })
    .await;
}
