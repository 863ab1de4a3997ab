//! Config as code: `quarry export` prints the configuration document and
//! `quarry apply FILE` makes the store match it, both straight against the
//! store (`QUARRY_DATABASE_URL`), as [`Actor::System`]. `apply` is one
//! transaction: all of the file or nothing. Secrets in the file may be
//! `${VAR}` references, resolved from this process's environment and never
//! written back (export writes no secrets at all).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use shared_model::Keyring;

use crate::model::Actor;
use crate::portable::{self, Format, ImportPlan, Options};
use crate::storage::{self, StoreError};
use crate::{Config, keys};

/// `quarry export [--format yaml|json]`: the document on stdout (YAML by default);
/// `quarry export --schema`: its JSON Schema.
pub async fn export(args: &[&str]) -> anyhow::Result<()> {
    let format = match args {
        [] => Format::Yaml,
        ["--format", f] => Format::parse(f).with_context(|| format!("--format takes yaml or json, not {f:?}"))?,
        ["--schema"] => {
            println!("{}", serde_json::to_string_pretty(&portable::PortableDocument::json_schema())?);
            return Ok(());
        }
        _ => bail!("usage: quarry export [--format yaml|json] | quarry export --schema"),
    };
    let db = storage::connect(&Config::from_env()?.database_url).await?;
    print!("{}", portable::parse::to_text(&portable::export(&db).await?, format));
    Ok(())
}

/// `quarry apply FILE [--dry-run] [--prune]`.
pub async fn apply(args: &[&str]) -> anyhow::Result<()> {
    let (mut file, mut dry_run, mut prune) = (None, false, false);
    for arg in args {
        match *arg {
            "--dry-run" => dry_run = true,
            "--prune" => prune = true,
            f if !f.starts_with("--") && file.is_none() => file = Some(f),
            other => bail!("unknown option {other:?}; usage: quarry apply FILE [--dry-run] [--prune]"),
        }
    }
    let file = file.context("usage: quarry apply FILE [--dry-run] [--prune] (FILE is YAML or JSON; - reads stdin)")?;
    let text = if file == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?
    };
    let is_json = Path::new(file).extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let format = if is_json { Format::Json } else { Format::Yaml };
    let doc = portable::parse::read_text(&text, format).map_err(|p| problems(file, &p))?;
    let config = Config::from_env()?;
    let db = storage::connect(&config.database_url).await?;
    let keyring = store_keyring(&config)?;
    let opts = Options { prune, env: Some(&env_var) };
    let result = if dry_run {
        portable::plan(&db, &keyring, doc, opts).await
    } else {
        storage::write(&db, &Actor::System, move |w| {
            Box::pin(async move { portable::apply(w, &keyring, doc, opts).await })
        })
        .await
    };
    let plan = match result {
        Ok(plan) => plan,
        Err(StoreError::Invalid(p)) => return Err(problems(file, &p)),
        Err(e) => return Err(e.into()),
    };
    print!("{}", table(&plan));
    let s = &plan.summary;
    let counts = format!(
        "{} to create, {} to update, {} unchanged, {} to delete, {} in conflict",
        s.create, s.update, s.unchanged, s.delete, s.conflict
    );
    if s.conflict > 0 {
        bail!("{counts}: resolve the conflicts; nothing was changed");
    }
    if plan.applied {
        println!("Applied: {}.", counts.replace(" to ", " "));
    } else {
        println!("Dry run, nothing was changed: {counts}.");
    }
    Ok(())
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The store's keyring; never generated here, or secrets would be sealed with a key the server does not have.
fn store_keyring(config: &Config) -> anyhow::Result<Keyring> {
    let file = config.data_dir.join("encryption.key");
    if config.encryption_key.is_none() && !file.exists() {
        bail!(
            "no store key: set QUARRY_ENCRYPTION_KEY or QUARRY_DATA_DIR to the control plane's ({} is missing)",
            file.display()
        );
    }
    let key = keys::load_or_generate(
        config.encryption_key.as_ref(),
        &config.data_dir,
        "encryption.key",
        Keyring::generate_key,
    )?;
    Keyring::from_base64_list(&key).context("QUARRY_ENCRYPTION_KEY")
}

fn problems(file: &str, p: &shared_model::Problems) -> anyhow::Error {
    let lines: Vec<String> = p.0.iter().map(|p| format!("  {}: {}", p.path, p.message)).collect();
    anyhow::anyhow!("{file} was refused, nothing was changed:\n{}", lines.join("\n"))
}

/// The plan as aligned columns: action, kind, name, reason.
pub fn table(plan: &ImportPlan) -> String {
    let width = plan.items.iter().map(|i| i.name.chars().count()).max().unwrap_or(4).max(4);
    let mut out = format!("{:<10} {:<10} {:<width$} REASON\n", "ACTION", "KIND", "NAME");
    for i in &plan.items {
        let _ = writeln!(out, "{:<10} {:<10} {:<width$} {}", i.action.as_str(), i.kind.as_str(), i.name, i.reason);
    }
    out
}
