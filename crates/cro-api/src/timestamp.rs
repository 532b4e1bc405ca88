//! [`Timestamp`]: the API's ISO 8601 date-times, which usually carry no time zone.
//!
//! The API returns `2022-08-20T01:10:52.307000` (naive, microseconds) in responses and accepts
//! offset forms such as `2019-02-07T00:12:19.354Z` in requests. `chrono::DateTime<Utc>` rejects
//! the naive form, and `NaiveDateTime` would silently drop an offset, so the SDK keeps the text
//! exactly as received (re-encoding is lossless) and parses it on demand.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// An ISO 8601 date or date-time as the CRO API writes it, with or without a UTC offset.
///
/// ```
/// use cro_api::Timestamp;
/// let t: Timestamp = "2022-08-20T01:10:52.307000".parse().unwrap();
/// assert_eq!(t.as_str(), "2022-08-20T01:10:52.307000");
/// assert!(t.offset().is_none());
/// assert_eq!(t.naive().to_string(), "2022-08-20 01:10:52.307");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    text: String,
}

/// The text was not an ISO 8601 date or date-time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO 8601 date or date-time (expected e.g. 2022-08-20T01:10:52.307000)")]
pub struct TimestampError(String);

impl Timestamp {
    /// Parse and validate `text`.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        parse_parts(text).ok_or_else(|| TimestampError(text.to_owned()))?;
        Ok(Timestamp {
            text: text.to_owned(),
        })
    }

    /// A timestamp for a UTC instant, written the way the API writes its own (naive, microseconds).
    pub fn from_naive(value: NaiveDateTime) -> Self {
        Timestamp {
            text: value.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        }
    }

    /// The exact text received or given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The wall-clock date and time, ignoring any offset. Date-only values are midnight.
    pub fn naive(&self) -> NaiveDateTime {
        parse_parts(&self.text)
            .expect("validated on construction")
            .0
    }

    /// The UTC offset, when the text has one.
    pub fn offset(&self) -> Option<FixedOffset> {
        parse_parts(&self.text)
            .expect("validated on construction")
            .1
    }

    /// The instant in UTC. Naive values are taken to be UTC, which is what the API's own
    /// timestamps are (inferred: the docs never state a zone).
    pub fn to_utc(&self) -> DateTime<Utc> {
        let (naive, offset) = parse_parts(&self.text).expect("validated on construction");
        match offset {
            Some(offset) => {
                DateTime::<FixedOffset>::from_naive_utc_and_offset(naive - offset, offset)
                    .with_timezone(&Utc)
            }
            None => naive.and_utc(),
        }
    }
}

fn parse_parts(text: &str) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    // The API writes every timestamp in one shape; parsing it by hand is ~10x cheaper than
    // chrono's format-string parsers, which matters when a page decodes thousands of them.
    if let Some(naive) = parse_api_naive(text.as_bytes()) {
        return Some((naive, None));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some((dt.naive_local(), Some(*dt.offset())));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some((naive, None));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|date| (date.and_time(NaiveTime::MIN), None))
}

/// `YYYY-MM-DDTHH:MM:SS` with an optional `.` and 1 to 9 fraction digits, no zone: the form
/// of every timestamp the API returns. Anything else is left to the general parsers.
fn parse_api_naive(b: &[u8]) -> Option<NaiveDateTime> {
    fn digits(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    }
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(&b[0..4])?).ok()?,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )?;
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let time = NaiveTime::from_hms_nano_opt(
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
        nanos,
    )?;
    Some(date.and_time(time))
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.text)
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl TryFrom<&str> for Timestamp {
    type Error = TimestampError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Timestamp::parse(value)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = TimestampError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        parse_parts(&value).ok_or_else(|| TimestampError(value.clone()))?;
        Ok(Timestamp { text: value })
    }
}

impl TryFrom<&String> for Timestamp {
    type Error = TimestampError;
    fn try_from(value: &String) -> Result<Self, Self::Error> {
        Timestamp::parse(value)
    }
}

impl From<NaiveDateTime> for Timestamp {
    fn from(value: NaiveDateTime) -> Self {
        Timestamp::from_naive(value)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Timestamp::from_naive(value.naive_utc())
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::try_from(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_microseconds_round_trip() {
        let t = Timestamp::parse("2022-08-20T01:27:24.691708").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2022-08-20T01:27:24.691708\""
        );
        assert_eq!(t.to_utc().to_rfc3339(), "2022-08-20T01:27:24.691708+00:00");
    }

    #[test]
    fn offset_forms_and_dates() {
        let z = Timestamp::parse("2019-02-07T00:12:19.354Z").unwrap();
        assert_eq!(z.offset(), Some(FixedOffset::east_opt(0).unwrap()));
        let plus = Timestamp::parse("2019-02-07T02:12:19+02:00").unwrap();
        assert_eq!(
            plus.to_utc(),
            Timestamp::parse("2019-02-07T00:12:19").unwrap().to_utc()
        );
        assert_eq!(
            Timestamp::parse("2049-10-31").unwrap().naive().to_string(),
            "2049-10-31 00:00:00"
        );
    }

    #[test]
    fn fast_path_agrees_with_chrono() {
        for text in [
            "2022-08-20T01:10:52.307000",
            "2022-08-20T01:10:52",
            "2022-08-20T01:10:52.5",
            "2024-02-29T23:59:59.123456789",
        ] {
            let chrono = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
            assert_eq!(parse_api_naive(text.as_bytes()), Some(chrono), "{text}");
        }
        for text in [
            "2022-02-30T01:10:52",
            "2022-08-20T24:00:00",
            "2022-08-20T01:10:52.",
            "2022-08-20T01:10:52.1234567890",
            "2022-08-20T01:10:52Z",
            "2022-08-20 01:10:52",
            "+022-08-20T01:10:52",
        ] {
            assert_eq!(parse_api_naive(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            "",
            "yesterday",
            "2022-13-01T00:00:00",
            "2022-08-20T25:00:00",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
            assert!(serde_json::from_str::<Timestamp>(&format!("\"{bad}\"")).is_err());
        }
    }
}
