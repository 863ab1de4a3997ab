//! PostgreSQL binary arrays (any element type, any number of dimensions) to
//! nested JSON arrays.

use postgres_types::Type;
use serde_json::Value;

type Res<T> = Result<T, Box<dyn std::error::Error + Sync + Send>>;

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn i32(&mut self) -> Res<i32> {
        let (head, rest) = self.0.split_at_checked(4).ok_or("truncated array")?;
        self.0 = rest;
        Ok(i32::from_be_bytes(head.try_into()?))
    }
    fn bytes(&mut self, n: usize) -> Res<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n).ok_or("truncated array element")?;
        self.0 = rest;
        Ok(head)
    }
}

/// Decodes an array whose elements have type `elem`.
pub(crate) fn decode_array(elem: &Type, raw: &[u8]) -> Res<Value> {
    let mut r = Reader(raw);
    let ndim = r.i32()?;
    let _has_nulls = r.i32()?;
    let _elem_oid = r.i32()?;
    let mut dims = Vec::with_capacity(ndim.max(0) as usize);
    for _ in 0..ndim {
        dims.push(r.i32()?.max(0) as usize);
        let _lower_bound = r.i32()?;
    }
    if dims.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    build(elem, &dims, &mut r)
}

fn build(elem: &Type, dims: &[usize], r: &mut Reader<'_>) -> Res<Value> {
    let (n, inner) = dims.split_first().ok_or("no dimension")?;
    let mut out = Vec::with_capacity(*n);
    for _ in 0..*n {
        out.push(if inner.is_empty() {
            match r.i32()? {
                -1 => Value::Null,
                len => super::decode::decode(elem, r.bytes(len.max(0) as usize)?)?,
            }
        } else {
            build(elem, inner, r)?
        });
    }
    Ok(Value::Array(out))
}
