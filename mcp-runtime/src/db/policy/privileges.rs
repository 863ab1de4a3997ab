//! Least privilege: the connection test warns when the login can do more
//! than a read-only tool needs. The checks only read the catalog
//! (`pg_roles`, `pg_has_role`) or `SHOW GRANTS`; nothing is changed.

/// PostgreSQL roles whose members can act on the server beyond their own
/// tables: signal sessions, read or write server files, run programs, see
/// every session's queries, write every table.
pub(crate) const PG_DANGEROUS_ROLES: &[&str] = &[
    "pg_signal_backend",
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_execute_server_program",
    "pg_monitor",
    "pg_read_all_settings",
    "pg_read_all_stats",
    "pg_write_all_data",
    "pg_checkpoint",
    "pg_create_subscription",
];

/// Asks for the attributes and dangerous role memberships of the login
/// (`$1` empty) and of the `read_only_role` (`$1`), one row each:
/// name, super, replication, bypassrls, createrole, member-of list, and
/// whether the login may `SET ROLE` to it.
pub(crate) const PG_ROLE_QUERY: &str = "\
SELECT r.rolname, r.rolsuper, r.rolreplication, r.rolbypassrls, r.rolcreaterole, \
       array_to_string(ARRAY(SELECT b.rolname FROM pg_roles b \
         WHERE b.rolname = ANY ($2::text[]) AND pg_has_role(r.oid, b.oid, 'MEMBER') ORDER BY 1), ', '), \
       pg_has_role(current_user, r.oid, 'MEMBER') \
  FROM pg_roles r WHERE r.rolname = current_user OR r.rolname = $1 \
 ORDER BY r.rolname = current_user DESC";

/// Warnings for the rows of [`PG_ROLE_QUERY`] (text values, `t`/`f` booleans).
pub(crate) fn pg_warnings(rows: &[Vec<Option<String>>], read_only_role: Option<&str>) -> Vec<String> {
    let cell = |r: &Vec<Option<String>>, i: usize| r.get(i).cloned().flatten().unwrap_or_default();
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let who =
            if i == 0 { format!("the login {}", cell(r, 0)) } else { format!("the read-only role {}", cell(r, 0)) };
        let mut held: Vec<&str> = Vec::new();
        for (col, what) in [(1, "SUPERUSER"), (2, "REPLICATION"), (3, "BYPASSRLS"), (4, "CREATEROLE")] {
            if cell(r, col) == "t" {
                held.push(what);
            }
        }
        let members = cell(r, 5);
        if cell(r, 1) != "t" && !members.is_empty() {
            out.push(format!("{who} is a member of {members}, which act on the server beyond its tables"));
        }
        if !held.is_empty() {
            out.push(format!("{who} has {}: read-only tools do not need it", held.join(", ")));
        }
        if i > 0 && cell(r, 6) != "t" {
            out.push(format!("the login cannot SET ROLE {}: grant it the role, or read-only calls fail", cell(r, 0)));
        }
    }
    if let Some(role) = read_only_role.filter(|_| rows.len() < 2) {
        out.push(format!("the read-only role {role} does not exist: read-only calls will fail"));
    }
    if !out.is_empty() && read_only_role.is_none() {
        out.push(
            "set a read_only_role (e.g. CREATE ROLE quarry_reader NOLOGIN; GRANT pg_read_all_data TO quarry_reader) \
             or log in as a less privileged user"
                .into(),
        );
    }
    out
}

/// MariaDB/MySQL privileges that reach beyond reading tables.
const MYSQL_DANGEROUS: &[&str] = &[
    "ALL PRIVILEGES",
    "SUPER",
    "FILE",
    "PROCESS",
    "SHUTDOWN",
    "RELOAD",
    "CREATE USER",
    "BINLOG ADMIN",
    "BINLOG REPLAY",
    "REPLICATION MASTER ADMIN",
    "REPLICATION SLAVE ADMIN",
    "REPLICATION SLAVE",
    "REPLICA MONITOR",
    "CONNECTION ADMIN",
    "FEDERATED ADMIN",
    "READ_ONLY ADMIN",
    "SYSTEM_VARIABLES_ADMIN",
];

/// Warnings for the lines of `SHOW GRANTS` (`GRANT <privs> ON <scope> TO …`).
pub(crate) fn mysql_warnings(grants: &[String]) -> Vec<String> {
    let mut held: Vec<String> = Vec::new();
    for line in grants {
        let upper = line.to_ascii_uppercase();
        let Some(rest) = upper.strip_prefix("GRANT ") else { continue };
        let Some((privs, after)) = rest.split_once(" ON ") else { continue };
        let scope = after.split(" TO ").next().unwrap_or("").trim().to_string();
        for p in privs.split(',').map(str::trim) {
            if MYSQL_DANGEROUS.contains(&p) {
                held.push(format!("{p} on {scope}"));
            }
        }
        if upper.contains("WITH GRANT OPTION") {
            held.push(format!("GRANT OPTION on {scope}"));
        }
    }
    held.dedup();
    if held.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "the login holds {}: read-only tools need only SELECT; log in as a user with SELECT on the tools' tables",
        held.join(", ")
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<Option<String>> {
        cells.iter().map(|c| Some(c.to_string())).collect()
    }

    #[test]
    fn a_superuser_login_is_warned_about_and_offered_a_role() {
        let w = pg_warnings(&[row(&["postgres", "t", "t", "t", "t", "pg_monitor", "t"])], None);
        assert!(w[0].contains("SUPERUSER, REPLICATION, BYPASSRLS, CREATEROLE"), "{w:?}");
        assert!(w.last().is_some_and(|l| l.contains("pg_read_all_data")), "{w:?}");
        let plain = pg_warnings(&[row(&["app", "f", "f", "f", "f", "", "t"])], None);
        assert!(plain.is_empty(), "{plain:?}");
        let missing = pg_warnings(&[row(&["app", "f", "f", "f", "f", "", "t"])], Some("reader"));
        assert!(missing[0].contains("reader does not exist"), "{missing:?}");
    }

    #[test]
    fn mariadb_grants_beyond_select_are_named() {
        let w = mysql_warnings(&[
            "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION".into(),
            "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION".into(),
        ]);
        assert!(w[0].contains("ALL PRIVILEGES on *.*") && w[0].contains("GRANT OPTION"), "{w:?}");
        let w = mysql_warnings(&["GRANT FILE, PROCESS ON *.* TO `u`@`%`".into()]);
        assert!(w[0].contains("FILE on *.*, PROCESS on *.*"), "{w:?}");
        assert!(mysql_warnings(&["GRANT SELECT ON `app`.* TO `u`@`%`".into()]).is_empty());
    }
}
