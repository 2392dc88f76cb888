//! The connector's one error type. Every variant names its culprit (config field, input file, provider and
//! URL path, stream) so the message shown to the user says what to fix. URL paths never carry a query string,
//! so an API key cannot leak through an error.
use std::fmt;

/// How Airbyte should classify a failure (`failure_type` of a TRACE ERROR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureType {
    Config,
    System,
    Transient,
}

impl FailureType {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureType::Config => "config_error",
            FailureType::System => "system_error",
            FailureType::Transient => "transient_error",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A config value is missing, has the wrong type or is out of range.
    #[error("invalid config field `{field}`: {message}")]
    Config { field: String, message: String },
    /// An input file (config, catalog, state) cannot be read or is not what the protocol says.
    #[error("cannot use {what} file {path}: {message}")]
    Input {
        what: &'static str,
        path: String,
        message: String,
    },
    /// The provider answered with an error (HTTP status, or an error envelope with HTTP 200).
    #[error("{provider} {path}: HTTP {status}: {message}")]
    Http {
        provider: &'static str,
        path: String,
        status: u16,
        message: String,
    },
    /// No answer at all after every attempt: timeout, refused or reset connection, truncated body.
    #[error("{provider} {path}: {message}")]
    Transport {
        provider: &'static str,
        path: String,
        message: String,
    },
    /// The provider answered 200 but the body is not the shape the stream reads.
    #[error("{provider} {path}: unexpected response: {message}")]
    Shape {
        provider: &'static str,
        path: String,
        message: String,
    },
    /// A catalog entry the connector cannot honour (unknown stream, bad sync mode).
    #[error("stream `{stream}`: {message}")]
    Catalog { stream: String, message: String },
    /// Writing Airbyte messages to stdout failed (for example a closed pipe).
    #[error("writing to stdout: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    pub fn config(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Error::Config {
            field: field.into(),
            message: message.to_string(),
        }
    }

    /// The same error with `note` appended to its message (`…: HTTP 429: slow down; {note}`).
    pub fn noted(self, note: &str) -> Self {
        match self {
            Error::Http {
                provider,
                path,
                status,
                message,
            } => Error::Http {
                provider,
                path,
                status,
                message: format!("{message}; {note}"),
            },
            Error::Transport {
                provider,
                path,
                message,
            } => Error::Transport {
                provider,
                path,
                message: format!("{message}; {note}"),
            },
            Error::Shape {
                provider,
                path,
                message,
            } => Error::Shape {
                provider,
                path,
                message: format!("{message}; {note}"),
            },
            other => other,
        }
    }

    /// The Airbyte classification: user-fixable, retry-later, or our bug / the provider's change.
    pub fn failure_type(&self) -> FailureType {
        match self {
            Error::Config { .. } | Error::Input { .. } | Error::Catalog { .. } => {
                FailureType::Config
            }
            Error::Http { status, .. } if matches!(status, 401 | 402 | 403) => FailureType::Config,
            // 202: GitHub still computing statistics after every poll: try again later.
            Error::Http { status, .. } if *status == 202 || *status == 429 || *status >= 500 => {
                FailureType::Transient
            }
            Error::Transport { .. } => FailureType::Transient,
            _ => FailureType::System,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
