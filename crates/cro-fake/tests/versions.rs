//! `x-api-version`: validation, pinning per OAuth client id, echoes, and the documented
//! breaking changes.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn pinning_per_client_id_and_the_customer_id_rename() {
    bounded(async {
        let fake = start_default().await;
        let api = Api::new(&fake, "Admin").version(None);
        // A client id that never sent a version gets the earliest.
        let r = api.get("/customers/1/locations/1").await;
        assert_eq!(r.headers()["x-api-version"], "2019/02/08");
        let p = expect_json(r, 200).await;
        assert_eq!(p["customer_id"], 1);
        assert!(p.get("id").is_none());
        // Sending a version pins the client id to it...
        let p = api
            .clone()
            .version(Some("2021/04/07"))
            .get_json("/customers/1/locations/1", 200)
            .await;
        assert_eq!((p.get("id"), p.get("customer_id")), (Some(&json!(1)), None));
        let r = api.get("/locations/1/customers/1").await;
        assert_eq!(r.headers()["x-api-version"], "2021/04/07");
        assert_eq!(expect_json(r, 200).await["id"], 1);
        // ... for every token of that client id (the seeded role tokens share one) ...
        let r = Api::new(&fake, "Dispatcher")
            .version(None)
            .get("/customers?page_limit=1")
            .await;
        assert_eq!(r.headers()["x-api-version"], "2021/04/07");
        let page = expect_json(r, 200).await;
        assert!(page["results"][0].get("id").is_some());
        // ... but not for another client id.
        let other = fake.issue_token("admin", "another-client").unwrap();
        let r = api
            .clone()
            .token(Some(other))
            .get("/customers?page_limit=1")
            .await;
        assert_eq!(r.headers()["x-api-version"], "2019/02/08");
        assert!(
            expect_json(r, 200).await["results"][0]
                .get("customer_id")
                .is_some()
        );
        // An undocumented version is a 400 and does not move the pin.
        let r = api
            .clone()
            .version(Some("2022/01/01"))
            .get("/customers")
            .await;
        expect_error(r, 400, "StandardRequestHeadersModel.x-api-version").await;
        let r = api.get("/customers?page_limit=1").await;
        assert_eq!(r.headers()["x-api-version"], "2021/04/07");
    })
    .await;
}

#[tokio::test]
async fn request_id_is_echoed() {
    bounded(async {
        let fake = start_default().await;
        let api = Api::new(&fake, "Admin");
        let id = "6f1c1c1e-2a5b-4a7e-9d53-4f1d7a2b9c10";
        let r = api
            .req(Method::GET, "/tenants")
            .header("x-request-id", id)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["x-request-id"], id);
        let r = api.get("/tenants").await;
        let fresh = r.headers()["x-request-id"].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(fresh).is_ok());
        // Errors carry both headers too.
        let r = api
            .clone()
            .token(None)
            .req(Method::GET, "/customers")
            .header("x-request-id", id)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["x-request-id"], id);
        assert_eq!(r.headers()["x-api-version"], "2023/04/19");
    })
    .await;
}

#[tokio::test]
async fn job_created_by_rename() {
    bounded(async {
        let fake = start_default().await;
        let old = Api::new(&fake, "Admin").version(Some("2021/08/02"));
        let j = old.get_json("/locations/1/jobs/1", 200).await;
        assert!(j.get("created_by_id").is_some() && j.get("created_by").is_none());
        let new = Api::new(&fake, "Admin").version(Some("2021/11/04"));
        let j = new.get_json("/locations/1/jobs/1", 200).await;
        assert!(j.get("created_by").is_some() && j.get("created_by_id").is_none());
        // Request bodies take either name at any version (the spec cannot tie a body field to
        // the x-api-version header); the response uses the requested version's name.
        let disp = Api::new(&fake, "Dispatcher").version(Some("2023/04/19"));
        let r = disp
            .send(
                Method::PATCH,
                "/locations/1/jobs/1",
                Some(json!({"created_by_id": 5})),
            )
            .await;
        let j = expect_json(r, 200).await;
        assert_eq!(j["created_by"], 5);
        assert!(j.get("created_by_id").is_none());
        let r = disp
            .clone()
            .version(Some("2019/02/08"))
            .send(
                Method::PATCH,
                "/locations/1/jobs/1",
                Some(json!({"created_by": 6})),
            )
            .await;
        let j = expect_json(r, 200).await;
        assert_eq!(j["created_by_id"], 6);
        assert!(j.get("created_by").is_none());
    })
    .await;
}

#[tokio::test]
async fn update_truck_input_moved_from_query_to_body() {
    bounded(async {
        let fake = start_default().await;
        let old = Api::new(&fake, "Dispatcher").version(Some("2021/04/07"));
        let t = old
            .send(
                Method::PATCH,
                "/locations/1/trucks/1?driver_id=100003",
                None,
            )
            .await;
        assert_eq!(expect_json(t, 200).await["driver_id"], 100003);
        let new = Api::new(&fake, "Dispatcher").version(Some("2021/05/07"));
        // From 2021/05/07 the query parameter is ignored and the body is required.
        let r = new
            .send(
                Method::PATCH,
                "/locations/1/trucks/1?driver_id=100005",
                None,
            )
            .await;
        expect_error(r, 400, "UpdateTruckRequestModel").await;
        let t = new
            .send(
                Method::PATCH,
                "/locations/1/trucks/1",
                Some(json!({"driver_id": 100005})),
            )
            .await;
        assert_eq!(expect_json(t, 200).await["driver_id"], 100005);
        let t = new
            .send(
                Method::PATCH,
                "/locations/1/trucks/1",
                Some(json!({"driver_id": null})),
            )
            .await;
        assert_eq!(
            expect_json(t, 200).await["driver_id"],
            serde_json::Value::Null
        );
        let got = new.get_json("/locations/1/trucks/1", 200).await;
        assert_eq!(got["driver_id"], serde_json::Value::Null);
        // Unknown drivers are 404s in both forms.
        let r = old
            .send(Method::PATCH, "/locations/1/trucks/1?driver_id=7", None)
            .await;
        expect_error(r, 404, "UpdateTruckQueryParamsModel.driver_id").await;
        let r = new
            .send(
                Method::PATCH,
                "/locations/1/trucks/1",
                Some(json!({"driver_id": 7})),
            )
            .await;
        expect_error(r, 404, "UpdateTruckRequestModel.driver_id").await;
    })
    .await;
}
