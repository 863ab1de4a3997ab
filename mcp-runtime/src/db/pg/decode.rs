//! PostgreSQL values (binary wire format) to JSON. See the module docs of
//! `db` for the chosen representations.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use postgres_types::{FromSql, Kind, Type};
use serde_json::{Number, Value};

use super::interval::{numeric_text, pg_interval};

type DecodeResult = Result<Value, Box<dyn std::error::Error + Sync + Send>>;

/// Decodes one non-NULL value of type `ty`.
pub(crate) fn decode(ty: &Type, raw: &[u8]) -> DecodeResult {
    Ok(match *ty {
        Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
        Type::INT2 => i16::from_sql(ty, raw)?.into(),
        Type::INT4 => i32::from_sql(ty, raw)?.into(),
        Type::INT8 => i64::from_sql(ty, raw)?.into(),
        Type::OID => u32::from_sql(ty, raw)?.into(),
        Type::FLOAT4 => float(f32::from_sql(ty, raw)?.to_string()),
        Type::FLOAT8 => float(f64::from_sql(ty, raw)?.to_string()),
        Type::NUMERIC => float(numeric_text(raw)?),
        Type::CHAR => Value::String(char::from(i8::from_sql(ty, raw)? as u8).to_string()),
        Type::JSON | Type::JSONB => serde_json::Value::from_sql(ty, raw)?,
        Type::BYTEA => Value::String(B64.encode(raw)),
        Type::UUID => Value::String(uuid::Uuid::from_sql(ty, raw)?.to_string()),
        Type::DATE => date(i32::from_sql(ty, raw)?),
        Type::TIME => Value::String(time_of_day(i64::from_sql(ty, raw)?)),
        Type::TIMETZ => timetz(raw)?,
        Type::TIMESTAMP => timestamp(i64::from_sql(ty, raw)?, false),
        Type::TIMESTAMPTZ => timestamp(i64::from_sql(ty, raw)?, true),
        Type::INTERVAL => Value::String(pg_interval(raw)?),
        Type::INET | Type::CIDR => Value::String(inet(raw)?),
        Type::BIT | Type::VARBIT => Value::String(bits(raw)?),
        _ => match ty.kind() {
            Kind::Array(elem) => super::array::decode_array(elem, raw)?,
            Kind::Domain(inner) => decode(inner, raw)?,
            // Enums and text-like types (text, varchar, bpchar, name, citext,
            // xml...) send their text; anything else unknown is base64.
            _ => match std::str::from_utf8(raw) {
                Ok(s) if !s.contains('\0') => Value::String(s.to_string()),
                _ => Value::String(B64.encode(raw)),
            },
        },
    })
}

/// A decimal text as a JSON number, or as a string for NaN and infinities.
fn float(text: String) -> Value {
    match text.parse::<Number>() {
        Ok(n) => Value::Number(n),
        Err(_) => Value::String(match text.as_str() {
            "inf" => "Infinity".into(),
            "-inf" => "-Infinity".into(),
            _ => text,
        }),
    }
}

fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default().and_hms_opt(0, 0, 0).unwrap_or_default()
}

fn date(days: i32) -> Value {
    Value::String(match days {
        i32::MAX => "infinity".into(),
        i32::MIN => "-infinity".into(),
        d => {
            let date = epoch().date() + Duration::days(i64::from(d));
            let mut out = String::with_capacity(10);
            if push_date(&mut out, date) { out } else { date.format("%Y-%m-%d").to_string() }
        }
    })
}

fn time_of_day(micros: i64) -> String {
    // 24:00:00 is a valid PostgreSQL time that chrono wraps to 00:00:00.
    if micros >= 86_400_000_000 {
        return "24:00:00".into();
    }
    let mut out = String::with_capacity(15);
    push_time(&mut out, NaiveTime::MIN + Duration::microseconds(micros));
    out
}

// Dates and times are written digit by digit: chrono's formatting machinery
// costs several times more, and a result can hold thousands of them. The
// text is what chrono prints (`%Y-%m-%d`, `%H:%M:%S%.f`, RFC 3339 with
// `AutoSi`), which a test checks; years outside 0–9999, which chrono prints
// with a sign, are left to chrono.

/// `n` in exactly `width` digits, zero-padded.
fn push_digits(out: &mut String, n: u32, width: u32) {
    let mut div = 10u32.pow(width.saturating_sub(1));
    while div > 0 {
        out.push(char::from(b'0' + (n / div % 10) as u8));
        div /= 10;
    }
}

/// `YYYY-MM-DD`; `false` (nothing written) for a year outside 0–9999.
fn push_date(out: &mut String, d: NaiveDate) -> bool {
    let Ok(year @ 0..=9999) = u32::try_from(d.year()) else { return false };
    push_digits(out, year, 4);
    out.push('-');
    push_digits(out, d.month(), 2);
    out.push('-');
    push_digits(out, d.day(), 2);
    true
}

/// `HH:MM:SS`, then the fraction in 3, 6 or 9 digits as needed (none when zero).
fn push_time(out: &mut String, t: NaiveTime) {
    push_digits(out, t.hour(), 2);
    out.push(':');
    push_digits(out, t.minute(), 2);
    out.push(':');
    push_digits(out, t.second(), 2);
    match t.nanosecond() {
        0 => {}
        n if n % 1_000_000 == 0 => {
            out.push('.');
            push_digits(out, n / 1_000_000, 3);
        }
        n if n % 1_000 == 0 => {
            out.push('.');
            push_digits(out, n / 1_000, 6);
        }
        n => {
            out.push('.');
            push_digits(out, n, 9);
        }
    }
}

fn timetz(raw: &[u8]) -> DecodeResult {
    let (t, z) = raw.split_at_checked(8).ok_or("short timetz")?;
    let micros = i64::from_be_bytes(t.try_into()?);
    // The wire offset is seconds *west* of UTC.
    let east = -i32::from_be_bytes(z.try_into()?);
    let sign = if east < 0 { '-' } else { '+' };
    let e = east.unsigned_abs();
    Ok(Value::String(format!("{}{sign}{:02}:{:02}", time_of_day(micros), e / 3600, e / 60 % 60)))
}

fn timestamp(micros: i64, utc: bool) -> Value {
    Value::String(match micros {
        i64::MAX => "infinity".into(),
        i64::MIN => "-infinity".into(),
        m => {
            let ts = epoch() + Duration::microseconds(m);
            let mut out = String::with_capacity(27);
            if push_date(&mut out, ts.date()) {
                out.push('T');
                push_time(&mut out, ts.time());
                if utc {
                    out.push('Z');
                }
                out
            } else if utc {
                DateTime::<chrono::Utc>::from_naive_utc_and_offset(ts, chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            } else {
                ts.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
            }
        }
    })
}

fn inet(raw: &[u8]) -> Result<String, Box<dyn std::error::Error + Sync + Send>> {
    let [family, bits, is_cidr, len, addr @ ..] = raw else { return Err("short inet".into()) };
    let ip: std::net::IpAddr = match (family, len, addr.len()) {
        (2, 4, 4) => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(addr)?).into(),
        (3, 16, 16) => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(addr)?).into(),
        _ => return Err("unknown inet family".into()),
    };
    let full = if ip.is_ipv4() { 32 } else { 128 };
    Ok(if *bits == full && *is_cidr == 0 { ip.to_string() } else { format!("{ip}/{bits}") })
}

fn bits(raw: &[u8]) -> Result<String, Box<dyn std::error::Error + Sync + Send>> {
    let (len, data) = raw.split_at_checked(4).ok_or("short bit string")?;
    let n = i32::from_be_bytes(len.try_into()?).max(0) as usize;
    Ok((0..n).map(|i| if data.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0) { '1' } else { '0' }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What chrono prints for the same values: the text clients saw before.
    fn chrono_timestamp(micros: i64, utc: bool) -> String {
        let ts = epoch() + Duration::microseconds(micros);
        if utc {
            DateTime::<chrono::Utc>::from_naive_utc_and_offset(ts, chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        } else {
            ts.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
        }
    }

    #[test]
    fn dates_and_times_print_as_chrono_prints_them() {
        // Fixed-seed LCG over the range PostgreSQL stores (4713 BC to 294276 AD), with whole
        // seconds, milliseconds and microseconds all common.
        let mut next = crate::db::test_sequence(0x2026_1207);
        let span = 210_000_000_000_000_000_i64; // about ±6,600 years around 2000 in microseconds
        let mut cases: Vec<i64> =
            vec![0, -1, 1, 999, 1_000, 86_399_999_999, -62_167_219_200_000_000, 315_576_000_000_000_000];
        for _ in 0..50_000 {
            let mut m = next(span as u64 * 2) as i64 - span;
            m = match next(3) {
                0 => m - m.rem_euclid(1_000_000),
                1 => m - m.rem_euclid(1_000),
                _ => m,
            };
            cases.push(m);
        }
        for m in cases {
            for utc in [true, false] {
                assert_eq!(timestamp(m, utc), Value::String(chrono_timestamp(m, utc)), "{m} utc={utc}");
            }
            let days = i32::try_from(m.div_euclid(86_400_000_000)).unwrap();
            let chrono_date = (epoch().date() + Duration::days(i64::from(days))).format("%Y-%m-%d").to_string();
            assert_eq!(date(days), Value::String(chrono_date), "{days}");
            let of_day = m.rem_euclid(86_400_000_000);
            let chrono_time = (NaiveTime::MIN + Duration::microseconds(of_day)).format("%H:%M:%S%.f").to_string();
            assert_eq!(time_of_day(of_day), chrono_time, "{of_day}");
        }
        assert_eq!(timestamp(0, true), Value::String("2000-01-01T00:00:00Z".into()));
        assert_eq!(timestamp(1_500, false), Value::String("2000-01-01T00:00:00.001500".into()));
        assert_eq!(time_of_day(86_400_000_000), "24:00:00");
    }
}
