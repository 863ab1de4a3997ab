//! PostgreSQL values (binary wire format) to JSON. See the module docs of
//! `db` for the chosen representations.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime};
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
        d => (epoch().date() + Duration::days(i64::from(d))).format("%Y-%m-%d").to_string(),
    })
}

fn time_of_day(micros: i64) -> String {
    let t = NaiveTime::MIN + Duration::microseconds(micros);
    // 24:00:00 is a valid PostgreSQL time that chrono wraps to 00:00:00.
    if micros >= 86_400_000_000 { "24:00:00".into() } else { t.format("%H:%M:%S%.f").to_string() }
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
            if utc {
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
