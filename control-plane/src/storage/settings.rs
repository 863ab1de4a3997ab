//! The server settings and MCP tokens: one row, read with defaults when it
//! was never saved, written only through a [`Write`].

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::{Map, Value};

use super::entities::server_config;
use super::history::snap;
use super::write::{Action, Kind, State, Write};
use super::{StoreError, crud};
use crate::model::patch::merge_patch;
use crate::settings::tokens::MAX_TOKENS;
use crate::settings::{ServerSettings, StoredToken};

/// The stored settings and tokens (defaults when never saved).
pub async fn load(db: &impl ConnectionTrait) -> Result<(ServerSettings, Vec<StoredToken>), StoreError> {
    let Some(row) = server_config::Entity::find_by_id(1).one(db).await? else {
        return Ok((ServerSettings::default(), Vec::new()));
    };
    Ok((crud::column(&row.settings)?, crud::column(&row.tokens)?))
}

async fn save(w: &Write<'_>, s: &ServerSettings, tokens: &[StoredToken]) -> Result<(), StoreError> {
    let row = server_config::ActiveModel {
        id: Set(1),
        settings: Set(crud::to_column(s)),
        tokens: Set(crud::to_column(&tokens)),
        updated_at: Set(Utc::now()),
    };
    if server_config::Entity::find_by_id(1).one(w.tx()).await?.is_some() {
        server_config::Entity::update(row).exec(w.tx()).await?;
    } else {
        server_config::Entity::insert(row).exec(w.tx()).await?;
    }
    Ok(())
}

/// Merges `patch` over the settings, validates and saves them.
pub async fn update(w: &mut Write<'_>, patch: Map<String, Value>) -> Result<ServerSettings, StoreError> {
    let (old, tokens) = load(w.tx()).await?;
    let (new, _) = merge_patch(&old, patch)?;
    new.validate()?;
    save(w, &new, &tokens).await?;
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
