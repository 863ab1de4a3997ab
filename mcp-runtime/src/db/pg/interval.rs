//! Exact text for PostgreSQL `numeric` and `interval` binary values.

use std::fmt::Write;

type Res = Result<String, Box<dyn std::error::Error + Sync + Send>>;

fn be_u16(raw: &[u8], at: usize) -> Result<u16, Box<dyn std::error::Error + Sync + Send>> {
    let b = raw.get(at..at + 2).ok_or("short numeric")?;
    Ok(u16::from_be_bytes([b[0], b[1]]))
}

/// The exact decimal text of a binary `numeric`: base-10000 digit groups,
/// a weight (position of the first group) and a display scale. Written digit
/// by digit (no formatting machinery: results can hold thousands of these).
pub(crate) fn numeric_text(raw: &[u8]) -> Res {
    let ndigits = usize::from(be_u16(raw, 0)?);
    let weight = i32::from(be_u16(raw, 2)? as i16);
    let sign = be_u16(raw, 4)?;
    let dscale = usize::from(be_u16(raw, 6)?);
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        _ => {}
    }
    let digits = raw.get(8..8 + 2 * ndigits).ok_or("short numeric")?;
    let group = |i: i32| match usize::try_from(i) {
        Ok(i) if i < ndigits => u16::from_be_bytes([digits[2 * i], digits[2 * i + 1]]),
        _ => 0,
    };
    let int_digits = usize::try_from(weight + 1).unwrap_or(0) * 4;
    let mut out = String::with_capacity(int_digits + dscale + 3);
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    }
    for i in 0..=weight {
        let g = group(i);
        // The first group without its leading zeros, the others in four digits.
        let width = if i > 0 { 4 } else { [10, 100, 1000].iter().filter(|&&t| g >= t).count() + 1 };
        push_group(&mut out, g, width);
    }
    if dscale > 0 {
        out.push('.');
        let (mut left, mut i) = (dscale, weight + 1);
        while left > 0 {
            let mut g = group(i);
            let take = left.min(4);
            // The group's first `take` of its four digits.
            for _ in take..4 {
                g /= 10;
            }
            push_group(&mut out, g, take);
            left -= take;
            i += 1;
        }
    }
    Ok(out)
}

/// The last `width` (1–4) decimal digits of `g`, zero-padded.
fn push_group(out: &mut String, g: u16, width: usize) {
    for div in [1000u16, 100, 10, 1][4 - width..].iter() {
        out.push(char::from(b'0' + (g / div % 10) as u8));
    }
}

/// An `interval` as an ISO 8601 duration, e.g. `P1Y2M3DT4H5M6.5S`; `PT0S` when zero.
/// Negative parts keep their sign, as PostgreSQL's `iso_8601` style prints them.
pub(crate) fn pg_interval(raw: &[u8]) -> Res {
    let b: [u8; 16] = raw.try_into().map_err(|_| "interval must be 16 bytes")?;
    let micros = i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    let days = i32::from_be_bytes([b[8], b[9], b[10], b[11]]);
    let months = i32::from_be_bytes([b[12], b[13], b[14], b[15]]);
    let mut out = String::from("P");
    let (years, months) = (months / 12, months % 12);
    for (n, unit) in [(years, 'Y'), (months, 'M'), (days, 'D')] {
        if n != 0 {
            let _ = write!(out, "{n}{unit}");
        }
    }
    if micros != 0 {
        out.push('T');
        let (h, rest) = (micros / 3_600_000_000, micros % 3_600_000_000);
        let (m, us) = (rest / 60_000_000, rest % 60_000_000);
        if h != 0 {
            let _ = write!(out, "{h}H");
        }
        if m != 0 {
            let _ = write!(out, "{m}M");
        }
        if us != 0 {
            let sign = if us < 0 { "-" } else { "" };
            let (s, frac) = (us.unsigned_abs() / 1_000_000, us.unsigned_abs() % 1_000_000);
            let frac = if frac == 0 { String::new() } else { format!(".{frac:06}").trim_end_matches('0').to_string() };
            let _ = write!(out, "{sign}{s}{frac}S");
        }
    }
    if out == "P" {
        out.push_str("T0S");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [digits.len() as u16, weight as u16, sign, dscale].into_iter().chain(digits.iter().copied()) {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v
    }

    #[test]
    fn numerics_print_every_digit_and_the_scale() {
        assert_eq!(numeric_text(&numeric(1, 0, 4, &[12, 3456, 7800])).unwrap(), "123456.7800");
        assert_eq!(numeric_text(&numeric(-1, 0x4000, 6, &[12])).unwrap(), "-0.001200");
        assert_eq!(numeric_text(&numeric(-2, 0, 8, &[12])).unwrap(), "0.00000012");
        assert_eq!(numeric_text(&numeric(2, 0, 0, &[1])).unwrap(), "100000000");
        assert_eq!(numeric_text(&numeric(0, 0xC000, 0, &[])).unwrap(), "NaN");
        assert_eq!(numeric_text(&numeric(0, 0, 2, &[8, 7500])).unwrap(), "8.75");
        assert_eq!(numeric_text(&numeric(0, 0, 0, &[])).unwrap(), "0");
        assert_eq!(numeric_text(&numeric(0, 0x4000, 5, &[9999, 1, 2345])).unwrap(), "-9999.00012");
        assert_eq!(numeric_text(&numeric(1, 0, 0, &[7, 5])).unwrap(), "70005");
        assert!(numeric_text(&numeric(1, 0, 0, &[7, 5])[..10]).is_err(), "a digit group cut short");
    }

    #[test]
    fn intervals_are_iso_8601_durations() {
        let iv = |us: i64, d: i32, m: i32| {
            let mut v = us.to_be_bytes().to_vec();
            v.extend(d.to_be_bytes());
            v.extend(m.to_be_bytes());
            pg_interval(&v).unwrap()
        };
        assert_eq!(iv(4 * 3_600_000_000 + 5 * 60_000_000 + 6_500_000, 3, 14), "P1Y2M3DT4H5M6.5S");
        assert_eq!(iv(0, 0, 0), "PT0S");
        assert_eq!(iv(-1_000_000, -1, 0), "P-1DT-1S");
    }
}
