//! Integration tests of the SQL engine against the real PostgreSQL and
//! MariaDB servers (a fresh database per test) and SQLite files.

mod binding;
mod connection_test;
mod limits;
mod mysql_timeout;
mod mysql_types;
mod output_schema;
mod pg_logins;
mod pg_roles;
mod pg_statements;
mod pg_types;
mod pools;
mod read_only;
mod read_only_mysql;
mod read_only_pg;
mod results;
mod scanner_parity;
mod schema;
mod sql_gen;
mod sqlite_types;
mod support;
