//! Log output for both binaries: `QUARRY_LOG` is the filter (default `info`),
//! `QUARRY_LOG_FORMAT` the shape — `text` (default) or `json`, one object per
//! line for log collectors. Colour codes are written only when standard error
//! is a terminal, so files, `docker logs` and Kubernetes never see them.
//! Traces ([`crate::otel`]) are a second layer beside the log output, present
//! only when an OTLP endpoint is set.

use std::io::IsTerminal;

use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::otel::{self, Tracing};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (`timestamp`, `level`, `fields`, `target`, `span`).
    Json,
}

impl LogFormat {
    /// Parses `QUARRY_LOG_FORMAT`; `None` (unset) is text.
    pub fn parse(value: Option<&str>) -> Result<LogFormat, String> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(LogFormat::Text),
            Some(v) if v.eq_ignore_ascii_case("text") => Ok(LogFormat::Text),
            Some(v) if v.eq_ignore_ascii_case("json") => Ok(LogFormat::Json),
            Some(v) => Err(format!("QUARRY_LOG_FORMAT must be text or json, not {v:?}")),
        }
    }
}

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output (the runtime, as it always has).
    Stdout,
    /// Standard error (the control plane, whose standard output carries command results).
    Stderr,
}

/// Installs the global subscriber from `QUARRY_LOG` and `QUARRY_LOG_FORMAT`,
/// writing to `stream`, with OTLP traces for `service` when the environment
/// sets an endpoint (then it must run on a tokio runtime; keep the returned
/// [`Tracing`] and shut it down after the drain). A bad format is reported
/// and text is used, and an exporter that cannot be built is reported and
/// left out, so neither keeps a server from starting.
pub fn init(stream: Stream, service: &'static str) -> Option<Tracing> {
    let filter = EnvFilter::try_from_env("QUARRY_LOG").unwrap_or_else(|_| "info".into());
    let (format, problem) = match LogFormat::parse(std::env::var("QUARRY_LOG_FORMAT").ok().as_deref()) {
        Ok(f) => (f, None),
        Err(e) => (LogFormat::Text, Some(e)),
    };
    let (writer, terminal) = match stream {
        Stream::Stdout => (BoxMakeWriter::new(std::io::stdout), std::io::stdout().is_terminal()),
        Stream::Stderr => (BoxMakeWriter::new(std::io::stderr), std::io::stderr().is_terminal()),
    };
    let (tracing, trace_problem) = match Tracing::install(service) {
        // Two layers: the filter becomes the log output's own, so the exported
        // spans (which it turns off) still reach the exporter.
        Ok(Some((t, traces))) => {
            let filter = filter.add_directive(format!("{}=off", otel::TARGET).parse().expect("a valid directive"));
            let fmt = tracing_subscriber::fmt::layer().with_writer(writer);
            let output: Box<dyn Layer<Registry> + Send + Sync> = match format {
                LogFormat::Json => fmt.json().flatten_event(true).with_current_span(false).with_filter(filter).boxed(),
                LogFormat::Text => fmt.with_ansi(terminal).with_filter(filter).boxed(),
            };
            tracing_subscriber::registry().with(output).with(traces).init();
            (Some(t), None)
        }
        // No traces: the one global filter and log output, exactly as without OpenTelemetry.
        outcome => {
            let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
            match format {
                LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).init(),
                LogFormat::Text => builder.with_ansi(terminal).init(),
            }
            (None, outcome.err())
        }
    };
    if let Some(problem) = problem {
        tracing::warn!(%problem, "Ignoring QUARRY_LOG_FORMAT; logging as text.");
    }
    if let Some(problem) = trace_problem {
        tracing::warn!(%problem, "Traces are off.");
    }
    if tracing.is_some() {
        tracing::info!(service, "Exporting traces over OTLP/HTTP.");
    }
    tracing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_defaults_to_text_and_refuses_unknown_names() {
        assert_eq!(LogFormat::parse(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some(" JSON ")), Ok(LogFormat::Json));
        assert_eq!(LogFormat::parse(Some("")), Ok(LogFormat::Text));
        assert!(LogFormat::parse(Some("yaml")).unwrap_err().contains("text or json"));
    }
}
