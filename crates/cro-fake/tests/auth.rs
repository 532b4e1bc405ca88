//! Authentication (401), roles (403) and tenancy (400/403).

mod common;

use common::*;
use reqwest::Method;

const HDR: &str = "StandardRequestHeadersModel";

#[tokio::test]
async fn missing_malformed_and_unknown_tokens_are_401() {
    bounded(async {
        let fake = start_default().await;
        let api = Api::new(&fake, "Admin");
        let none = api.clone().token(None);
        let r = none.get("/customers").await;
        let b = expect_error(r, 401, &format!("{HDR}.authorization")).await;
        assert_eq!(b["detail"], "Missing data for required field.");

        for bad in [
            "Basic dXNlcjpwYXNz",
            "bearer",
            "bearer nodots",
            "bearer a b.c",
            "token abc.def",
        ] {
            let r = none
                .req(Method::GET, "/customers")
                .header("authorization", bad)
                .send()
                .await
                .unwrap();
            expect_error(r, 401, &format!("{HDR}.authorization")).await;
        }
        // Too long: the whole header value is capped at 256 characters.
        let long = format!("bearer abc.{}", "d".repeat(250));
        let r = none
            .req(Method::GET, "/customers")
            .header("authorization", long)
            .send()
            .await
            .unwrap();
        let b = expect_error(r, 401, &format!("{HDR}.authorization")).await;
        assert!(b["detail"].as_str().unwrap().contains("256"));
        // Well-formed but unknown.
        let r = api
            .clone()
            .token(Some("abc.def.ghi".into()))
            .get("/customers")
            .await;
        expect_error(r, 401, &format!("{HDR}.authorization")).await;
        // The scheme is case-insensitive.
        let t = fake.token("Admin").unwrap();
        let r = none
            .req(Method::GET, "/customers")
            .header("authorization", format!("Bearer {t}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn roles_come_from_the_spec() {
    bounded(async {
        let fake = start_default().await;
        // create_customer is Dispatcher-only.
        let driver = Api::new(&fake, "Driver");
        let r = driver
            .send(
                Method::POST,
                "/locations/1/customers",
                Some(new_customer("X", "1 A St")),
            )
            .await;
        let b = expect_error(r, 403, &format!("{HDR}.authorization")).await;
        assert!(b["detail"].as_str().unwrap().contains("Dispatcher"), "{b}");
        let disp = Api::new(&fake, "Dispatcher");
        let r = disp
            .send(
                Method::POST,
                "/locations/1/customers",
                Some(new_customer("X", "1 A St")),
            )
            .await;
        assert_eq!(r.status(), 200);
        // log_gps_event is for drivers only.
        let gps = serde_json::json!({"location": {"coords": {"latitude": 1.0, "longitude": 2.0},
            "timestamp": "2022-08-20T01:10:52.307000"}});
        let r = disp
            .send(Method::POST, "/locations/1/gps_events", Some(gps.clone()))
            .await;
        assert_eq!(r.status(), 403);
        let r = driver
            .send(Method::POST, "/locations/1/gps_events", Some(gps))
            .await;
        let b = expect_json(r, 200).await;
        assert_eq!(b["driver_id"], 100001);
        // Every role in the spec's lists is accepted for a read everyone may do.
        for op in cro_api::meta::OPERATIONS
            .iter()
            .filter(|o| o.id == "list_locations")
        {
            for role in op.roles {
                let r = Api::new(&fake, role).get("/locations").await;
                assert_eq!(r.status(), 200, "{role}");
            }
        }
        // ThirdPartyAdmin is not in list_locations' roles.
        let r = Api::new(&fake, "ThirdPartyAdmin").get("/locations").await;
        assert_eq!(r.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn tenant_header_rules() {
    bounded(async {
        let fake = start_default().await;
        let admin = Api::new(&fake, "Admin");
        let r = admin.clone().tenant(None).get("/customers").await;
        let b = expect_error(r, 400, &format!("{HDR}.x-tenant-id")).await;
        assert_eq!(b["detail"], "Missing data for required field.");
        let r = admin
            .clone()
            .tenant(None)
            .req(Method::GET, "/customers")
            .header("x-tenant-id", "abc")
            .send()
            .await
            .unwrap();
        let b = expect_error(r, 400, &format!("{HDR}.x-tenant-id")).await;
        assert_eq!(b["detail"], "Not a valid integer.");
        // Admin is assigned to 34 only; 999 does not exist.
        for t in [35, 999] {
            let r = admin.clone().tenant(Some(t)).get("/customers").await;
            expect_error(r, 403, &format!("{HDR}.x-tenant-id")).await;
        }
        // The multi-tenant admin sees both, and they hold different data.
        let multi = Api::new(&fake, "MultiTenantAdmin");
        let a = multi
            .clone()
            .tenant(Some(34))
            .get_json("/customers?page_limit=5", 200)
            .await;
        let b = multi
            .clone()
            .tenant(Some(35))
            .get_json("/customers?page_limit=5", 200)
            .await;
        assert!(ids(&a).iter().all(|id| id % 2 == 1));
        assert!(ids(&b).iter().all(|id| id % 2 == 0));
        // A tenant-34 customer does not exist in tenant 35.
        let id = ids(&a)[0];
        let r = multi
            .clone()
            .tenant(Some(35))
            .get(&format!("/customers/{id}"))
            .await;
        expect_error(r, 404, "customer_id").await;
        // Locations of the other tenant are 404 too.
        let loc35 = fake.location_ids(35)[0];
        let r = multi
            .clone()
            .tenant(Some(34))
            .get(&format!("/locations/{loc35}"))
            .await;
        expect_error(r, 404, "location_id").await;
    })
    .await;
}

#[tokio::test]
async fn tenant_less_and_public_operations() {
    bounded(async {
        let fake = start_default().await;
        // list_tenants takes no tenant header and lists the caller's tenants.
        let t = Api::new(&fake, "Admin")
            .tenant(None)
            .get_json("/tenants", 200)
            .await;
        assert_eq!(ids(&t), vec![34]);
        assert_eq!(t["results"][0]["code"], "SMSCORP");
        let t = Api::new(&fake, "MultiTenantAdmin")
            .tenant(None)
            .get_json("/tenants", 200)
            .await;
        assert_eq!(ids(&t), vec![34, 35]);
        // Public: no token needed (the docs' sample still sends x-tenant-id: ignored).
        let public = Api::new(&fake, "Admin").token(None);
        let r = public
            .send(
                Method::POST,
                "/users",
                Some(
                    serde_json::json!({"password": "PassWorD100100", "recaptcha": "asdf1234",
                    "user_type": "ClientCustomer", "username": "someone@example.com"}),
                ),
            )
            .await;
        let u = expect_json(r, 200).await;
        assert_eq!(u["roles"], serde_json::json!(["ClientCustomer"]));
        // Optional tenant header (Get Hauler): absent is fine, a foreign tenant is not.
        let admin = Api::new(&fake, "Admin");
        let h = admin.get_json("/haulers", 200).await;
        let id = h["results"][0]["id"].as_str().unwrap().to_owned();
        let r = admin
            .clone()
            .tenant(None)
            .get(&format!("/haulers/{id}"))
            .await;
        assert_eq!(r.status(), 200);
        let r = admin
            .clone()
            .tenant(Some(35))
            .get(&format!("/haulers/{id}"))
            .await;
        assert_eq!(r.status(), 403);
    })
    .await;
}
