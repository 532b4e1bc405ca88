//! Server-side only: how fast customer profiles are generated and rendered (no HTTP).
//! `cargo run --release -p cro-fake --example render_rate`

use std::time::Instant;

use cro_fake::FakeConfig;
use cro_fake::json::JsonBuf;
use cro_fake::model::{Customer, Profile};
use cro_fake::store::Store;
use cro_fake::versions::Version;
use cro_fake::world::World;

fn main() {
    let store = Store::new(World::new(&FakeConfig::default().with_customers(1_000_000)));
    let t = &store.tenants[0];
    let ov = t.read();
    let (mut c, mut p) = (Customer::default(), Profile::default());
    let t0 = Instant::now();
    let mut bytes = 0;
    let n = 200_000u64;
    for page in 0..n / 1000 {
        let mut out = JsonBuf::with_capacity(1_200_000);
        for pos in page * 1000..(page + 1) * 1000 {
            let (cid, loc) = store.tenant_profile_at(&ov, 0, pos).unwrap();
            let cc = store.customer(&ov, 0, cid, &mut c).unwrap();
            let pp = store.profile(&ov, 0, cid, loc, &mut p).unwrap();
            cro_fake::render::customer_location(&mut out, cc, pp, Version::latest());
        }
        bytes += out.len();
    }
    let s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    for pos in 0..n {
        let (cid, loc) = store.tenant_profile_at(&ov, 0, pos).unwrap();
        std::hint::black_box(store.customer(&ov, 0, cid, &mut c));
        std::hint::black_box(store.profile(&ov, 0, cid, loc, &mut p));
    }
    println!(
        "generation alone: {:.0} records/s",
        n as f64 / t1.elapsed().as_secs_f64()
    );
    println!(
        "{n} profiles in {s:.3} s: {:.0} records/s, {:.0} MB/s rendered",
        n as f64 / s,
        bytes as f64 / 1e6 / s
    );
}
