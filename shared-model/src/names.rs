//! Entity names become MCP tool, resource and prompt names, so they follow the
//! strictest rule common MCP clients apply: 1–64 characters of ASCII letters,
//! digits, `_` and `-`, starting with a letter or `_`.

/// Longest accepted entity name.
pub const MAX_NAME_LEN: usize = 64;

/// Checks that `name` is an MCP-safe identifier; the error says what to change.
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!("must be at most {MAX_NAME_LEN} characters (got {})", name.len()));
    }
    let first = name.as_bytes()[0];
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return Err("must start with a letter or '_'".into());
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-')) {
        return Err(format!("may contain only letters, digits, '_' and '-' (found {bad:?})"));
    }
    Ok(())
}

/// The form two names are compared in: clients and code generators treat
/// `Get-Users` and `get_users` alike, so they must not both exist.
pub fn normalized_name(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_mcp_safe_names() {
        for ok in ["a", "_x", "get_users", "orders-by-customer", "A1"] {
            assert_eq!(validate_name(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_unsafe_names_with_a_reason() {
        assert!(validate_name("").unwrap_err().contains("empty"));
        assert!(validate_name("1abc").unwrap_err().contains("start"));
        assert!(validate_name("a b").unwrap_err().contains("' '"));
        assert!(validate_name("a.b").unwrap_err().contains("'.'"));
        assert!(validate_name(&"a".repeat(65)).unwrap_err().contains("64"));
    }

    #[test]
    fn names_differing_in_case_or_dash_normalise_alike() {
        assert_eq!(normalized_name("Get-Users"), normalized_name("get_users"));
    }
}
