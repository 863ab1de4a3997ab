//! What a read-only MySQL/MariaDB statement may contain, decided on the
//! scanner's tokens (the same lexer the server's agrees with, see
//! `shared_model::lexer`) before the statement reaches the server.
//!
//! A READ ONLY transaction stops writes to tables, but not everything a
//! statement can do: read files (`LOAD_FILE`), write them (`INTO OUTFILE`),
//! take named locks (`GET_LOCK`), advance sequences (`NEXTVAL`), set user
//! variables (`:=`, `INTO @v`), wait on replication, burn CPU (`BENCHMARK`)
//! or run a UDF (`sys_exec`). So the rule is an allowlist:
//! - the statement starts with `SELECT`, `WITH … SELECT`, `VALUES`, `TABLE`,
//!   `(`, `SHOW`, `DESCRIBE`/`DESC` or `EXPLAIN` (not `ANALYZE`, which runs it);
//! - it has no `INTO`, `FOR UPDATE`/`FOR SHARE`, `LOCK IN SHARE MODE`, `:=`,
//!   `NEXT`/`PREVIOUS VALUE FOR`, `RETURNING`, executable comments (their
//!   body is code the server runs) or optimizer hints (`/*+ … */` can set
//!   variables and time limits on MySQL);
//! - every function it calls is a known built-in of a harmless class (string,
//!   numeric, date and time, JSON, spatial, aggregate, window, cast and
//!   control flow, comparison, hashing, information) or is named in the
//!   connection's `allowed_functions` (stored functions: a qualified call
//!   `db.f()` is always a stored function). `SLEEP` is allowed: its only
//!   effect is time, which the statement timeout bounds.
//!
//! Every refusal names the construct and the rule.

use shared_model::{SqlScan, TokenKind};

use crate::db::EngineError;

/// Built-ins that would otherwise look harmless, with why they are refused.
const REFUSED: &[(&str, &str)] = &[
    ("load_file", "reads server files"),
    ("get_lock", "takes a named lock"),
    ("release_lock", "releases a named lock"),
    ("release_all_locks", "releases named locks"),
    ("is_free_lock", "inspects named locks"),
    ("is_used_lock", "inspects named locks"),
    ("benchmark", "repeats an expression to burn server CPU"),
    ("master_pos_wait", "waits on replication"),
    ("master_gtid_wait", "waits on replication"),
    ("source_pos_wait", "waits on replication"),
    ("wait_for_executed_gtid_set", "waits on replication"),
    ("wait_until_sql_thread_after_gtids", "waits on replication"),
    ("nextval", "advances a sequence"),
    ("setval", "sets a sequence"),
    ("lastval", "reads the session's sequence state"),
    ("last_insert_id", "sets the session's last insert id when given a value"),
    ("sys_exec", "runs an operating-system command (UDF)"),
    ("sys_eval", "runs an operating-system command (UDF)"),
];

/// Words that may stand before `(` without being a function call.
#[rustfmt::skip]
const SYNTAX: &[&str] = &[
    "against", "all", "and", "any", "as", "between", "by", "case", "collate", "columns", "distinct", "div", "else",
    "escape", "except", "exists", "for", "from", "having", "in", "index", "intersect", "interval", "is", "join",
    "key", "lateral", "like", "limit", "match", "mod", "nested", "not", "offset", "on", "or", "over", "partition",
    "path", "recursive", "regexp", "rlike", "row", "rows", "select", "some", "table", "then", "union", "using",
    "value", "values", "when", "where", "window", "with", "xor",
    // Types in CAST/CONVERT.
    "bigint", "binary", "bit", "char", "date", "datetime", "dec", "decimal", "double", "float", "int", "integer",
    "nchar", "numeric", "real", "signed", "time", "timestamp", "unsigned", "varbinary", "varchar", "year",
];

/// Harmless built-in functions, by class (names with `json_` or `st_` are
/// allowed as classes of their own).
#[rustfmt::skip]
const BUILT_INS: &[&str] = &[
    // aggregate and window
    "avg", "bit_and", "bit_or", "bit_xor", "count", "cume_dist", "dense_rank", "first_value", "group_concat", "lag",
    "last_value", "lead", "max", "median", "min", "nth_value", "ntile", "percent_rank", "percentile_cont",
    "percentile_disc", "rank", "row_number", "std", "stddev", "stddev_pop", "stddev_samp", "sum", "var_pop",
    "var_samp", "variance",
    // string
    "ascii", "bin", "bit_length", "char_length", "character_length", "chr", "concat", "concat_ws", "elt",
    "export_set", "field", "find_in_set", "format", "from_base64", "hex", "insert", "instr", "lcase", "left",
    "length", "lengthb", "locate", "lower", "lpad", "ltrim", "make_set", "mid", "natural_sort_key", "oct",
    "octet_length", "ord", "position", "quote", "regexp_instr", "regexp_like", "regexp_replace", "regexp_substr",
    "repeat", "replace", "reverse", "right", "rpad", "rtrim", "sformat", "soundex", "space", "strcmp", "substr",
    "substring", "substring_index", "to_base64", "to_char", "trim", "ucase", "unhex", "upper", "weight_string",
    // numeric
    "abs", "acos", "asin", "atan", "atan2", "bit_count", "ceil", "ceiling", "conv", "cos", "cot", "crc32",
    "degrees", "exp", "floor", "greatest", "least", "ln", "log", "log10", "log2", "pi", "pow", "power", "radians",
    "rand", "round", "sign", "sin", "sqrt", "tan", "truncate",
    // date and time
    "adddate", "addtime", "convert_tz", "curdate", "current_date", "current_time", "current_timestamp", "curtime",
    "date_add", "date_format", "date_sub", "datediff", "day", "dayname", "dayofmonth", "dayofweek", "dayofyear",
    "extract", "from_days", "from_unixtime", "get_format", "hour", "last_day", "localtime", "localtimestamp",
    "makedate", "maketime", "microsecond", "minute", "month", "monthname", "now", "period_add", "period_diff",
    "quarter", "sec_to_time", "second", "str_to_date", "subdate", "subtime", "sysdate", "time_format",
    "time_to_sec", "timediff", "timestampadd", "timestampdiff", "to_days", "to_seconds", "unix_timestamp",
    "utc_date", "utc_time", "utc_timestamp", "week", "weekday", "weekofyear", "yearweek",
    // cast, control flow, comparison
    "cast", "coalesce", "convert", "decode_oracle", "if", "ifnull", "isnull", "nullif", "nvl", "nvl2",
    // hashing, encoding, identifiers
    "aes_decrypt", "aes_encrypt", "compress", "inet6_aton", "inet6_ntoa", "inet_aton", "inet_ntoa", "is_ipv4",
    "is_ipv4_compat", "is_ipv4_mapped", "is_ipv6", "md5", "random_bytes", "sha", "sha1", "sha2", "uncompress",
    "uncompressed_length", "uuid", "uuid_short", "sys_guid",
    // information
    "charset", "coercibility", "collation", "connection_id", "current_role", "current_user", "database",
    "found_rows", "row_count", "schema", "session_user", "system_user", "user", "version",
    // dynamic columns, geometry constructors
    "column_add", "column_check", "column_create", "column_delete", "column_exists", "column_get", "column_json",
    "column_list", "geometrycollection", "linestring", "multilinestring", "multipoint", "multipolygon", "point",
    "polygon",
    // time, bounded by the statement timeout
    "sleep",
];

fn refuse(what: &str, rule: &str) -> EngineError {
    EngineError::ReadOnly(format!("{what} is not allowed in a read-only query: {rule}"))
}

/// Checks a read-only statement `sql` (already scanned as `scan`) against
/// the rules above; `allowed` are the connection's extra function names
/// (`name` or `db.name`, case-insensitive).
pub(crate) fn check(sql: &str, scan: &SqlScan, allowed: &[String]) -> Result<(), EngineError> {
    let text = |i: usize| &sql[scan.tokens[i].start..scan.tokens[i].end];
    for t in &scan.tokens {
        let body = &sql[t.start..t.end];
        if t.kind == TokenKind::Executable {
            return Err(refuse("an executable comment (/*! … */)", "the server runs its body as SQL"));
        }
        if t.kind == TokenKind::Comment && body.starts_with("/*+") {
            return Err(refuse("an optimizer hint (/*+ … */)", "hints can set variables and time limits"));
        }
    }
    // Code tokens, by index into `scan.tokens`.
    let code: Vec<usize> = (0..scan.tokens.len()).filter(|&i| scan.tokens[i].kind != TokenKind::Comment).collect();
    let word = |k: usize| code.get(k).filter(|&&i| scan.tokens[i].kind == TokenKind::Word).map(|&i| text(i));
    let is = |k: usize, w: &str| word(k).is_some_and(|x| x.eq_ignore_ascii_case(w));
    let sym = |k: usize, s: &str| code.get(k).is_some_and(|&i| text(i) == s);
    let lead = word(0).map(str::to_ascii_lowercase);
    match lead.as_deref() {
        Some("select" | "values" | "table" | "show" | "describe" | "desc" | "explain") => {}
        Some("with") => check_with_body(&code, &is, &sym)?,
        None if sym(0, "(") => {}
        other => {
            let name = other.map_or_else(|| code.first().map_or("", |&i| text(i)).to_string(), str::to_uppercase);
            return Err(refuse(
                &format!("a {name} statement"),
                "a read-only query is a SELECT (or WITH … SELECT, VALUES, TABLE, SHOW, DESCRIBE, EXPLAIN)",
            ));
        }
    }
    for k in 0..code.len() {
        let rule = if is(k, "into") {
            Some(("SELECT … INTO", "it writes a file or sets variables"))
        } else if is(k, "for") && (is(k + 1, "update") || is(k + 1, "share")) {
            Some(("FOR UPDATE/FOR SHARE", "it locks rows"))
        } else if is(k, "lock") && is(k + 1, "in") {
            Some(("LOCK IN SHARE MODE", "it locks rows"))
        } else if sym(k, ":=") {
            Some((":=", "it assigns a user variable"))
        } else if (is(k, "next") || is(k, "previous")) && is(k + 1, "value") && is(k + 2, "for") {
            Some(("NEXT/PREVIOUS VALUE FOR", "it reads or advances a sequence"))
        } else if is(k, "returning") {
            Some(("RETURNING", "it belongs to a statement that modifies data"))
        } else if is(k, "analyze") {
            Some(("ANALYZE", "it runs the statement or updates statistics"))
        } else {
            None
        };
        if let Some((what, why)) = rule {
            return Err(refuse(what, why));
        }
    }
    for call in &scan.calls {
        check_call(sql, scan, &code, call, allowed)?;
    }
    Ok(())
}

/// After `WITH [RECURSIVE] name [(cols)] AS (…) [, …]` must come a SELECT.
fn check_with_body(
    code: &[usize],
    is: &dyn Fn(usize, &str) -> bool,
    sym: &dyn Fn(usize, &str) -> bool,
) -> Result<(), EngineError> {
    let skip_parens = |mut k: usize| {
        let mut depth = 0usize;
        while k < code.len() {
            if sym(k, "(") {
                depth += 1;
            } else if sym(k, ")") {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
            k += 1;
        }
        k
    };
    let mut k = 1 + usize::from(is(1, "recursive"));
    loop {
        k += 1; // the name
        if sym(k, "(") {
            k = skip_parens(k);
        }
        if !is(k, "as") {
            break;
        }
        k = skip_parens(k + 1);
        if !sym(k, ",") {
            break;
        }
        k += 1;
    }
    if is(k, "select") || is(k, "values") || is(k, "table") || sym(k, "(") {
        Ok(())
    } else {
        Err(refuse("WITH … followed by anything but SELECT", "only the SELECT form of WITH reads without writing"))
    }
}

fn check_call(
    sql: &str,
    scan: &SqlScan,
    code: &[usize],
    call: &shared_model::FunctionCall,
    allowed: &[String],
) -> Result<(), EngineError> {
    let name = call.name.to_ascii_lowercase();
    let pos = code.iter().position(|&i| scan.tokens[i].start == call.start);
    let text = |k: usize| code.get(k).map(|&i| &sql[scan.tokens[i].start..scan.tokens[i].end]);
    // `db.f(` is a stored function: built-ins cannot be qualified.
    let qualifier = pos.filter(|&k| k >= 2 && text(k - 1) == Some(".")).and_then(|k| text(k - 2));
    let qualified = qualifier.map(|q| format!("{}.{name}", q.trim_matches('`').to_ascii_lowercase()));
    let listed = |n: &str| allowed.iter().any(|a| a.eq_ignore_ascii_case(n));
    if let Some(full) = &qualified {
        if listed(full) {
            return Ok(());
        }
        return Err(refuse(
            &format!("{full}()"),
            "it is a stored function; an administrator can add it to the connection's allowed_functions",
        ));
    }
    if listed(&name) {
        return Ok(());
    }
    if let Some((_, why)) = REFUSED.iter().find(|(n, _)| *n == name) {
        return Err(refuse(&format!("{}()", name.to_uppercase()), why));
    }
    let is_cte = pos.is_some_and(|k| {
        // `name (cols) AS (` defines a CTE, it calls nothing (a call is
        // never followed by `AS (`).
        let mut depth = 0usize;
        for j in k + 1..code.len() {
            match text(j) {
                Some("(") => depth += 1,
                Some(")") if depth == 1 => {
                    return text(j + 1).is_some_and(|w| w.eq_ignore_ascii_case("as")) && text(j + 2) == Some("(");
                }
                Some(")") => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        false
    });
    if is_cte
        || SYNTAX.contains(&name.as_str())
        || BUILT_INS.contains(&name.as_str())
        || name.starts_with("json_")
        || name.starts_with("st_")
    {
        return Ok(());
    }
    Err(refuse(
        &format!("{}()", call.name),
        "it is not a known harmless built-in function (string, numeric, date, JSON, aggregate, window, cast, \
         information…); an administrator can add a stored function to the connection's allowed_functions",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_model::{Dialect, scan_sql};

    fn verdict(sql: &str) -> Result<(), String> {
        let scan = scan_sql(sql, Dialect::MySql)?;
        check(sql, &scan, &["app.safe_fn".into(), "local_fn".into()]).map_err(|e| e.to_string())
    }

    #[test]
    fn ordinary_reads_pass() {
        for sql in [
            "SELECT id, COUNT(*), MAX(x), CONCAT(a, 'b') FROM t WHERE a IN (1, 2) GROUP BY id",
            "WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
            "WITH a AS (SELECT 1), b AS (SELECT 2) SELECT * FROM a, b",
            "(SELECT 1) UNION (SELECT 2)",
            "SELECT CAST(x AS DECIMAL(10, 2)), JSON_EXTRACT(j, '$.a'), ROW_NUMBER() OVER (PARTITION BY a) FROM t",
            "SELECT app.safe_fn(1), local_fn(2), SLEEP(0)",
            "SELECT 'INTO OUTFILE', `into` FROM t -- FOR UPDATE",
        ] {
            assert_eq!(verdict(sql), Ok(()), "{sql}");
        }
    }

    #[test]
    fn refusals_name_the_construct_and_the_rule() {
        for (sql, names) in [
            ("SELECT LOAD_FILE('/etc/passwd')", "LOAD_FILE() is not allowed in a read-only query: reads server files"),
            ("SELECT other.f(1)", "other.f()"),
            ("SELECT sys_exec('id')", "SYS_EXEC()"),
            ("SELECT 1 INTO @x", "SELECT … INTO"),
            ("SELECT * FROM t FOR UPDATE", "FOR UPDATE"),
            ("SELECT * FROM t LOCK IN SHARE MODE", "LOCK IN SHARE MODE"),
            ("SELECT @a := 1", ":="),
            ("SELECT NEXT VALUE FOR s", "NEXT/PREVIOUS VALUE FOR"),
            ("DELETE FROM t RETURNING *", "a DELETE statement"),
            ("WITH d AS (SELECT 1) DELETE FROM t", "WITH …"),
            ("SELECT /*! LOAD_FILE('x') */", "executable comment"),
            ("SELECT /*+ MAX_EXECUTION_TIME(1000) */ 1", "optimizer hint"),
            ("ANALYZE SELECT 1", "ANALYZE"),
        ] {
            let err = verdict(sql).unwrap_err();
            assert!(err.contains(names), "{sql}: {err}");
        }
    }
}
