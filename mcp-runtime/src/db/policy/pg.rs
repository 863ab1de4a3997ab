//! The PostgreSQL read-only policy.
//!
//! # The rule
//! A read-only statement must be one `SELECT`, `VALUES` or `WITH … SELECT`
//! without `FOR UPDATE/SHARE` locking clauses, `SELECT … INTO` or
//! data-modifying CTEs, and may call only functions that are not `VOLATILE`
//! (`pg_proc.provolatile`), plus [`ALLOWED_VOLATILE`] and the connection's
//! `allowed_functions`. Functions that execute SQL text ([`RUNS_SQL_TEXT`])
//! are refused whatever their volatility and whatever the allowlist says.
//! The READ ONLY transaction already refuses writes; the shape check still
//! earns its keep because `FOR SHARE`/`FOR KEY SHARE` row locks are allowed
//! in read-only transactions (they mark rows and block writers while the
//! call runs), and because the refusal then names the rule before anything
//! reaches the server.
//!
//! # How calls are found
//! With the server's own grammar (libpg_query, the `pg_query` crate): the
//! whole parse tree is walked as data, so every node kind is covered, not
//! just those a hand-written visitor knows. Collected are function calls
//! (`FuncCall`, which also stands for `EXTRACT`, `SUBSTRING`, `AT TIME ZONE`
//! and other special syntax), attribute notation (`x.f` means `f(x)` when `f`
//! takes one argument: `('seq'::regclass).nextval` calls `nextval`), operators
//! (whose function may be any user function), and type names (casting a
//! literal runs the type's input function). A statement the parser rejects is
//! refused, so the scanner and the server can never disagree about where a
//! string ends. The parser assumes `standard_conforming_strings = on`, the
//! server's default (a connection must not turn it off).
//!
//! # How names are resolved
//! One catalog query per batch of unseen names, on the connection about to
//! run the call: every `pg_proc` overload of each name (operators through
//! `pg_operator.oprcode`, types through `pg_type.typinput`), with whether its
//! schema is on the connection's search path (`current_schemas(true)`, plus
//! the `read_only_role`'s own schema, which `"$user"` names under `SET ROLE`).
//! A qualified name looks only in its schema; an unqualified one at every
//! visible overload, and if any is volatile the call is refused: argument
//! types are not resolved, so conservatively any overload counts. Names the
//! catalog does not know are left to the server, which then refuses them.
//!
//! Out of scope: what views, triggers-free rules, column defaults and
//! functions defined by the database owner run inside (a `STABLE` label is
//! the owner's promise), and cast functions of `pg_cast` (owner-defined too;
//! the catalog ships none that is volatile).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::TtlCache;
use super::pg_parse::{Calls, Name, analyse};
use crate::db::EngineError;
use crate::db::error::one_line;
use crate::db::pg::wire::Conn;

/// Volatile functions a read-only statement may still call: they read
/// clocks, randomness or sizes, or wait (bounded by the statement timeout),
/// and change nothing that outlives the call.
pub(crate) const ALLOWED_VOLATILE: &[&str] = &[
    "random",
    "random_normal",
    "clock_timestamp",
    "timeofday",
    "gen_random_uuid",
    "uuidv4",
    "uuidv7",
    "pg_sleep",
    "pg_sleep_for",
    "pg_sleep_until",
    "pg_relation_size",
    "pg_total_relation_size",
    "pg_table_size",
    "pg_indexes_size",
    "pg_database_size",
    "pg_tablespace_size",
];

/// Functions that run SQL text they are given (or that they build from a
/// name), so the statement's own text does not show what runs. Refused
/// whatever their schema, volatility or the allowlist.
pub(crate) const RUNS_SQL_TEXT: &[&str] = &[
    "query_to_xml",
    "query_to_xmlschema",
    "query_to_xml_and_xmlschema",
    "cursor_to_xml",
    "cursor_to_xmlschema",
    "table_to_xml",
    "table_to_xmlschema",
    "table_to_xml_and_xmlschema",
    "schema_to_xml",
    "schema_to_xmlschema",
    "schema_to_xml_and_xmlschema",
    "database_to_xml",
    "database_to_xmlschema",
    "database_to_xml_and_xmlschema",
    "ts_stat",
    "ts_rewrite",
    "dblink",
    "dblink_exec",
    "dblink_open",
    "dblink_fetch",
    "dblink_send_query",
    "dblink_get_result",
    "dblink_connect",
    "dblink_connect_u",
];

/// Verdicts kept per pool; past this the cache starts over.
const MAX_VERDICTS: usize = 4096;
/// Catalog answers kept per pool.
const MAX_NAMES: usize = 8192;

/// One catalog object a name may resolve to.
#[derive(Debug, Clone)]
struct Overload {
    schema: String,
    volatile: bool,
    /// Its schema is on the connection's search path.
    visible: bool,
    /// It accepts one argument, so attribute notation can call it.
    unary: bool,
}

/// Catalog kinds, as the lookup query tags its rows.
#[derive(Clone, Copy)]
enum Kind {
    Function,
    Operator,
    Type,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Function => "f",
            Kind::Operator => "o",
            Kind::Type => "t",
        }
    }
}

/// Every overload of the requested functions, operators and types, with
/// visibility on the search path (and the read-only role's own schema).
const LOOKUP: &str = "\
SELECT 'f', p.proname, n.nspname, p.provolatile = 'v', n.nspname = ANY (current_schemas(true)) OR n.nspname = $4, \
       (p.pronargs >= 1 AND p.pronargs - p.pronargdefaults <= 1) OR p.provariadic <> 0 \
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
 WHERE p.proname IN (SELECT json_array_elements_text($1::json)) \
UNION ALL \
SELECT 'o', o.oprname, n.nspname, p.provolatile = 'v', n.nspname = ANY (current_schemas(true)) OR n.nspname = $4, false \
  FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace JOIN pg_proc p ON p.oid = o.oprcode \
 WHERE o.oprname IN (SELECT json_array_elements_text($2::json)) \
UNION ALL \
SELECT 't', t.typname, n.nspname, p.provolatile = 'v', n.nspname = ANY (current_schemas(true)) OR n.nspname = $4, false \
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_proc p ON p.oid = t.typinput \
 WHERE t.typname IN (SELECT json_array_elements_text($3::json))";

/// One pool's policy: its allowlist, verdicts and catalog answers.
pub(crate) struct PgPolicy {
    /// The connection's `allowed_functions` (`name` or `schema.name`).
    allowed: Vec<Name>,
    /// The role read-only calls run as, whose schema `"$user"` then names.
    role: String,
    verdicts: TtlCache<Result<(), EngineError>>,
    catalog: TtlCache<Arc<[Overload]>>,
}

impl PgPolicy {
    /// A policy with the admin's extra allowed functions (`name` or `schema.name`).
    pub(crate) fn new(allowed: &[String], read_only_role: Option<&str>) -> Self {
        let allowed = allowed
            .iter()
            .map(|a| match a.split_once('.') {
                Some((s, n)) => Name { schema: Some(s.to_string()), name: n.to_string() },
                None => Name { schema: None, name: a.clone() },
            })
            .collect();
        PgPolicy {
            allowed,
            role: read_only_role.unwrap_or_default().to_string(),
            verdicts: TtlCache::new(MAX_VERDICTS),
            catalog: TtlCache::new(MAX_NAMES),
        }
    }

    /// Whether `sql` may run read-only. A cached verdict costs one hash
    /// lookup; otherwise the statement is parsed and unseen names are looked
    /// up on `conn` (one round trip). A failed lookup is not cached.
    pub(crate) async fn check(&self, sql: &str, conn: &mut Conn) -> Result<(), EngineError> {
        if let Some(verdict) = self.verdicts.get(sql) {
            return verdict;
        }
        let verdict = self.decide(sql, conn).await;
        if !matches!(verdict, Err(EngineError::Database(_))) {
            self.verdicts.put(sql, verdict.clone());
        }
        verdict
    }

    async fn decide(&self, sql: &str, conn: &mut Conn) -> Result<(), EngineError> {
        let calls = analyse(sql)?;
        let sql_text =
            calls.functions.iter().map(|f| f.name.as_str()).chain(calls.attributes.iter().map(String::as_str));
        for name in sql_text {
            if RUNS_SQL_TEXT.contains(&name) {
                return Err(EngineError::ReadOnly(format!(
                    "{name}() runs SQL text and is never allowed in a read-only query"
                )));
            }
        }
        let found = self.load(&calls, conn).await?;
        for f in &calls.functions {
            let hits = relevant(&found, Kind::Function, f);
            if self.refused(f, &hits) {
                return Err(EngineError::ReadOnly(format!(
                    "{f}() is VOLATILE: a read-only query may call only functions that are IMMUTABLE or STABLE \
                     (pg_proc.provolatile), the built-in allowlist or the connection's allowed_functions"
                )));
            }
        }
        for a in &calls.attributes {
            let name = Name { schema: None, name: a.clone() };
            let hits: Vec<Overload> = relevant(&found, Kind::Function, &name).into_iter().filter(|o| o.unary).collect();
            if self.refused(&name, &hits) {
                return Err(EngineError::ReadOnly(format!(
                    "x.{a} may call the VOLATILE function {a}() (attribute notation); a read-only query may call \
                     only functions that are IMMUTABLE or STABLE or allowed"
                )));
            }
        }
        for (kind, names, what) in
            [(Kind::Operator, &calls.operators, "operator"), (Kind::Type, &calls.types, "input function of type")]
        {
            for n in names {
                if relevant(&found, kind, n).iter().any(|o| o.volatile) {
                    return Err(EngineError::ReadOnly(format!(
                        "the {what} {n} is a VOLATILE function, which a read-only query may not call"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether a call of `name` resolving to `hits` breaks the rule.
    fn refused(&self, name: &Name, hits: &[Overload]) -> bool {
        let volatile: Vec<&Overload> = hits.iter().filter(|o| o.volatile).collect();
        if volatile.is_empty() {
            return false;
        }
        let built_in =
            ALLOWED_VOLATILE.contains(&name.name.as_str()) && volatile.iter().all(|o| o.schema == "pg_catalog");
        let by_admin = self.allowed.iter().any(|a| {
            a.name == name.name
                && match &a.schema {
                    None => true,
                    Some(s) => volatile.iter().all(|o| &o.schema == s),
                }
        });
        !(built_in || by_admin)
    }

    /// The overloads of every name `calls` uses: from the catalog cache, and
    /// in one query for the names it does not hold. The answer is returned,
    /// not re-read from the cache, which may start over meanwhile.
    async fn load(&self, calls: &Calls, conn: &mut Conn) -> Result<Found, EngineError> {
        let mut found = Found::new();
        let mut missing = |kind: Kind, names: Vec<&str>| -> Vec<String> {
            let mut out = BTreeSet::new();
            for n in names {
                match self.catalog.get(&key(kind, n)) {
                    Some(hit) => {
                        found.insert(key(kind, n), hit);
                    }
                    None => {
                        out.insert(n.to_string());
                    }
                }
            }
            out.into_iter().collect()
        };
        let functions = missing(
            Kind::Function,
            calls
                .functions
                .iter()
                .map(|f| f.name.as_str())
                .chain(calls.attributes.iter().map(String::as_str))
                .collect(),
        );
        let operators = missing(Kind::Operator, calls.operators.iter().map(|n| n.name.as_str()).collect());
        let types = missing(Kind::Type, calls.types.iter().map(|n| n.name.as_str()).collect());
        if functions.is_empty() && operators.is_empty() && types.is_empty() {
            return Ok(found);
        }
        let json = |v: &[String]| Some(Value::from(v.to_vec()).to_string());
        let params = [json(&functions), json(&operators), json(&types), Some(self.role.clone())];
        let rows = conn.query_text(LOOKUP, &params).await.map_err(|e| {
            EngineError::Database(format!("cannot look up the functions the query calls: {}", one_line(&e.to_string())))
        })?;
        for (kind, names) in [(Kind::Function, functions), (Kind::Operator, operators), (Kind::Type, types)] {
            for name in names {
                let overloads: Vec<Overload> = rows
                    .iter()
                    .filter(|r| cell(r, 0) == kind.tag() && cell(r, 1) == name)
                    .map(|r| Overload {
                        schema: cell(r, 2).to_string(),
                        volatile: cell(r, 3) == "t",
                        visible: cell(r, 4) == "t",
                        unary: cell(r, 5) == "t",
                    })
                    .collect();
                let overloads: Arc<[Overload]> = overloads.into();
                self.catalog.put(&key(kind, &name), overloads.clone());
                found.insert(key(kind, &name), overloads);
            }
        }
        Ok(found)
    }
}

/// Catalog answers for one statement, by [`key`].
type Found = HashMap<String, Arc<[Overload]>>;

/// The overloads `name` may mean: those of its schema when qualified, else
/// the visible ones (or every one when none is visible).
fn relevant(found: &Found, kind: Kind, name: &Name) -> Vec<Overload> {
    let Some(all) = found.get(&key(kind, &name.name)) else { return Vec::new() };
    let pick: Vec<Overload> = match &name.schema {
        Some(s) => all.iter().filter(|o| &o.schema == s).cloned().collect(),
        None => all.iter().filter(|o| o.visible).cloned().collect(),
    };
    if pick.is_empty() && name.schema.is_none() { all.to_vec() } else { pick }
}

fn key(kind: Kind, name: &str) -> String {
    format!("{}:{name}", kind.tag())
}

fn cell(row: &[Option<String>], i: usize) -> &str {
    row.get(i).and_then(|c| c.as_deref()).unwrap_or("")
}
