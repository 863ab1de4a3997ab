//! Page cursors for pageable tools.
//!
//! A cursor is `base64url(payload) "." base64url(HMAC-SHA256(payload))`,
//! where the payload is the JSON `{"r": release, "t": tool, "a": args digest,
//! "o": offset}`. The HMAC key is derived from `QUARRY_RUNTIME_KEY` (label
//! `quarry:page-cursor:v1`, so it is never the sealing or token key); without
//! a runtime key the process draws a random one, and cursors then last as long
//! as the process. The client cannot read or forge the position, and a cursor
//! is refused — with the reason — on another tool, release or argument set.
//!
//! Paging is by offset: the next page runs the statement again and skips the
//! rows already returned. Rows inserted or deleted between two calls shift the
//! pages; a statement with a stable `ORDER BY` gives stable pages.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// What a cursor pins down.
#[derive(Serialize, Deserialize)]
struct Payload {
    /// Release number.
    r: u64,
    /// Tool name.
    t: String,
    /// First 16 bytes of the SHA-256 of the canonical arguments, hex.
    a: String,
    /// Rows already returned.
    o: usize,
}

/// Signs and checks cursors under a key derived from the runtime key.
pub(super) struct Signer(HmacSha256);

impl Signer {
    /// The signer for `runtime_key` (`QUARRY_RUNTIME_KEY`), or for this
    /// process's random key when there is none (or it does not decode).
    pub(super) fn new(runtime_key: Option<&str>) -> Signer {
        static PROCESS_KEY: OnceLock<[u8; 32]> = OnceLock::new();
        let first = runtime_key
            .and_then(|list| list.split(',').map(str::trim).find(|k| !k.is_empty()))
            .and_then(|k| STANDARD.decode(k).ok());
        let secret: Vec<u8> = first.unwrap_or_else(|| {
            PROCESS_KEY
                .get_or_init(|| {
                    let mut k = [0u8; 32];
                    k[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
                    k[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
                    k
                })
                .to_vec()
        });
        let mut derive = HmacSha256::new_from_slice(&secret).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        derive.update(b"quarry:page-cursor:v1");
        let sub = derive.finalize().into_bytes();
        Signer(HmacSha256::new_from_slice(&sub).unwrap_or_else(|_| unreachable!("HMAC takes any key")))
    }

    fn mac(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac = self.0.clone();
        mac.update(payload);
        mac
    }

    /// A cursor for the rows after the first `offset` of this call.
    pub(super) fn issue(&self, release: u64, tool: &str, args: &Map<String, Value>, offset: usize) -> String {
        let payload = Payload { r: release, t: tool.to_string(), a: digest(args), o: offset };
        let json = serde_json::to_vec(&payload).unwrap_or_default();
        let tag = self.mac(&json).finalize().into_bytes();
        format!("{}.{}", B64.encode(&json), B64.encode(tag))
    }

    /// The offset `cursor` points at, if it was issued for this release,
    /// tool and arguments; else why not, phrased for the model.
    pub(super) fn open(
        &self,
        cursor: &str,
        release: u64,
        tool: &str,
        args: &Map<String, Value>,
    ) -> Result<usize, String> {
        let forged = || {
            "the cursor is not one this server issued (it was changed or signed with another key); \
             call the tool without `cursor` to start from the first page"
                .to_string()
        };
        let (body, tag) = cursor.split_once('.').ok_or_else(forged)?;
        let (json, tag) = (B64.decode(body).map_err(|_| forged())?, B64.decode(tag).map_err(|_| forged())?);
        // Constant-time comparison of the tag.
        self.mac(&json).verify_slice(&tag).map_err(|_| forged())?;
        let p: Payload = serde_json::from_slice(&json).map_err(|_| forged())?;
        if p.t != tool {
            return Err(format!("the cursor belongs to the tool `{}`, not `{tool}`", p.t));
        }
        if p.r != release {
            return Err(format!(
                "the cursor belongs to release {}, and the server now serves release {release}; \
                 call the tool without `cursor` to start from the first page",
                p.r
            ));
        }
        if p.a != digest(args) {
            return Err("the cursor was issued for other arguments: pass the same arguments as the call \
                        that returned it, plus `cursor`"
                .into());
        }
        Ok(p.o)
    }
}

fn digest(args: &Map<String, Value>) -> String {
    let canonical = shared_model::manifest::canonical_json(&Value::Object(args.clone()));
    Sha256::digest(canonical.as_bytes())[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_cursor_opens_only_for_its_tool_release_and_arguments() {
        let s = Signer::new(None);
        let a = args(json!({"status": "paid", "min": 1}));
        let c = s.issue(3, "orders", &a, 50);
        assert_eq!(s.open(&c, 3, "orders", &args(json!({"min": 1, "status": "paid"}))), Ok(50));
        assert!(s.open(&c, 3, "customers", &a).unwrap_err().contains("`orders`"));
        assert!(s.open(&c, 4, "orders", &a).unwrap_err().contains("release 3"));
        assert!(
            s.open(&c, 3, "orders", &args(json!({"status": "open", "min": 1})))
                .unwrap_err()
                .contains("other arguments")
        );
        // A changed position or a cursor from another key is refused.
        let (body, tag) = c.split_once('.').unwrap();
        let moved = String::from_utf8(B64.decode(body).unwrap()).unwrap().replace("\"o\":50", "\"o\":0");
        let forged = format!("{}.{tag}", B64.encode(moved));
        assert!(s.open(&forged, 3, "orders", &a).unwrap_err().contains("not one this server issued"));
        let other = Signer::new(Some(&STANDARD.encode([7u8; 32])));
        assert!(other.open(&c, 3, "orders", &a).unwrap_err().contains("not one this server issued"));
        assert!(s.open("garbage", 3, "orders", &a).is_err());
    }
}
