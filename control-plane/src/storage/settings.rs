//! The server settings and MCP tokens: one row, read with defaults when it
//! was never saved, written only through a [`Write`]. The settings' secrets
//! (the OAuth introspection client secret) sit in their own column,
//! encrypted with the store key: history, exports and the API see the
//! settings only.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared_model::Keyring;

use super::entities::server_config;
use super::history::snap;
use super::write::{Action, Kind, State, Write};
use super::{StoreError, crud};
use crate::model::patch::merge_patch;
use crate::settings::tokens::MAX_TOKENS;
use crate::settings::{ServerSettings, StoredToken};

/// The settings' secrets, each encrypted with the store key (`Keyring::encrypt`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SettingsSecrets {
    /// The OAuth introspection client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_client_secret: Option<String>,
}

/// Everything in the settings row.
#[derive(Debug, Clone, Default)]
pub struct Stored {
    /// The settings.
    pub settings: ServerSettings,
    /// The MCP bearer tokens.
    pub tokens: Vec<StoredToken>,
    /// The settings' secrets, encrypted.
    pub secrets: SettingsSecrets,
}

/// The stored settings, tokens and secrets (defaults when never saved).
pub async fn load_all(db: &impl ConnectionTrait) -> Result<Stored, StoreError> {
    let Some(row) = server_config::Entity::find_by_id(1).one(db).await? else {
        return Ok(Stored::default());
    };
    Ok(Stored {
        settings: crud::column(&row.settings)?,
        tokens: crud::column(&row.tokens)?,
        secrets: row.secrets.as_ref().map(crud::column).transpose()?.unwrap_or_default(),
    })
}

/// The stored settings and tokens (defaults when never saved).
pub async fn load(db: &impl ConnectionTrait) -> Result<(ServerSettings, Vec<StoredToken>), StoreError> {
    let s = load_all(db).await?;
    Ok((s.settings, s.tokens))
}

async fn save(w: &Write<'_>, s: &ServerSettings, tokens: &[StoredToken]) -> Result<(), StoreError> {
    save_row(w, s, tokens, None).await
}

/// Saves the row; `secrets` `None` leaves the stored ones as they are.
async fn save_row(
    w: &Write<'_>,
    s: &ServerSettings,
    tokens: &[StoredToken],
    secrets: Option<&SettingsSecrets>,
) -> Result<(), StoreError> {
    let row = server_config::ActiveModel {
        id: Set(1),
        settings: Set(crud::to_column(s)),
        tokens: Set(crud::to_column(&tokens)),
        secrets: secrets.map_or(sea_orm::ActiveValue::NotSet, |x| Set(Some(crud::to_column(x)))),
        updated_at: Set(Utc::now()),
    };
    if server_config::Entity::find_by_id(1).one(w.tx()).await?.is_some() {
        server_config::Entity::update(row).exec(w.tx()).await?;
    } else {
        server_config::Entity::insert(row).exec(w.tx()).await?;
    }
    Ok(())
}

/// Merges `patch` over the settings, validates and saves them. An
/// introspection `client_secret` sent is encrypted with `keyring` into the
/// secrets (the settings keep only `client_secret_set`); none sent keeps the
/// stored one, unless the endpoint or client id changed (then it is a problem:
/// the secret is entered again for the new endpoint); removing the
/// introspection endpoint deletes it.
pub async fn update(
    w: &mut Write<'_>,
    keyring: &Keyring,
    patch: Map<String, Value>,
) -> Result<ServerSettings, StoreError> {
    let Stored { settings: old, tokens, mut secrets } = load_all(w.tx()).await?;
    let (mut new, _) = merge_patch(&old, patch)?;
    let mut problems = new.validate().err().unwrap_or_default();
    if let Some(i) = &new.oauth.introspection {
        let stored = secrets.introspection_client_secret.is_some();
        i.check_secret_follows(old.oauth.introspection.as_ref(), stored, &mut problems);
    }
    problems.into_result()?;
    match &mut new.oauth.introspection {
        None => secrets.introspection_client_secret = None,
        Some(i) => {
            if let Some(plain) = i.client_secret.take().filter(|s| !s.is_empty()) {
                secrets.introspection_client_secret = Some(keyring.encrypt(&plain));
            }
            i.client_secret_set = secrets.introspection_client_secret.is_some();
        }
    }
    save_row(w, &new, &tokens, Some(&secrets)).await?;
    let state = State { version: None, before: snap(&old), after: snap(&new) };
    w.record(Kind::ServerSettings, "server", new.server_name.clone(), Action::Updated, state);
    Ok(new)
}

/// Adds a minted token (at most [`MAX_TOKENS`]).
pub async fn add_token(w: &mut Write<'_>, token: StoredToken) -> Result<(), StoreError> {
    let (settings, mut tokens) = load(w.tx()).await?;
    if tokens.len() >= MAX_TOKENS {
        return Err(StoreError::Conflict(format!("at most {MAX_TOKENS} tokens; revoke one first")));
    }
    let (id, name) = (token.id.clone(), token.name.clone());
    let state = State { version: None, before: None, after: snap(&token.clone().public()) };
    tokens.push(token);
    save(w, &settings, &tokens).await?;
    w.record(Kind::Token, id, name, Action::Created, state);
    Ok(())
}

/// Removes token `id`.
pub async fn revoke_token(w: &mut Write<'_>, id: &str) -> Result<(), StoreError> {
    let (settings, mut tokens) = load(w.tx()).await?;
    let Some(pos) = tokens.iter().position(|t| t.id == id) else {
        return Err(StoreError::NotFound(format!("no token with id {id}")));
    };
    let gone = tokens.remove(pos);
    save(w, &settings, &tokens).await?;
    let state = State { version: None, before: snap(&gone.clone().public()), after: None };
    w.record(Kind::Token, gone.id, gone.name, Action::Deleted, state);
    Ok(())
}
