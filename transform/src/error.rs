//! The crate's one error type. Every variant names its culprit (file, key, node, selector) so the user
//! can fix the project without guessing. Node failures during `run`/`test` are not errors: they are
//! statuses in the run results; `Error` is for what stops the whole invocation (exit code 2).

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    #[error("no dbt_project.yml in {dir} (use --project-dir to point at the project)")]
    NoProject { dir: PathBuf },

    #[error("{file}:{line}: invalid YAML: {message}")]
    Yaml { file: String, line: usize, message: String },

    #[error("{file}: {message}")]
    Project { file: String, message: String },

    #[error("{file}: unknown {what} `{key}` at {at}{}", did_you_mean(suggestion))]
    UnknownKey { file: String, what: &'static str, key: String, at: String, suggestion: Option<String> },

    #[error("profiles.yml: {message}")]
    Profile { message: String },

    #[error("{0}")]
    Jinja(String),

    #[error("{file}: {node} depends on {what} `{name}` which was not found{}", did_you_mean(suggestion))]
    MissingRef { file: String, node: String, what: &'static str, name: String, suggestion: Option<String> },

    #[error("dependency cycle: {0}")]
    Cycle(String),

    #[error("invalid selector `{selector}`: {message}")]
    Selector { selector: String, message: String },

    #[error("warehouse error: {0}")]
    Warehouse(String),

    #[error("{0}")]
    Usage(String),

    /// `deps` or package loading: a package that cannot be resolved, fetched or installed.
    #[error("{0}")]
    Deps(String),

    #[error("source `{source_name}`: {message}")]
    Source { source_name: String, message: String },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
    pub fn project(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Project { file: file.into(), message: message.into() }
    }
}

pub fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// The closest candidate to `word` if it is close enough to be a plausible typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}
