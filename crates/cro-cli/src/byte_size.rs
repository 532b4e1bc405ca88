//! `--max-body-size` values: a byte count with an optional unit (`64MiB`, `1 GiB`, `500k`).

/// Parse a size: digits, then optionally a unit. `KiB`/`MiB`/`GiB` (and `K`/`M`/`G`) are
/// powers of 1024; `kB`/`MB`/`GB` powers of 1000; no unit or `B` means bytes. Case and a space
/// before the unit do not matter. Zero is refused (nothing could be read).
pub fn parse(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size (examples: 64MiB, 1GiB, 500000)"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (use B, KiB, MiB, GiB, kB, MB or GB)"
            ));
        }
    };
    let bytes = number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes == 0 {
        return Err("the size must be greater than zero".to_owned());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn units() {
        assert_eq!(parse("64MiB"), Ok(64 << 20));
        assert_eq!(parse("1 GiB"), Ok(1 << 30));
        assert_eq!(parse("500k"), Ok(500 << 10));
        assert_eq!(parse("2MB"), Ok(2_000_000));
        assert_eq!(parse("1048576"), Ok(1 << 20));
        assert_eq!(parse("12b"), Ok(12));
        assert!(parse("0").is_err());
        assert!(parse("MiB").is_err());
        assert!(parse("5 parsecs").is_err());
        assert!(parse("99999999999GiB").is_err());
    }
}
