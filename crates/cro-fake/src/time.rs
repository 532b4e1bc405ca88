//! Timestamps as the API writes them: naive UTC date-times with microseconds
//! (`2022-08-20T01:10:52.307000`).
//!
//! Stored as microseconds since the Unix epoch so records stay `Copy`-cheap and formatting is a
//! few integer divisions (no allocation, no time-zone database).

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since 1970-01-01T00:00:00 (UTC, rendered without an offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp(pub i64);

/// One day in microseconds.
pub const DAY: i64 = 86_400_000_000;

/// The date of the docs' samples (2022-08-20T00:00:00): seeded history ends around it so the
/// data looks like the documentation's.
pub const SAMPLE_EPOCH: Stamp = Stamp(1_660_953_600_000_000);

impl Stamp {
    /// The current wall-clock time.
    pub fn now() -> Stamp {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Stamp(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.ffffff` to `out`.
    pub fn write_to(self, out: &mut Vec<u8>) {
        let micros = self.0.rem_euclid(1_000_000);
        let secs = self.0.div_euclid(1_000_000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let y = y.clamp(0, 9999);
        let mut b = [0u8; 26];
        put(&mut b[0..4], y as u32);
        b[4] = b'-';
        put(&mut b[5..7], m);
        b[7] = b'-';
        put(&mut b[8..10], d);
        b[10] = b'T';
        put(&mut b[11..13], (sod / 3600) as u32);
        b[13] = b':';
        put(&mut b[14..16], (sod / 60 % 60) as u32);
        b[16] = b':';
        put(&mut b[17..19], (sod % 60) as u32);
        b[19] = b'.';
        put(&mut b[20..26], micros as u32);
        out.extend_from_slice(&b);
    }

    /// The formatted text.
    pub fn to_text(self) -> String {
        let mut v = Vec::with_capacity(26);
        self.write_to(&mut v);
        String::from_utf8(v).unwrap_or_default()
    }

    /// Parses any ISO 8601 form the API accepts (naive or with an offset, date-only allowed);
    /// offsets are converted to UTC.
    pub fn parse(text: &str) -> Option<Stamp> {
        let t = cro_api::Timestamp::parse(text).ok()?;
        let utc = t.to_utc();
        Some(Stamp(utc.timestamp_micros()))
    }
}

fn put(dst: &mut [u8], mut v: u32) {
    for slot in dst.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Howard Hinnant's `civil_from_days`: proleptic Gregorian date of a day number.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_docs() {
        let t = Stamp::parse("2022-08-20T01:10:52.307000").unwrap();
        assert_eq!(t.to_text(), "2022-08-20T01:10:52.307000");
        assert_eq!(SAMPLE_EPOCH.to_text(), "2022-08-20T00:00:00.000000");
        let z = Stamp::parse("2019-02-07T00:12:19.354Z").unwrap();
        assert_eq!(z.to_text(), "2019-02-07T00:12:19.354000");
        assert_eq!(Stamp(0).to_text(), "1970-01-01T00:00:00.000000");
        assert_eq!(
            Stamp::parse("2000-02-29").unwrap().to_text(),
            "2000-02-29T00:00:00.000000"
        );
    }
}
