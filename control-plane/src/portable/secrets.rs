//! Secrets given as `${VAR}`: a connection's password, a secret extra
//! parameter or the server's OAuth introspection client secret, whose whole
//! value names an environment variable. `quarry apply`
//! resolves them from its own environment; the HTTP import refuses them (the
//! server's environment is not the caller's to read). Resolved values are only
//! ever sealed into the store, never written back into a document.

use serde_json::Value;
use shared_model::{Problems, is_secret_key};

use super::document::PortableDocument;
use super::parse::Origins;

/// How secrets written as `${VAR}` are resolved.
pub type EnvLookup<'a> = &'a (dyn Fn(&str) -> Option<String> + Send + Sync);

/// A value that is exactly `${NAME}`: the variable's name.
fn env_reference(v: &str) -> Option<&str> {
    let name = v.strip_prefix("${")?.strip_suffix('}')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_ascii_alphabetic() || first == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(name)
}

/// Replaces each `${VAR}` secret of `doc` by its value; a missing variable, or any reference when
/// `env` is `None`, is a problem.
pub(super) fn resolve_secrets(
    doc: &mut PortableDocument,
    origins: &Origins,
    env: Option<EnvLookup<'_>>,
    p: &mut Problems,
) {
    let mut resolve = |value: &mut String, path: String| {
        let Some(name) = env_reference(value) else { return };
        match env {
            None => p.push(
                path,
                format!("${{{name}}} is resolved only by `quarry apply`; send the secret itself or leave it out"),
            ),
            Some(lookup) => match lookup(name) {
                Some(v) => *value = v,
                None => p.push(path, format!("the environment variable {name} is not set")),
            },
        }
    };
    if let Some(secret) =
        doc.server.as_mut().and_then(|s| s.oauth.introspection.as_mut()).and_then(|i| i.client_secret.as_mut())
    {
        resolve(secret, "server.oauth.introspection.client_secret".into());
    }
    for (i, c) in doc.connections.iter_mut().enumerate() {
        if let Some(pw) = &mut c.password {
            resolve(pw, format!("{}.password", origins.path("connections", i)));
        }
        for (k, v) in c.extra_params.iter_mut() {
            if let (true, Value::String(s)) = (is_secret_key(k), v) {
                resolve(s, format!("{}.extra_params.{k}", origins.path("connections", i)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::env_reference;

    #[test]
    fn only_a_whole_value_naming_a_variable_is_a_reference() {
        assert_eq!(env_reference("${DB_PASSWORD}"), Some("DB_PASSWORD"));
        assert_eq!(env_reference("${_x1}"), Some("_x1"));
        for literal in ["pa${X}ss", "${1X}", "${}", "$X", "${A-B}", "plain"] {
            assert_eq!(env_reference(literal), None, "{literal}");
        }
    }
}
