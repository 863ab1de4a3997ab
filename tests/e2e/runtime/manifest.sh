#!/usr/bin/env bash
# Prints a manifest serving the seeded `orders` table of PostgreSQL database
# $1 and MariaDB database $2 (trust / passwordless logins on this machine).
set -euo pipefail
pg_db=$1 my_db=$2
tools() { # connection prefix array-match
  cat <<JSON
    {"name": "$2_orders_by_customer", "connection": "$1",
     "description": "Orders of one customer, newest first.",
     "sql": "SELECT id, status, amount FROM orders WHERE customer_id = :customer_id ORDER BY id",
     "parameters": [{"name": "customer_id", "type": "integer", "min": 1, "description": "Customer id"}]},
    {"name": "$2_orders_by_status", "connection": "$1",
     "sql": "SELECT id FROM orders WHERE $3 ORDER BY id",
     "parameters": [{"name": "statuses", "type": "array", "item_type": "string"}]},
    {"name": "$2_delete_all", "connection": "$1", "sql": "DELETE FROM orders"}
JSON
}
cat <<JSON
{"format_version": 1, "release": 1,
 "server": {"name": "quarry-e2e", "instructions": "Orders on PostgreSQL and MariaDB.", "expose_db_errors": true},
 "connections": [
   {"id": "pg", "db_type": "postgresql", "host": "127.0.0.1", "port": 5432, "database": "$pg_db",
    "username": "postgres", "ssl_mode": "disable"},
   {"id": "maria", "db_type": "mysql", "host": "127.0.0.1", "port": 3306, "database": "$my_db",
    "username": "root", "ssl_mode": "disable"}],
 "tools": [
$(tools pg pg "status = ANY(:statuses)"),
$(tools maria my "status IN (:statuses)")
 ]}
JSON
