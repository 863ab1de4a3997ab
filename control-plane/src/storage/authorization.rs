//! The authorization server's rows: its settings (through a [`Write`], so
//! history and audit record them), registered clients, pending authorization
//! requests and their codes, grants and refresh tokens. Codes and refresh
//! tokens are stored as keyed hashes only. Redeeming a code and rotating a
//! refresh token each run in one transaction that reads and marks the row, so
//! two concurrent uses cannot both succeed; a second use of either revokes the
//! grant it belongs to.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use shared_model::secret::Keyring;
use utoipa::ToSchema;

use super::entities::{
    authorization_server_config as config, oauth_authorization_request as request, oauth_grant as grant,
    oauth_refresh_token as refresh, oauth_registered_client as registered,
};
use super::write::{Action, Kind, State, Write};
use super::{Db, StoreError, crud};
use crate::model::patch::merge_patch;
use crate::oauth::settings::AuthorizationServerSettings;

/// Most clients registered through RFC 7591.
pub const MAX_REGISTERED_CLIENTS: u64 = 1_000;
/// Most authorization requests pending at once.
pub const MAX_PENDING_REQUESTS: u64 = 1_000;

/// The settings and the sealed upstream client secret.
#[derive(Debug, Clone, Default)]
pub struct StoredSettings {
    /// The settings.
    pub settings: AuthorizationServerSettings,
    /// The upstream provider's client secret, sealed with the store key.
    pub upstream_client_secret: Option<String>,
}

/// The settings (defaults when never saved).
pub async fn load(db: &impl ConnectionTrait) -> Result<StoredSettings, StoreError> {
    let Some(row) = config::Entity::find_by_id(1).one(db).await? else { return Ok(StoredSettings::default()) };
    Ok(StoredSettings { settings: crud::column(&row.settings)?, upstream_client_secret: row.upstream_client_secret })
}

/// What history keeps of the settings: never the secret, only whether one is set.
fn snapshot(s: &StoredSettings) -> Value {
    let mut v = crud::to_column(&s.settings);
    if let Some(u) = v.get_mut("upstream").and_then(Value::as_object_mut) {
        u.insert("client_secret_set".into(), Value::Bool(s.upstream_client_secret.is_some()));
    }
    v
}

/// Merges `patch` over the settings and saves them. `upstream` is replaced as
/// a whole, except its write-only `client_secret`: absent keeps the stored
/// one (unless the issuer or client id changed: then it is a problem, the
/// secret is entered again), a string replaces it (sealed with `keyring`),
/// `null` removes it; `upstream: null` removes the provider and its secret.
pub async fn update(
    w: &mut Write<'_>,
    mut patch: Map<String, Value>,
    keyring: &Keyring,
) -> Result<StoredSettings, StoreError> {
    let old = load(w.tx()).await?;
    let mut secret = old.upstream_client_secret.clone();
    let mut kept = true;
    match patch.get_mut("upstream") {
        Some(Value::Null) => secret = None,
        Some(Value::Object(u)) => match u.remove("client_secret") {
            Some(Value::String(s)) if !s.is_empty() => (secret, kept) = (Some(keyring.encrypt(&s)), false),
            Some(Value::Null) => (secret, kept) = (None, false),
            Some(_) => {
                let why = "must be a non-empty string (or null to remove it)";
                return Err(StoreError::Invalid(shared_model::Problems::one("upstream.client_secret", why)));
            }
            None => {}
        },
        _ => {}
    }
    let (settings, _) = merge_patch(&old.settings, patch)?;
    let mut problems = settings.validate().err().unwrap_or_default();
    // The stored secret authenticates Quarry as one client to one provider: a new issuer or client id needs it again.
    if let (true, Some(_), Some(was), Some(now)) =
        (kept, &secret, old.settings.upstream.as_ref(), settings.upstream.as_ref())
    {
        let changed: Vec<&str> = [("issuer", was.issuer != now.issuer), ("client id", was.client_id != now.client_id)]
            .into_iter()
            .filter_map(|(what, changed)| changed.then_some(what))
            .collect();
        if !changed.is_empty() {
            problems.push(
                "upstream.client_secret",
                format!(
                    "the upstream {} changed: enter the client secret again for the new provider, or null for a \
                     public client (the stored one is never sent to another provider or client)",
                    changed.join(" and ")
                ),
            );
        }
    }
    problems.into_result()?;
    let new = StoredSettings { settings, upstream_client_secret: secret };
    let row = config::ActiveModel {
        id: Set(1),
        settings: Set(crud::to_column(&new.settings)),
        upstream_client_secret: Set(new.upstream_client_secret.clone()),
        updated_at: Set(Utc::now()),
    };
    if config::Entity::find_by_id(1).one(w.tx()).await?.is_some() {
        config::Entity::update(row).exec(w.tx()).await?;
    } else {
        config::Entity::insert(row).exec(w.tx()).await?;
    }
    let state = State { version: None, before: Some(snapshot(&old)), after: Some(snapshot(&new)) };
    w.record(Kind::AuthorizationServer, "authorization_server", "authorization server", Action::Updated, state);
    Ok(new)
}

/// A client registered through RFC 7591.
#[derive(Debug, Clone)]
pub struct RegisteredClient {
    /// The issued `client_id`.
    pub client_id: String,
    /// Its name.
    pub client_name: String,
    /// Its redirect URIs.
    pub redirect_uris: Vec<String>,
    /// When it registered.
    pub created_at: DateTime<Utc>,
}

/// Stores a registered client (at most [`MAX_REGISTERED_CLIENTS`]).
pub async fn register(db: &Db, c: &RegisteredClient, from: Option<&str>) -> Result<(), StoreError> {
    let tx = immediate(db).await?;
    if registered::Entity::find().count(&tx).await? >= MAX_REGISTERED_CLIENTS {
        return Err(StoreError::Conflict(format!("at most {MAX_REGISTERED_CLIENTS} registered clients")));
    }
    let row = registered::ActiveModel {
        client_id: Set(c.client_id.clone()),
        client_name: Set(c.client_name.clone()),
        redirect_uris: Set(crud::to_column(&c.redirect_uris)),
        created_at: Set(c.created_at),
        created_from: Set(from.map(|f| f.chars().take(64).collect())),
    };
    registered::Entity::insert(row).exec(&tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The registered client `client_id`, if any.
pub async fn find_registered(
    db: &impl ConnectionTrait,
    client_id: &str,
) -> Result<Option<RegisteredClient>, StoreError> {
    let Some(r) = registered::Entity::find_by_id(client_id.to_string()).one(db).await? else { return Ok(None) };
    Ok(Some(RegisteredClient {
        client_id: r.client_id,
        client_name: r.client_name,
        redirect_uris: crud::column(&r.redirect_uris)?,
        created_at: r.created_at,
    }))
}

/// Who signed in on the consent page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Identity {
    /// The subject: `admin` for the admin account, else the upstream issuer's `sub`.
    pub subject: String,
    /// The email, when known.
    pub email: Option<String>,
    /// How: `admin` or `upstream`.
    pub via: String,
    /// Claims copied into access tokens (`email`, `groups`, `name`, …).
    pub claims: Map<String, Value>,
    /// The scopes this user may be granted.
    pub scopes: Vec<String>,
}

/// An authorization request, pending or approved.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// Random id, the consent page's handle.
    pub id: String,
    /// The client's `client_id`.
    pub client_id: String,
    /// The client's name.
    pub client_name: String,
    /// The validated redirect URI.
    pub redirect_uri: String,
    /// Requested scopes.
    pub scopes: Vec<String>,
    /// The client's `state`.
    pub state: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// The resource.
    pub resource: String,
    /// Keyed hash of the browser-binding cookie.
    pub browser_hash: String,
    /// The signed-in user (upstream sign-in).
    pub identity: Option<Identity>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

fn from_row(r: request::Model) -> Result<AuthorizationRequest, StoreError> {
    Ok(AuthorizationRequest {
        id: r.id,
        client_id: r.client_id,
        client_name: r.client_name,
        redirect_uri: r.redirect_uri,
        scopes: crud::column(&r.scopes)?,
        state: r.state,
        code_challenge: r.code_challenge,
        resource: r.resource,
        browser_hash: r.browser_hash,
        identity: r.identity.as_ref().map(crud::column).transpose()?,
        expires_at: r.expires_at,
    })
}

async fn immediate(db: &Db) -> Result<DatabaseTransaction, StoreError> {
    let options = TransactionOptions {
        isolation_level: None,
        access_mode: None,
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
    };
    Ok(db.begin_with_options(options).await?)
}

/// Stores a pending request, after dropping expired ones; refused when
/// [`MAX_PENDING_REQUESTS`] are pending.
pub async fn create_request(db: &Db, r: &AuthorizationRequest, now: DateTime<Utc>) -> Result<(), StoreError> {
    let tx = immediate(db).await?;
    request::Entity::delete_many().filter(request::Column::ExpiresAt.lt(now)).exec(&tx).await?;
    if request::Entity::find().count(&tx).await? >= MAX_PENDING_REQUESTS {
        return Err(StoreError::Conflict("too many authorization requests are pending; retry in a few minutes".into()));
    }
    let row = request::ActiveModel {
        id: Set(r.id.clone()),
        client_id: Set(r.client_id.clone()),
        client_name: Set(r.client_name.clone()),
        redirect_uri: Set(r.redirect_uri.clone()),
        scopes: Set(crud::to_column(&r.scopes)),
        state: Set(r.state.clone()),
        code_challenge: Set(r.code_challenge.clone()),
        resource: Set(r.resource.clone()),
        browser_hash: Set(r.browser_hash.clone()),
        identity: Set(None),
        upstream_state: Set(None),
        upstream_nonce: Set(None),
        upstream_verifier: Set(None),
        code_hash: Set(None),
        grant_id: Set(None),
        code_used: Set(false),
        created_at: Set(now),
        expires_at: Set(r.expires_at),
    };
    request::Entity::insert(row).exec(&tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The pending request `id` (not expired, no code issued yet).
pub async fn pending(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<AuthorizationRequest>, StoreError> {
    let row = request::Entity::find_by_id(id.to_string()).one(db).await?;
    row.filter(|r| r.expires_at > now && r.code_hash.is_none()).map(from_row).transpose()
}

/// Records the upstream sign-in's `state`, `nonce` and PKCE verifier on request `id`.
pub async fn start_upstream(db: &Db, id: &str, state: &str, nonce: &str, verifier: &str) -> Result<(), StoreError> {
    let row = request::ActiveModel {
        id: Set(id.to_string()),
        upstream_state: Set(Some(state.to_string())),
        upstream_nonce: Set(Some(nonce.to_string())),
        upstream_verifier: Set(Some(verifier.to_string())),
        ..Default::default()
    };
    request::Entity::update(row).exec(db).await?;
    Ok(())
}

/// A pending request found by its upstream `state`, with the `nonce` and verifier sent upstream.
pub struct UpstreamPending {
    /// The request.
    pub request: AuthorizationRequest,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier for the code exchange.
    pub verifier: String,
}

/// The pending request whose upstream sign-in used `state`; the state is
/// cleared so it works once.
pub async fn take_upstream(db: &Db, state: &str, now: DateTime<Utc>) -> Result<Option<UpstreamPending>, StoreError> {
    let tx = immediate(db).await?;
    let Some(row) = request::Entity::find().filter(request::Column::UpstreamState.eq(state)).one(&tx).await? else {
        return Ok(None);
    };
    let clear = request::ActiveModel { id: Set(row.id.clone()), upstream_state: Set(None), ..Default::default() };
    request::Entity::update(clear).exec(&tx).await?;
    tx.commit().await?;
    if row.expires_at <= now || row.code_hash.is_some() {
        return Ok(None);
    }
    let (nonce, verifier) =
        (row.upstream_nonce.clone().unwrap_or_default(), row.upstream_verifier.clone().unwrap_or_default());
    Ok(Some(UpstreamPending { request: from_row(row)?, nonce, verifier }))
}

/// Records who signed in upstream for request `id`.
pub async fn set_identity(db: &Db, id: &str, identity: &Identity) -> Result<(), StoreError> {
    let row = request::ActiveModel {
        id: Set(id.to_string()),
        identity: Set(Some(crud::to_column(identity))),
        upstream_nonce: Set(None),
        upstream_verifier: Set(None),
        ..Default::default()
    };
    request::Entity::update(row).exec(db).await?;
    Ok(())
}

/// Drops request `id` (denied).
pub async fn drop_request(db: &Db, id: &str) -> Result<(), StoreError> {
    request::Entity::delete_by_id(id.to_string()).exec(db).await?;
    Ok(())
}

/// A grant as listed: what a user allowed a client.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OAuthGrant {
    /// Stable id.
    pub id: String,
    /// The user: `admin`, or the upstream provider's subject.
    pub subject: String,
    /// The user's email, when known.
    pub email: Option<String>,
    /// The client's `client_id` (for a metadata-document client, its URL).
    pub client_id: String,
    /// The client's name.
    pub client_name: String,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// The MCP resource the tokens are for.
    pub resource: String,
    /// When it was granted.
    pub created_at: DateTime<Utc>,
    /// When a token was last issued under it.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A grant with the identity claims its access tokens carry.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The listed record.
    pub grant: OAuthGrant,
    /// Claims copied into access tokens.
    pub claims: Map<String, Value>,
}

fn grant_from(r: grant::Model) -> Result<Grant, StoreError> {
    Ok(Grant {
        claims: crud::column(&r.identity)?,
        grant: OAuthGrant {
            id: r.id,
            subject: r.subject,
            email: r.email,
            client_id: r.client_id,
            client_name: r.client_name,
            scopes: crud::column(&r.scopes)?,
            resource: r.resource,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        },
    })
}

/// Approves request `id` for `identity` with `scopes`: creates the grant and
/// attaches the code's keyed hash, valid until `code_expires_at`. `None` when
/// the request is gone, expired or already approved.
pub async fn approve(
    db: &Db,
    id: &str,
    identity: &Identity,
    scopes: &[String],
    code_hash: &str,
    now: DateTime<Utc>,
    code_expires_at: DateTime<Utc>,
) -> Result<Option<AuthorizationRequest>, StoreError> {
    let tx = immediate(db).await?;
    let Some(row) = request::Entity::find_by_id(id.to_string()).one(&tx).await? else { return Ok(None) };
    if row.expires_at <= now || row.code_hash.is_some() {
        return Ok(None);
    }
    let grant_id = uuid::Uuid::new_v4().to_string();
    let g = grant::ActiveModel {
        id: Set(grant_id.clone()),
        subject: Set(identity.subject.chars().take(255).collect()),
        email: Set(identity.email.as_ref().map(|e| e.chars().take(320).collect())),
        identity: Set(Value::Object(identity.claims.clone())),
        client_id: Set(row.client_id.clone()),
        client_name: Set(row.client_name.clone()),
        scopes: Set(crud::to_column(&scopes)),
        resource: Set(row.resource.clone()),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    };
    grant::Entity::insert(g).exec(&tx).await?;
    let update = request::ActiveModel {
        id: Set(row.id.clone()),
        code_hash: Set(Some(code_hash.to_string())),
        grant_id: Set(Some(grant_id)),
        expires_at: Set(code_expires_at),
        ..Default::default()
    };
    request::Entity::update(update).exec(&tx).await?;
    tx.commit().await?;
    Ok(Some(from_row(row)?))
}

/// What redeeming a code found.
#[derive(Debug)]
pub enum Redeemed {
    /// The code was good: its grant (the refresh token is stored).
    Issued(Box<Grant>),
    /// No such code, or it expired.
    Unknown,
    /// The code was used before: its grant is now revoked.
    Reused,
    /// The code is not for this exchange (the reason).
    Mismatch(String),
}

/// Redeems the code whose keyed hash is `code_hash`: `check` must accept the
/// request (client, redirect URI, PKCE verifier, resource); then the code is
/// marked used and `refresh_hash` stored for the grant, valid until
/// `refresh_expires_at`. A code presented again revokes its grant.
pub async fn redeem(
    db: &Db,
    code_hash: &str,
    check: impl FnOnce(&AuthorizationRequest) -> Result<(), String>,
    refresh_hash: &str,
    now: DateTime<Utc>,
    refresh_expires_at: DateTime<Utc>,
) -> Result<Redeemed, StoreError> {
    let tx = immediate(db).await?;
    let Some(row) = request::Entity::find().filter(request::Column::CodeHash.eq(code_hash)).one(&tx).await? else {
        return Ok(Redeemed::Unknown);
    };
    let grant_id = row.grant_id.clone().unwrap_or_default();
    if row.code_used {
        revoke_family(&tx, &grant_id, now).await?;
        tx.commit().await?;
        return Ok(Redeemed::Reused);
    }
    if row.expires_at <= now {
        return Ok(Redeemed::Unknown);
    }
    let req = from_row(row.clone())?;
    if let Err(why) = check(&req) {
        return Ok(Redeemed::Mismatch(why));
    }
    let Some(g) = grant::Entity::find_by_id(grant_id.clone()).one(&tx).await?.filter(|g| g.revoked_at.is_none()) else {
        return Ok(Redeemed::Unknown);
    };
    let used = request::ActiveModel { id: Set(row.id), code_used: Set(true), ..Default::default() };
    request::Entity::update(used).exec(&tx).await?;
    insert_refresh(&tx, refresh_hash, &grant_id, now, refresh_expires_at).await?;
    touch_grant(&tx, &grant_id, now).await?;
    supersede(&tx, &g, now).await?;
    tx.commit().await?;
    Ok(Redeemed::Issued(Box::new(grant_from(g)?)))
}

async fn insert_refresh(
    tx: &DatabaseTransaction,
    hash: &str,
    grant_id: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = refresh::ActiveModel {
        token_hash: Set(hash.to_string()),
        grant_id: Set(grant_id.to_string()),
        used: Set(false),
        created_at: Set(now),
        expires_at: Set(expires_at),
    };
    refresh::Entity::insert(row).exec(tx).await?;
    Ok(())
}

async fn touch_grant(tx: &DatabaseTransaction, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    let row = grant::ActiveModel { id: Set(id.to_string()), last_used_at: Set(Some(now)), ..Default::default() };
    grant::Entity::update(row).exec(tx).await?;
    Ok(())
}

/// Revokes grant `id` and deletes its refresh tokens (the whole family).
/// Revokes the user's earlier grants to the same client for the same resource
/// once `g` is in use: a new consent (e.g. a scope step-up) replaces the old
/// one, so each user holds one grant per client and revoking it ends the access.
async fn supersede(tx: &DatabaseTransaction, g: &grant::Model, now: DateTime<Utc>) -> Result<(), StoreError> {
    let older = grant::Entity::find()
        .filter(grant::Column::Subject.eq(g.subject.clone()))
        .filter(grant::Column::ClientId.eq(g.client_id.clone()))
        .filter(grant::Column::Resource.eq(g.resource.clone()))
        .filter(grant::Column::Id.ne(g.id.clone()))
        .filter(grant::Column::RevokedAt.is_null())
        .all(tx)
        .await?;
    for o in older {
        revoke_family(tx, &o.id, now).await?;
    }
    Ok(())
}

async fn revoke_family(tx: &impl ConnectionTrait, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let res = grant::Entity::update_many()
        .col_expr(grant::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
        .filter(grant::Column::Id.eq(id))
        .filter(grant::Column::RevokedAt.is_null())
        .exec(tx)
        .await?;
    refresh::Entity::delete_many().filter(refresh::Column::GrantId.eq(id)).exec(tx).await?;
    Ok(res.rows_affected > 0)
}

/// What presenting a refresh token found.
#[derive(Debug)]
pub enum Rotated {
    /// Good: the grant; the token is now used and its successor stored.
    Issued(Box<Grant>),
    /// Unknown, expired, or its grant is revoked.
    Unknown,
    /// It was used before: the whole grant is now revoked.
    Reused,
    /// It belongs to another client.
    WrongClient,
}

/// Exchanges the refresh token whose keyed hash is `old_hash` (presented by
/// `client_id`) for `new_hash`, valid until `expires_at`.
pub async fn rotate(
    db: &Db,
    old_hash: &str,
    client_id: &str,
    new_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<Rotated, StoreError> {
    let tx = immediate(db).await?;
    let Some(old) = refresh::Entity::find_by_id(old_hash.to_string()).one(&tx).await? else {
        return Ok(Rotated::Unknown);
    };
    let Some(g) = grant::Entity::find_by_id(old.grant_id.clone()).one(&tx).await? else { return Ok(Rotated::Unknown) };
    if g.client_id != client_id {
        return Ok(Rotated::WrongClient);
    }
    if old.used {
        revoke_family(&tx, &old.grant_id, now).await?;
        tx.commit().await?;
        return Ok(Rotated::Reused);
    }
    if old.expires_at <= now || g.revoked_at.is_some() {
        return Ok(Rotated::Unknown);
    }
    let used = refresh::ActiveModel { token_hash: Set(old.token_hash), used: Set(true), ..Default::default() };
    refresh::Entity::update(used).exec(&tx).await?;
    insert_refresh(&tx, new_hash, &old.grant_id, now, expires_at).await?;
    touch_grant(&tx, &old.grant_id, now).await?;
    tx.commit().await?;
    Ok(Rotated::Issued(Box::new(grant_from(g)?)))
}

/// RFC 7009: revokes the grant of the refresh token whose hash is `hash`
/// when it belongs to `client_id`. Whether anything was revoked.
pub async fn revoke_by_refresh(db: &Db, hash: &str, client_id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let tx = immediate(db).await?;
    let Some(t) = refresh::Entity::find_by_id(hash.to_string()).one(&tx).await? else { return Ok(false) };
    let owned = grant::Entity::find_by_id(t.grant_id.clone()).one(&tx).await?.is_some_and(|g| g.client_id == client_id);
    if !owned {
        return Ok(false);
    }
    let done = revoke_family(&tx, &t.grant_id, now).await?;
    tx.commit().await?;
    Ok(done)
}

/// The grants not revoked, newest first.
pub async fn list_grants(db: &impl ConnectionTrait) -> Result<Vec<OAuthGrant>, StoreError> {
    let rows = grant::Entity::find()
        .filter(grant::Column::RevokedAt.is_null())
        .order_by_desc(grant::Column::CreatedAt)
        .all(db)
        .await?;
    rows.into_iter().map(|r| grant_from(r).map(|g| g.grant)).collect()
}

/// The grant `id`, revoked or not, and whether it is revoked.
pub async fn find_grant(db: &impl ConnectionTrait, id: &str) -> Result<Option<(Grant, bool)>, StoreError> {
    let Some(r) = grant::Entity::find_by_id(id.to_string()).one(db).await? else { return Ok(None) };
    let revoked = r.revoked_at.is_some();
    Ok(Some((grant_from(r)?, revoked)))
}

/// Revokes grant `id` (an admin's decision): its refresh tokens stop working at once.
pub async fn revoke_grant(w: &mut Write<'_>, id: &str) -> Result<(), StoreError> {
    let found = grant::Entity::find_by_id(id.to_string()).one(w.tx()).await?.filter(|g| g.revoked_at.is_none());
    let Some(row) = found else { return Err(StoreError::NotFound(format!("no active OAuth grant with id {id}"))) };
    revoke_family(w.tx(), id, Utc::now()).await?;
    let g = grant_from(row)?.grant;
    let name = format!("{} for {}", g.client_name, g.email.clone().unwrap_or_else(|| g.subject.clone()));
    let last = json!({"id": g.id, "subject": g.subject, "email": g.email, "client_id": g.client_id,
        "client_name": g.client_name, "scopes": g.scopes, "resource": g.resource});
    w.record(Kind::OAuthGrant, g.id, name, Action::Deleted, State { version: None, before: Some(last), after: None });
    Ok(())
}

/// How long a rotated refresh token is kept: a reuse within this time still revokes its grant (the token was
/// stolen); later it is only an unknown token.
pub const ROTATED_KEEP_DAYS: i64 = 7;
/// How long a revoked grant is kept after its revocation (for the record of who had access).
pub const REVOKED_GRANT_KEEP_DAYS: i64 = 30;

/// What a pruning pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrunedAuthorization {
    /// Expired authorization requests and codes.
    pub codes: u64,
    /// Expired refresh tokens, and those rotated or revoked more than [`ROTATED_KEEP_DAYS`] ago.
    pub refresh_tokens: u64,
    /// Grants revoked more than [`REVOKED_GRANT_KEEP_DAYS`] ago.
    pub grants: u64,
}

/// Deletes the rows no flow can use any more, as of `now`: expired
/// authorization requests and their codes; refresh tokens that expired, were
/// rotated more than [`ROTATED_KEEP_DAYS`] ago (a token is rotated when its
/// successor in the same grant is issued) or belong to a grant revoked that
/// long ago; grants revoked more than [`REVOKED_GRANT_KEEP_DAYS`] ago. Grants
/// not revoked (what Users and consents lists) and their newest token stay,
/// whatever their age.
pub async fn prune(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<PrunedAuthorization, StoreError> {
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::{Alias, Expr, Query};
    let codes = request::Entity::delete_many().filter(request::Column::ExpiresAt.lt(now)).exec(db).await?.rows_affected;

    let rotated_cut = now - chrono::Duration::days(ROTATED_KEEP_DAYS);
    let expired = refresh::Entity::delete_many().filter(refresh::Column::ExpiresAt.lt(now)).exec(db).await?;
    // A used token was rotated when the next token of its grant was created: that one exists before the cut.
    let next = Alias::new("next");
    let successor = Query::select()
        .expr(Expr::val(1))
        .from_as(refresh::Entity, next.clone())
        .and_where(
            Expr::col((next.clone(), refresh::Column::GrantId)).equals((refresh::Entity, refresh::Column::GrantId)),
        )
        .and_where(
            Expr::col((next.clone(), refresh::Column::CreatedAt))
                .gt(Expr::col((refresh::Entity, refresh::Column::CreatedAt))),
        )
        .and_where(Expr::col((next, refresh::Column::CreatedAt)).lt(rotated_cut))
        .to_owned();
    let rotated = refresh::Entity::delete_many()
        .filter(refresh::Column::Used.eq(true))
        .filter(Expr::exists(successor))
        .exec(db)
        .await?;
    let revoked_long_ago = Query::select()
        .column(grant::Column::Id)
        .from(grant::Entity)
        .and_where(grant::Column::RevokedAt.lt(rotated_cut))
        .to_owned();
    let of_revoked =
        refresh::Entity::delete_many().filter(refresh::Column::GrantId.in_subquery(revoked_long_ago)).exec(db).await?;

    let grant_cut = now - chrono::Duration::days(REVOKED_GRANT_KEEP_DAYS);
    let grants = grant::Entity::delete_many().filter(grant::Column::RevokedAt.lt(grant_cut)).exec(db).await?;
    Ok(PrunedAuthorization {
        codes,
        refresh_tokens: expired.rows_affected + rotated.rows_affected + of_revoked.rows_affected,
        grants: grants.rows_affected,
    })
}
