//! The rate-limited mode: page latency, requests in flight and the request rate, each
//! answered with `429` + `Retry-After`, against the whole fake server.
//!
//! Nothing here asserts how fast anything is: the checks count answers (and use only lower
//! bounds of elapsed time where a delay is the point).

mod common;

use std::time::{Duration, Instant};

use common::{Api, bounded, start};
use cro_fake::throttle::{ThrottleArgs, ThrottlePlan};
use cro_fake::{FakeConfig, RunningFake};
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A list page of the first tenant (small pages: the answers are cheap).
const LIST: &str = "/customers?page_limit=10";
/// A single read of the first tenant's first customer: not a list page, so never delayed.
const ONE: &str = "/customers/1";

async fn fake(throttle: ThrottlePlan) -> RunningFake {
    start(FakeConfig::default().with_throttle(throttle)).await
}

async fn get(api: &Api, path: &str) -> reqwest::Response {
    api.req(Method::GET, path).send().await.expect("request")
}

/// Waits (bounded by the caller) until `pred` holds for the fake's throttle counts.
async fn until(fake: &RunningFake, pred: impl Fn(cro_fake::ThrottleCounts) -> bool) {
    while !pred(fake.throttle_counts()) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn the_request_after_max_in_flight_gets_429_with_retry_after() {
    bounded(async {
        // Long enough that the two held pages are still in flight when the third arrives.
        let fake = fake(ThrottlePlan {
            page_latency: Duration::from_secs(5),
            max_in_flight: Some(2),
            retry_after_secs: 1,
            ..ThrottlePlan::default()
        })
        .await;
        let api = Api::new(&fake, "Admin");
        let held: Vec<_> = (0..2)
            .map(|_| {
                let api = api.clone();
                tokio::spawn(async move { get(&api, LIST).await.status().as_u16() })
            })
            .collect();
        until(&fake, |c| c.admitted == 2).await;

        let refused = get(&api, ONE).await;
        assert_eq!(refused.status().as_u16(), 429);
        assert_eq!(refused.headers()["retry-after"], "1");
        assert!(refused.headers().contains_key("x-request-id"));
        let body: serde_json::Value = refused.json().await.expect("error body");
        assert_eq!(body["detail"], "Too many requests; retry after 1 seconds.");
        assert_eq!(body["explanation"], "Too many requests.");

        for h in held {
            assert_eq!(h.await.expect("held request"), 200);
        }
        // Both slots are free again: the next request is served.
        assert_eq!(get(&api, ONE).await.status().as_u16(), 200);
        let c = fake.throttle_counts();
        assert_eq!((c.refused_in_flight, c.refused_rate), (1, 0));
        assert_eq!((c.admitted, c.peak_in_flight), (3, 2));
        assert_eq!(fake.too_many_requests_sent(), 1);
    })
    .await;
}

#[tokio::test]
async fn in_flight_never_exceeds_the_limit_under_a_crowd() {
    bounded(async {
        let fake = fake(ThrottlePlan {
            page_latency: Duration::from_millis(50),
            max_in_flight: Some(3),
            retry_after_secs: 1,
            ..ThrottlePlan::default()
        })
        .await;
        let api = Api::new(&fake, "Admin");
        let crowd: Vec<_> = (0..24)
            .map(|_| {
                let api = api.clone();
                tokio::spawn(async move { get(&api, LIST).await.status().as_u16() })
            })
            .collect();
        let mut ok = 0;
        let mut refused = 0;
        for r in crowd {
            match r.await.expect("request") {
                200 => ok += 1,
                429 => refused += 1,
                other => panic!("unexpected status {other}"),
            }
        }
        let c = fake.throttle_counts();
        assert!(c.peak_in_flight <= 3, "{c:?}");
        assert_eq!((c.admitted, c.refused_in_flight), (ok, refused), "{c:?}");
        assert_eq!(c.requests, 24);
    })
    .await;
}

#[tokio::test]
async fn the_rate_limit_refuses_beyond_the_bucket_and_refills() {
    bounded(async {
        let fake = fake(ThrottlePlan {
            rate_limit: Some(1),
            burst: Some(3),
            retry_after_secs: 2,
            ..ThrottlePlan::default()
        })
        .await;
        let api = Api::new(&fake, "Admin");
        let started = Instant::now();
        let mut statuses = Vec::new();
        for _ in 0..10 {
            let r = get(&api, ONE).await;
            if r.status().as_u16() == 429 {
                assert_eq!(r.headers()["retry-after"], "2");
            }
            statuses.push(r.status().as_u16());
        }
        let elapsed = started.elapsed();
        let ok = statuses.iter().filter(|&&s| s == 200).count() as u64;
        // The bucket starts full: the first three pass whatever the clock does.
        assert_eq!(statuses[..3], [200, 200, 200]);
        // Never more than the bucket plus what one token a second refilled meanwhile.
        assert!(
            ok <= 3 + elapsed.as_secs() + 1,
            "{statuses:?} in {elapsed:?}"
        );
        if elapsed < Duration::from_secs(6) {
            assert!(statuses.contains(&429), "{statuses:?} in {elapsed:?}");
        }
        let c = fake.throttle_counts();
        assert_eq!(c.refused_rate, 10 - ok);
        assert_eq!(c.refused_in_flight, 0);

        // One second at 1/s puts a token back.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(get(&api, ONE).await.status().as_u16(), 200);
    })
    .await;
}

#[tokio::test]
async fn page_latency_delays_list_pages_only() {
    bounded(async {
        let latency = Duration::from_millis(300);
        let fake = fake(ThrottlePlan {
            page_latency: latency,
            ..ThrottlePlan::default()
        })
        .await;
        let api = Api::new(&fake, "Admin");
        let started = Instant::now();
        assert_eq!(get(&api, LIST).await.status().as_u16(), 200);
        assert!(started.elapsed() >= latency, "a list page waits");
        assert_eq!(fake.throttle_counts().delayed, 1);
        assert_eq!(get(&api, ONE).await.status().as_u16(), 200);
        assert_eq!(get(&api, "/tenants").await.status().as_u16(), 200);
        let c = fake.throttle_counts();
        assert_eq!(
            c.delayed, 2,
            "the tenants list waits, the single read does not"
        );
        assert_eq!(c.refused(), 0);
    })
    .await;
}

#[tokio::test]
async fn a_429_has_the_api_reason_phrase_and_the_stats_count_it() {
    bounded(async {
        let fake = fake(ThrottlePlan {
            max_in_flight: Some(1),
            page_latency: Duration::from_secs(5),
            retry_after_secs: 1,
            ..ThrottlePlan::default()
        })
        .await;
        let api = Api::new(&fake, "Admin");
        let held = {
            let api = api.clone();
            tokio::spawn(async move { get(&api, LIST).await.status().as_u16() })
        };
        until(&fake, |c| c.admitted == 1).await;

        let addr = fake.addr();
        let mut sock = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let token = fake.token("Admin").expect("token");
        let tenant = fake.tenant_ids()[0];
        sock.write_all(
            format!(
                "GET {ONE} HTTP/1.1\r\nhost: {addr}\r\nauthorization: bearer {token}\r\n\
                 x-tenant-id: {tenant}\r\nconnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .expect("write");
        let mut raw = Vec::new();
        sock.read_to_end(&mut raw).await.expect("read");
        let text = String::from_utf8_lossy(&raw);
        assert!(
            text.starts_with("HTTP/1.1 429 Too many requests; retry after 1 seconds.\r\n"),
            "{text}"
        );

        // The stats path is outside the limits: it answers while the only slot is taken.
        let stats: serde_json::Value = common::HTTP
            .get(format!(
                "{}{}",
                fake.base_url(),
                cro_fake::server::STATS_PATH
            ))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats JSON");
        assert_eq!(stats["too_many_requests"], 1);
        assert_eq!(stats["throttle"]["refused_in_flight"], 1);
        assert_eq!(held.await.expect("held"), 200);
    })
    .await;
}

#[test]
fn command_line_flags_build_a_plan() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        fake: cro_fake::cli::FakeArgs,
    }
    let cli = Cli::try_parse_from([
        "cro-fake",
        "--page-latency-ms",
        "300",
        "--max-in-flight",
        "2",
        "--rate-limit",
        "3",
        "--burst",
        "5",
        "--retry-after",
        "4",
    ])
    .expect("flags parse");
    let plan = cli.fake.config().throttle;
    assert_eq!(
        plan,
        ThrottlePlan {
            page_latency: Duration::from_millis(300),
            max_in_flight: Some(2),
            rate_limit: Some(3),
            burst: Some(5),
            retry_after_secs: 4,
        }
    );
    assert_eq!(plan.bucket_size(), 5);
    // Defaults: no limits; the bucket is as large as the rate.
    let quiet = Cli::try_parse_from(["cro-fake"]).expect("no flags");
    assert!(quiet.fake.config().throttle.is_quiet());
    assert_eq!(
        ThrottleArgs {
            rate_limit: Some(3),
            ..ThrottleArgs::default()
        }
        .plan(1)
        .bucket_size(),
        3
    );
    for bad in [
        &["cro-fake", "--max-in-flight", "0"][..],
        &["cro-fake", "--rate-limit", "0"],
        &["cro-fake", "--burst", "2"],
    ] {
        assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
    }
}
