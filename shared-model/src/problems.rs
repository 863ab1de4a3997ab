//! Validation problems, collected with their path so that a user sees every
//! mistake at once instead of fixing them one round-trip at a time.

use std::fmt;

/// One thing wrong with an input, located by a dotted path such as
/// `tools[2].parameters[0].name`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Where the problem is, as a dotted path from the validated root.
    pub path: String,
    /// What is wrong and, where possible, how to fix it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

/// An accumulator of [`Problem`]s.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// A single problem at `path`.
    pub fn one(path: impl Into<String>, message: impl Into<String>) -> Problems {
        let mut p = Problems::default();
        p.push(path, message);
        p
    }

    /// The same problems with `prefix.` put before each path.
    pub fn prefixed(mut self, prefix: &str) -> Problems {
        for p in &mut self.0 {
            p.path = format!("{prefix}.{}", p.path);
        }
        self
    }

    /// Records a problem at `path`.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem { path: path.into(), message: message.into() });
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when empty, otherwise the collected problems.
    pub fn into_result(self) -> Result<(), Problems> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(Problem::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for Problems {}
