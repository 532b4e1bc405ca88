//! Paging edges and the request log.

mod common;

use std::collections::BTreeSet;

use common::*;
use cro_fake::FakeConfig;

const Q: &str = "ListCustomersQueryParamsModel";

#[tokio::test]
async fn envelope_math_default_size_and_past_the_end() {
    bounded(async {
        let fake = start_default().await; // 504 customers per tenant, like the sample
        let api = Api::new(&fake, "Admin");
        let p = api.get_json("/customers", 200).await;
        assert_eq!(
            (
                &p["current_page"],
                &p["current_limit"],
                &p["total_pages"],
                &p["total_count"]
            ),
            (&1.into(), &100.into(), &6.into(), &504.into())
        );
        assert_eq!(ids(&p).len(), 100);
        let last = api.get_json("/customers?page_index=6", 200).await;
        assert_eq!(ids(&last).len(), 4);
        let past = api.get_json("/customers?page_index=7", 200).await;
        assert_eq!(past["current_page"], 7);
        assert_eq!(past["total_pages"], 6);
        assert_eq!(ids(&past).len(), 0);
        let far = api
            .get_json("/customers?page_index=10000&page_limit=1000", 200)
            .await;
        assert_eq!(
            (far["current_page"].as_i64(), ids(&far).len()),
            (Some(10000), 0)
        );
        // Walking every page yields every customer exactly once.
        let mut seen = BTreeSet::new();
        for page in 1..=6 {
            for id in ids(&api
                .get_json(&format!("/customers/?page_index={page}"), 200)
                .await)
            {
                assert!(seen.insert(id), "duplicate {id}");
            }
        }
        assert_eq!(seen.len(), 504);
    })
    .await;
}

#[tokio::test]
async fn exact_multiple_and_empty_listings() {
    bounded(async {
        let fake = start(FakeConfig::default().with_customers(200).with_locations(1)).await;
        let api = Api::new(&fake, "Admin");
        let p = api
            .get_json("/locations/1/customers?page_limit=100&page_index=2", 200)
            .await;
        assert_eq!((p["total_pages"].as_i64(), ids(&p).len()), (Some(2), 100));
        let p = api
            .get_json("/locations/1/customers?page_limit=100&page_index=3", 200)
            .await;
        assert_eq!((p["current_page"].as_i64(), ids(&p).len()), (Some(3), 0));
        let p = api.get_json("/customers?page_limit=1000", 200).await;
        assert_eq!((p["total_pages"].as_i64(), ids(&p).len()), (Some(1), 200));

        let empty = start(FakeConfig::default().with_customers(0)).await;
        let api = Api::new(&empty, "Admin");
        let p = api.get_json("/customers", 200).await;
        assert_eq!(
            (
                p["total_count"].as_i64(),
                p["total_pages"].as_i64(),
                ids(&p).len()
            ),
            (Some(0), Some(0), 0)
        );
        assert_eq!(p["current_page"], 1);
    })
    .await;
}

#[tokio::test]
async fn limits_out_of_range_are_400s() {
    bounded(async {
        let fake = start_default().await;
        let api = Api::new(&fake, "Admin");
        for (q, field, detail) in [
            (
                "page_index=0",
                "page_index",
                "Must be greater than or equal to 1 and less than or equal to 10000.",
            ),
            (
                "page_index=10001",
                "page_index",
                "Must be greater than or equal to 1 and less than or equal to 10000.",
            ),
            (
                "page_limit=0",
                "page_limit",
                "Must be greater than or equal to 1 and less than or equal to 1000.",
            ),
            (
                "page_limit=1001",
                "page_limit",
                "Must be greater than or equal to 1 and less than or equal to 1000.",
            ),
            ("page_limit=abc", "page_limit", "Not a valid integer."),
            (
                "page_index=-1",
                "page_index",
                "Must be greater than or equal to 1 and less than or equal to 10000.",
            ),
        ] {
            let r = api.get(&format!("/customers?{q}")).await;
            let b = expect_error(r, 400, &format!("{Q}.{field}")).await;
            assert_eq!(b["detail"], detail, "{q}");
        }
        // Limits hold on every paged operation, with its own model name.
        let r = api.get("/locations?page_limit=5000").await;
        expect_error(r, 400, "ListLocationsQueryParamsModel.page_limit").await;
        // The bare-array list (materials) pages too.
        let m = api
            .get_json("/locations/1/materials?page_limit=2", 200)
            .await;
        assert_eq!(m.as_array().unwrap().len(), 2);
        let m = api
            .get_json("/locations/1/materials?page_limit=2&page_index=4", 200)
            .await;
        assert_eq!(m, serde_json::json!([]));
    })
    .await;
}

#[tokio::test]
async fn filters() {
    bounded(async {
        let fake = start_default().await;
        let api = Api::new(&fake, "Admin");
        let inactive = api
            .get_json("/customers?active=false&page_limit=1000", 200)
            .await;
        let n = inactive["total_count"].as_i64().unwrap();
        assert!(n > 0 && n < 504, "{n}");
        assert!(
            inactive["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["is_active"] == false)
        );
        let active = api.get_json("/customers?active=TRUE", 200).await;
        assert_eq!(active["total_count"].as_i64().unwrap() + n, 504);
        let first = api.get_json("/customers?page_limit=1", 200).await;
        let name = first["results"][0]["name"].as_str().unwrap().to_owned();
        let by_name = api
            .get_json(
                &format!(
                    "/customers?name={}",
                    name.to_uppercase().replace(' ', "%20")
                ),
                200,
            )
            .await;
        assert!(by_name["total_count"].as_i64().unwrap() >= 1);
        assert!(
            by_name["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["name"] == name.as_str())
        );
        let prefix = &name[..3];
        let wild = api
            .get_json(&format!("/customers?name={prefix}*"), 200)
            .await;
        assert!(wild["total_count"].as_i64().unwrap() >= by_name["total_count"].as_i64().unwrap());
        let at3 = api
            .get_json("/customers?location_id=3&page_limit=1000", 200)
            .await;
        assert_eq!(at3["total_count"], 252);
        let r = api.get("/customers?active=maybe").await;
        expect_error(r, 400, &format!("{Q}.active")).await;
    })
    .await;
}

#[tokio::test]
async fn request_log_records_the_exact_pages() {
    bounded(async {
        let fake = start(FakeConfig::default().with_customers(250).with_locations(1)).await;
        let api = Api::new(&fake, "Admin");
        fake.clear_request_log();
        let mut page = 1;
        loop {
            let p = api
                .get_json(&format!("/customers?page_index={page}&page_limit=100"), 200)
                .await;
            if page >= p["total_pages"].as_i64().unwrap() {
                break;
            }
            page += 1;
        }
        let _ = api.get("/customers?page_index=0").await;
        let log = fake.request_log();
        let pages: Vec<(String, u16)> = log
            .iter()
            .map(|e| (e.query_param("page_index").unwrap_or_default(), e.status))
            .collect();
        assert_eq!(
            pages,
            vec![
                ("1".into(), 200),
                ("2".into(), 200),
                ("3".into(), 200),
                ("0".into(), 400)
            ]
        );
        let e = &log[0];
        assert_eq!((e.method.as_str(), e.path.as_str()), ("GET", "/customers"));
        assert_eq!(e.header("x-tenant-id"), Some("34"));
        assert_eq!(e.header("x-api-version"), Some("2023/04/19"));
        assert!(e.header("authorization").unwrap().starts_with("bearer "));
        assert!(log.windows(2).all(|w| w[0].seq < w[1].seq));
    })
    .await;
}

#[tokio::test]
async fn injected_total_count_drift_reaches_the_envelope() {
    bounded(async {
        let fake = start_default().await;
        let api = Api::new(&fake, "Admin");
        let r = api
            .req(reqwest::Method::GET, "/customers")
            .header("x-cro-fake-fault", "drift=-5")
            .send()
            .await
            .unwrap();
        let p = expect_json(r, 200).await;
        assert_eq!(
            (p["total_count"].as_i64(), p["total_pages"].as_i64()),
            (Some(499), Some(5))
        );
        assert_eq!(ids(&p).len(), 100, "the data itself does not change");

        let plan = cro_fake::faults::FaultPlan {
            total_count_drift: Some(cro_fake::faults::Drift {
                after_request: 1,
                delta: 7,
            }),
            ..Default::default()
        };
        let fake = start(FakeConfig::default().with_faults(plan)).await;
        let api = Api::new(&fake, "Admin");
        let first = api.get_json("/customers", 200).await;
        let second = api.get_json("/customers?page_index=2", 200).await;
        assert_eq!(first["total_count"], 504);
        assert_eq!(second["total_count"], 511);
    })
    .await;
}
