//! OAuth clients in the store: created and revoked through a [`Write`] (so
//! history and audit record them), looked up by `client_id` on every token
//! request and every use of an access token, and stamped with their latest
//! use (not an edit: no `Write`).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::entities::oauth_client;
use super::history::snap;
use super::write::{Action, Kind, State, Write};
use super::{StoreError, crud};
use crate::model::agent::oauth_client::{MAX_CLIENTS, MintedClient, OAuthClient};
use crate::model::agent::scope::Scope;

/// A client with the keyed hash of its secret, for checking a presented secret.
#[derive(Debug, Clone)]
pub struct StoredClient {
    /// The public record.
    pub client: OAuthClient,
    /// HMAC-SHA256 of the secret, lowercase hex.
    pub secret_hash: String,
}

fn public(m: oauth_client::Model) -> Result<StoredClient, StoreError> {
    let names: Vec<String> = crud::column(&m.scopes)?;
    let client = OAuthClient {
        id: m.id,
        name: m.name,
        client_id: m.client_id,
        // A scope this version no longer knows is dropped, never widened.
        scopes: names.iter().filter_map(|n| Scope::parse(n)).collect(),
        created_at: m.created_at,
        last_used_at: m.last_used_at,
        last_used_from: m.last_used_from,
    };
    Ok(StoredClient { client, secret_hash: m.secret_hash })
}

/// Stores a minted client (at most [`MAX_CLIENTS`]).
pub async fn create(w: &mut Write<'_>, minted: &MintedClient) -> Result<(), StoreError> {
    if oauth_client::Entity::find().count(w.tx()).await? >= MAX_CLIENTS {
        return Err(StoreError::Conflict(format!("at most {MAX_CLIENTS} OAuth clients; revoke one first")));
    }
    let c = &minted.record;
    let scopes: Vec<&str> = c.scopes.iter().map(|s| s.as_str()).collect();
    let row = oauth_client::ActiveModel {
        id: Set(c.id.clone()),
        name: Set(c.name.clone()),
        client_id: Set(c.client_id.clone()),
        secret_hash: Set(minted.secret_hash.clone()),
        scopes: Set(crud::to_column(&scopes)),
        created_at: Set(c.created_at),
        last_used_at: Set(None),
        last_used_from: Set(None),
    };
    oauth_client::Entity::insert(row).exec(w.tx()).await?;
    let state = State { version: None, before: None, after: snap(c) };
    w.record(Kind::OAuthClient, c.id.clone(), c.name.clone(), Action::Created, state);
    Ok(())
}

/// Every OAuth client, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<OAuthClient>, StoreError> {
    let rows = oauth_client::Entity::find().order_by_asc(oauth_client::Column::CreatedAt).all(db).await?;
    rows.into_iter().map(|r| public(r).map(|s| s.client)).collect()
}

/// Revokes client `id`: its row goes, so its next token request and the next
/// use of any access token issued to it are refused.
pub async fn revoke(w: &mut Write<'_>, id: &str) -> Result<(), StoreError> {
    let Some(row) = oauth_client::Entity::find_by_id(id.to_string()).one(w.tx()).await? else {
        return Err(StoreError::NotFound(format!("no OAuth client with id {id}")));
    };
    oauth_client::Entity::delete_by_id(id.to_string()).exec(w.tx()).await?;
    let gone = public(row)?.client;
    let state = State { version: None, before: snap(&gone), after: None };
    w.record(Kind::OAuthClient, gone.id, gone.name, Action::Deleted, state);
    Ok(())
}

/// The client whose public identifier is `client_id`, if it exists.
pub async fn find_by_client_id(db: &impl ConnectionTrait, client_id: &str) -> Result<Option<StoredClient>, StoreError> {
    let row = oauth_client::Entity::find().filter(oauth_client::Column::ClientId.eq(client_id)).one(db).await?;
    row.map(public).transpose()
}

/// Records that client `id` was used from `from` at `at`.
pub async fn touch(
    db: &impl ConnectionTrait,
    id: &str,
    at: DateTime<Utc>,
    from: Option<&str>,
) -> Result<(), StoreError> {
    let row = oauth_client::ActiveModel {
        id: Set(id.to_string()),
        last_used_at: Set(Some(at)),
        last_used_from: Set(from.map(|f| f.chars().take(64).collect())),
        ..Default::default()
    };
    oauth_client::Entity::update_many().set(row).filter(oauth_client::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}
