//! Every error path: status, reason phrase in the status line, and the `{field, detail,
//! explanation}` body.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn reason_phrase_is_in_the_status_line() {
    bounded(async {
        let fake = start_default().await;
        let token = fake.token("Dispatcher").unwrap();
        let body = {
            let mut b = new_customer("Reason Co", "1 Reason Rd");
            b["user_id"] = json!(5);
            b.to_string()
        };
        let req = format!(
            "POST /locations/1/customers HTTP/1.1\r\nHost: x\r\nauthorization: bearer {token}\r\n\
             x-tenant-id: 34\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        );
        let line = raw_status_line(fake.addr(), &req).await;
        assert_eq!(line, "HTTP/1.1 400 CreateCustomerModel.user_id: Unknown field.");

        let req = "GET /customers HTTP/1.1\r\nHost: x\r\nconnection: close\r\n\r\n";
        let line = raw_status_line(fake.addr(), req).await;
        assert_eq!(
            line,
            "HTTP/1.1 401 StandardRequestHeadersModel.authorization: Missing data for required field."
        );
        let req = format!(
            "GET /customers/999999 HTTP/1.1\r\nHost: x\r\nauthorization: bearer {token}\r\n\
             x-tenant-id: 34\r\nconnection: close\r\n\r\n"
        );
        let line = raw_status_line(fake.addr(), &req).await;
        assert_eq!(line, "HTTP/1.1 404 customer_id: No customer with id 999999.");
    })
    .await;
}

#[tokio::test]
async fn not_found_method_not_allowed_not_acceptable() {
    bounded(async {
        let fake = start_default().await;
        let api = Api::new(&fake, "Admin");
        expect_error(api.get("/customers/999999").await, 404, "customer_id").await;
        expect_error(api.get("/customers/2").await, 404, "customer_id").await; // tenant 35's
        expect_error(api.get("/locations/1/trucks/999").await, 404, "truck_id").await;
        expect_error(api.get("/nowhere").await, 404, "").await;
        let r = api.get("/customers/abc").await;
        let b = expect_error(r, 400, "customer_id").await;
        assert_eq!(b["detail"], "Not a valid integer.");
        let r = api.get("/haulers/not-a-uuid").await;
        expect_error(r, 400, "hauler_uuid").await;

        let r = api.send(Method::PUT, "/customers/1", None).await;
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()["allow"], "GET, PATCH");
        let r = api.send(Method::DELETE, "/tenants", None).await;
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()["allow"], "GET");

        let r = api
            .req(Method::GET, "/customers")
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        expect_error(r, 406, "Accept").await;
        let r = api
            .req(Method::GET, "/customers")
            .header("accept", "application/json;q=0")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 406);
        let r = api
            .req(Method::GET, "/customers")
            .header("accept", "text/html, */*;q=0.1")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // The PDF report needs an Accept that admits PDF.
        let r = api
            .req(Method::GET, "/locations/1/trucks/1/get_jobs_list_pdf")
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 406);
    })
    .await;
}

#[tokio::test]
async fn body_validation_names_the_field() {
    bounded(async {
        let fake = start_default().await;
        let api = Api::new(&fake, "Dispatcher");
        let post = |body: serde_json::Value| {
            let api = api.clone();
            async move {
                api.send(Method::POST, "/locations/1/customers", Some(body))
                    .await
            }
        };
        let mut long = new_customer(&"x".repeat(65), "1 A St");
        let b = expect_error(post(long.clone()).await, 400, "CreateCustomerModel.name").await;
        assert_eq!(b["detail"], "Length must be between 1 and 64.");
        long["name"] = json!(5);
        let b = expect_error(post(long).await, 400, "CreateCustomerModel.name").await;
        assert_eq!(b["detail"], "Not a valid string.");
        let mut missing = new_customer("Y", "1 A St");
        missing.as_object_mut().unwrap().remove("contacts");
        let b = expect_error(post(missing).await, 400, "CreateCustomerModel.contacts").await;
        assert_eq!(b["detail"], "Missing data for required field.");
        let mut nested = new_customer("Y", "1 A St");
        nested["addresses"][0]["latitude"] = json!(91.5);
        expect_error(
            post(nested).await,
            400,
            "CreateCustomerAddressModel.latitude",
        )
        .await;
        let mut nested = new_customer("Y", "1 A St");
        nested["addresses"][0]["country"] = json!("USA");
        expect_error(
            post(nested).await,
            400,
            "CreateCustomerAddressModel.country",
        )
        .await;
        let mut flags = new_customer("Y", "1 A St");
        flags["addresses"][0]["is_shipping"] = json!(false);
        expect_error(post(flags).await, 400, "CreateCustomerModel.addresses").await;
        let mut date = new_customer("Y", "1 A St");
        date["renewal_date"] = json!("next tuesday");
        let b = expect_error(post(date).await, 400, "CreateCustomerModel.renewal_date").await;
        assert_eq!(b["detail"], "Not a valid datetime.");

        // Not JSON, wrong content type, empty body.
        let r = api
            .req(Method::POST, "/locations/1/customers")
            .header("content-type", "application/json")
            .body("{nope")
            .send()
            .await
            .unwrap();
        expect_error(r, 400, "CreateCustomerModel").await;
        let r = api
            .req(Method::POST, "/locations/1/customers")
            .header("content-type", "text/plain")
            .body(new_customer("Y", "1 A St").to_string())
            .send()
            .await
            .unwrap();
        expect_error(r, 400, "StandardRequestHeadersModel.Content-Type").await;
        let r = api.send(Method::POST, "/locations/1/customers", None).await;
        expect_error(r, 400, "CreateCustomerModel").await;
        // Enum and pattern checks on other models.
        let admin = Api::new(&fake, "Admin");
        let r = admin
            .send(
                Method::POST,
                "/hooks",
                Some(json!({"events": ["Nope"], "url": "http://127.0.0.1:1/x"})),
            )
            .await;
        let b = expect_error(r, 400, "CreateWebhookModel.events.0").await;
        assert!(
            b["detail"]
                .as_str()
                .unwrap()
                .starts_with("Must be one of: Ping, Customer")
        );
        let r = admin
            .send(
                Method::POST,
                "/haulers/00000000-0000-4000-8000-000000000000/connections",
                Some(json!({"tenant_code": "no plus sign"})),
            )
            .await;
        expect_error(r, 400, "CreateHaulerConnectionRequestModel.tenant_code").await;
    })
    .await;
}

#[tokio::test]
async fn duplicates_are_409() {
    bounded(async {
        let fake = start_default().await;
        let api = Api::new(&fake, "Dispatcher");
        let body = new_customer("Dup Hauling", "77 Main St");
        let r = api
            .send(Method::POST, "/locations/1/customers", Some(body.clone()))
            .await;
        assert_eq!(r.status(), 200);
        let r = api
            .send(Method::POST, "/locations/1/customers", Some(body.clone()))
            .await;
        expect_error(r, 409, "CreateCustomerModel.name").await;
        // Same name, different address: fine; same at another location: fine.
        let other = new_customer("Dup Hauling", "78 Main St");
        assert_eq!(
            api.send(Method::POST, "/locations/1/customers", Some(other))
                .await
                .status(),
            200
        );
        assert_eq!(
            api.send(Method::POST, "/locations/3/customers", Some(body))
                .await
                .status(),
            200
        );
        // A near-identical address within max_address_edit_distance counts as the same.
        let near = new_customer("dup  hauling", "77 Main St.");
        let r = api
            .send(
                Method::POST,
                "/locations/1/customers?max_address_edit_distance=1",
                Some(near),
            )
            .await;
        assert_eq!(r.status(), 409);
        // Seeded customers are duplicates too.
        let admin = Api::new(&fake, "Admin");
        let c = admin
            .get_json("/locations/1/customers?page_limit=1", 200)
            .await;
        let seeded = &c["results"][0];
        let body = new_customer(
            seeded["name"].as_str().unwrap(),
            seeded["addresses"][0]["line_1"].as_str().unwrap(),
        );
        let r = api
            .send(Method::POST, "/locations/1/customers", Some(body))
            .await;
        expect_error(r, 409, "CreateCustomerModel.name").await;
    })
    .await;
}

#[tokio::test]
async fn headers_and_odd_input_never_break_the_server() {
    bounded(async {
        let fake = start_default().await;
        let api = Api::new(&fake, "Admin");
        let r = api
            .req(Method::GET, "/customers")
            .header("x-request-id", "nope")
            .send()
            .await
            .unwrap();
        expect_error(r, 400, "StandardRequestHeadersModel.x-request-id").await;
        let r = api
            .clone()
            .version(Some("2020/01/01"))
            .get("/customers")
            .await;
        let b = expect_error(r, 400, "StandardRequestHeadersModel.x-api-version").await;
        assert!(b["detail"].as_str().unwrap().contains("2023/04/19"));
        for path in [
            "/customers/%00",
            "/customers/99999999999999999999999",
            "/customers/-5",
            "/customers/1/addresses/%ff%fe",
            "/locations/1/customers?page_index=1e3",
            "/locations/1/customers?created_on_gte=%zz",
            "/customers?name=",
            "/locations/1/jobs?schedule_lt=yesterday",
        ] {
            let r = api.get(path).await;
            assert!(r.status().is_client_error(), "{path}: {}", r.status());
            let b: serde_json::Value = r.json().await.unwrap();
            assert!(b["detail"].is_string(), "{path}");
        }
        let disp = Api::new(&fake, "Dispatcher");
        let r = disp
            .send(Method::PATCH, "/customers/1", Some(json!([1, 2])))
            .await;
        expect_error(r, 400, "UpdateCustomerModel").await;
        let deep = (0..200).fold(json!(1), |acc, _| json!([acc]));
        let r = disp
            .send(Method::PATCH, "/customers/1", Some(json!({"name": deep})))
            .await;
        assert_eq!(r.status(), 400);
        // Still serving.
        assert_eq!(api.get("/customers?page_limit=1").await.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn schemathesis_findings_stay_fixed() {
    bounded(async {
        let fake = start_default().await;
        let api = Api::new(&fake, "MultiTenantAdmin");
        // A concrete path wins over a template: PATCH .../chats/recipients is a 405.
        let r = api
            .send(
                Method::PATCH,
                "/drivers/100001/chats/recipients",
                Some(json!({})),
            )
            .await;
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()["allow"], "GET");
        // Integers are int64.
        let driver = Api::new(&fake, "Driver");
        let gps = json!({"location": {"coords": {"latitude": 1.0, "longitude": 2.0,
            "floor": 9223372036854775808u64}, "timestamp": "2022-08-20T01:10:52.307000"}});
        let r = driver
            .send(Method::POST, "/locations/1/gps_events", Some(gps))
            .await;
        expect_error(r, 400, "GpsEventCoordsProfileModel.floor").await;
        // Models the server also sends stay open to unknown keys; request-only models do not.
        let r = api
            .send(
                Method::POST,
                "/drivers/100001/chats",
                Some(json!({"text": "hi", "receiver": {"id": 1, "type": "Driver", "extra": 0}})),
            )
            .await;
        assert_eq!(r.status(), 200);
        let r = api
            .send(
                Method::POST,
                "/hooks",
                Some(json!({"events": [], "url": "http://127.0.0.1:1/x", "": 1})),
            )
            .await;
        let b = expect_error(r, 400, "CreateWebhookModel.").await;
        assert_eq!(b["detail"], "Unknown field.");
        // A nullable field may be null (null `events` leaves them unchanged).
        let h = expect_json(
            api.send(
                Method::POST,
                "/hooks",
                Some(json!({"events": ["Job"], "url": "http://127.0.0.1:1/x"})),
            )
            .await,
            200,
        )
        .await;
        let r = api
            .send(
                Method::PATCH,
                &format!("/hooks/{}", h["id"]),
                Some(json!({"events": null, "url": "http://127.0.0.1:1/y"})),
            )
            .await;
        assert_eq!(expect_json(r, 200).await["events"], json!(["Job"]));
        // References to records that do not exist are 404s, naming the field.
        let r = api
            .send(
                Method::PATCH,
                "/locations/1/trucks/1",
                Some(json!({"driver_id": 1})),
            )
            .await;
        expect_error(r, 404, "UpdateTruckRequestModel.driver_id").await;
        let r = api
            .send(
                Method::PATCH,
                "/customers/1",
                Some(json!({"parent_id": 999_999})),
            )
            .await;
        expect_error(r, 404, "UpdateCustomerModel.parent_id").await;
        let r = api
            .send(Method::PATCH, "/customers/1", Some(json!({"parent_id": 1})))
            .await;
        expect_error(r, 409, "UpdateCustomerModel.parent_id").await;
        let r = api
            .send(
                Method::PATCH,
                "/locations/1/jobs/1/dispatch",
                Some(json!({"truck_id": 0})),
            )
            .await;
        expect_error(r, 404, "DispatchJobRequestModel.truck_id").await;
    })
    .await;
}
