//! Output formats: Prometheus text exposition and the JSON aggregates of
//! `/internal/stats`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;

use serde::Serialize;
use serde_json::{Value, json};

use super::{BUCKETS_SECONDS, Metrics, Snapshot};

/// Pool occupancy of one connection, as the engine reports it.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections lent out.
    pub in_use: u64,
    /// Connections open and idle.
    pub idle: u64,
    /// Configured maximum.
    pub max: u64,
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn histogram(out: &mut String, name: &str, lbl: &str, s: &Snapshot) {
    let mut cumulative = 0;
    for (i, n) in s.buckets.iter().enumerate() {
        cumulative += n;
        let le = BUCKETS_SECONDS.get(i).map_or("+Inf".to_string(), |b| b.to_string());
        let _ = writeln!(out, "{name}_bucket{{{lbl},le=\"{le}\"}} {cumulative}");
    }
    let _ = writeln!(out, "{name}_sum{{{lbl}}} {}", s.sum_seconds);
    let _ = writeln!(out, "{name}_count{{{lbl}}} {}", s.count);
}

impl Metrics {
    /// Prometheus text format (version 0.0.4).
    pub fn render_prometheus(&self, release: u64, pools: &BTreeMap<String, PoolStatus>) -> String {
        let mut out = String::with_capacity(4096);
        let _ = writeln!(out, "# HELP quarry_release Release number being served.\n# TYPE quarry_release gauge");
        let _ = writeln!(out, "quarry_release {release}");
        let tools = self.tools_snapshot();
        type Counter = fn(&super::ToolStats) -> u64;
        let kinds: [(&str, &str, Counter); 3] = [
            ("quarry_tool_calls_total", "Tool and resource calls finished.", |t| t.calls.load(Relaxed)),
            ("quarry_tool_errors_total", "Calls that returned an error.", |t| t.errors.load(Relaxed)),
            ("quarry_tool_cache_hits_total", "Calls answered from the cache.", |t| t.cache_hits.load(Relaxed)),
        ];
        for (name, help, get) in kinds {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (tool, t) in &tools {
                let _ = writeln!(out, "{name}{{tool=\"{}\"}} {}", label(tool), get(t));
            }
        }
        let _ = writeln!(
            out,
            "# HELP quarry_tool_duration_seconds Call latency.\n# TYPE quarry_tool_duration_seconds histogram"
        );
        for (tool, t) in &tools {
            histogram(
                &mut out,
                "quarry_tool_duration_seconds",
                &format!("tool=\"{}\"", label(tool)),
                &t.latency.snapshot(),
            );
        }
        let conns = self.conns_snapshot();
        type Get = fn(&super::ConnStats) -> i64;
        let gauges: [(&str, &str, &str, Get); 6] = [
            ("quarry_queue_active", "gauge", "Queries running.", |c| c.active.load(Relaxed)),
            ("quarry_queue_waiting", "gauge", "Calls waiting for a slot.", |c| c.waiting.load(Relaxed)),
            ("quarry_queue_admitted_total", "counter", "Calls admitted.", |c| c.admitted.load(Relaxed) as i64),
            ("quarry_queue_rejected_total", "counter", "Calls refused: line full.", |c| {
                c.rejected.load(Relaxed) as i64
            }),
            ("quarry_queue_timeouts_total", "counter", "Calls that waited too long.", |c| {
                c.timed_out.load(Relaxed) as i64
            }),
            ("quarry_queue_cancelled_total", "counter", "Calls cancelled while waiting.", |c| {
                c.cancelled.load(Relaxed) as i64
            }),
        ];
        for (name, kind, help, get) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (id, c) in &conns {
                let _ = writeln!(out, "{name}{{connection=\"{}\"}} {}", label(id), get(c));
            }
        }
        let _ = writeln!(
            out,
            "# HELP quarry_queue_wait_seconds Time waiting for a slot.\n# TYPE quarry_queue_wait_seconds histogram"
        );
        for (id, c) in &conns {
            histogram(
                &mut out,
                "quarry_queue_wait_seconds",
                &format!("connection=\"{}\"", label(id)),
                &c.wait.snapshot(),
            );
        }
        let _ = writeln!(
            out,
            "# HELP quarry_pool_connections Pool connections by state.\n# TYPE quarry_pool_connections gauge"
        );
        for (id, p) in pools {
            let _ =
                writeln!(out, "quarry_pool_connections{{connection=\"{}\",state=\"in_use\"}} {}", label(id), p.in_use);
            let _ = writeln!(out, "quarry_pool_connections{{connection=\"{}\",state=\"idle\"}} {}", label(id), p.idle);
        }
        out
    }

    /// The JSON aggregates of `/internal/stats` (see the README).
    pub fn stats_json(&self, header: Value, pools: &BTreeMap<String, PoolStatus>, since: u64) -> Value {
        let tools: Vec<Value> = self
            .tools_snapshot()
            .iter()
            .map(|(name, t)| {
                let s = t.latency.snapshot();
                json!({
                    "name": name, "calls": t.calls.load(Relaxed), "errors": t.errors.load(Relaxed),
                    "cache_hits": t.cache_hits.load(Relaxed), "min_ms": s.min_ms, "avg_ms": s.avg_ms(),
                    "max_ms": s.max_ms, "p50_ms": s.quantile_ms(0.5), "p95_ms": s.quantile_ms(0.95),
                    "p99_ms": s.quantile_ms(0.99),
                })
            })
            .collect();
        let conns: Vec<Value> = self
            .conns_snapshot()
            .iter()
            .map(|(id, c)| {
                let w = c.wait.snapshot();
                json!({
                    "id": id, "active": c.active.load(Relaxed), "waiting": c.waiting.load(Relaxed),
                    "peak_active": c.peak_active.load(Relaxed), "admitted": c.admitted.load(Relaxed),
                    "rejected": c.rejected.load(Relaxed), "timed_out": c.timed_out.load(Relaxed),
                    "cancelled": c.cancelled.load(Relaxed), "avg_wait_ms": w.avg_ms(), "max_wait_ms": w.max_ms,
                    "p95_wait_ms": w.quantile_ms(0.95), "pool": pools.get(id),
                })
            })
            .collect();
        json!({ "runtime": header, "tools": tools, "connections": conns, "timeseries": self.series.since(since) })
    }
}

/// `quarry_connection_up`: each connection's answer to its latest health probe
/// (the family is declared before the first probe too, so its name is stable).
pub fn connection_health(out: &mut String, health: &[(String, Result<(), String>)]) {
    out.push_str(
        "# HELP quarry_connection_up Whether the connection answered its latest health probe (SELECT 1).\n\
         # TYPE quarry_connection_up gauge\n",
    );
    for (id, answer) in health {
        let _ = writeln!(out, "quarry_connection_up{{connection=\"{}\"}} {}", label(id), u8::from(answer.is_ok()));
    }
}
