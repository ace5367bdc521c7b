//! The private details behind the segment module's errors.

use std::fmt;

use crate::error::{Error, ErrorKind, Span};

/// The largest edit distance [`crate::error::suggest`] accepts.
const SUGGEST_DISTANCE: usize = 3;

/// Returns the candidate closest to `word`, as [`crate::error::suggest`]
/// does, comparing only candidates whose length (in `char`s) is within
/// reach of the word's. An edit distance is at least the difference in
/// length, so the answer is the same; but an unknown name of 60 KB now costs
/// a length check per candidate instead of a 60 KB-by-name table for each.
pub(crate) fn suggest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    let n = word.chars().count();
    crate::error::suggest(
        word,
        candidates
            .into_iter()
            .filter(move |c| c.chars().count().abs_diff(n) <= SUGGEST_DISTANCE),
    )
}

/// What went wrong while parsing, checking or compiling an expression.
///
/// Each variant turns into a public [`Error`] of the matching
/// [`ErrorKind`]; the `Display` text is the error's message.
#[derive(Debug)]
pub(crate) enum Detail {
    /// The lexer or parser met something the grammar does not allow.
    Syntax(String),
    /// The expression nests deeper than the limit.
    TooDeep { limit: usize },
    /// The text is longer than the limit.
    TooLong { len: usize, limit: usize },
    /// A field path the schema does not know.
    UnknownField {
        path: String,
        scope: String,
        suggestion: Option<String>,
    },
    /// An event name the schema does not know.
    UnknownEvent {
        name: String,
        suggestion: Option<String>,
    },
    /// A segment name the catalog does not know.
    UnknownSegment {
        name: String,
        suggestion: Option<String>,
    },
    /// Segments that refer to each other in a loop.
    Cycle { path: Vec<String> },
    /// Types that do not fit together.
    Type(String),
    /// A caller-supplied name or parameter that breaks a rule.
    InvalidInput(String),
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hint = |f: &mut fmt::Formatter<'_>, s: &Option<String>| match s {
            Some(s) => write!(f, "; did you mean {s:?}?"),
            None => Ok(()),
        };
        match self {
            Detail::Syntax(msg) | Detail::Type(msg) | Detail::InvalidInput(msg) => f.write_str(msg),
            Detail::TooDeep { limit } => {
                write!(
                    f,
                    "expression nests deeper than the limit of {limit} levels"
                )
            }
            Detail::TooLong { len, limit } => write!(
                f,
                "expression of {len} bytes exceeds the limit of {limit} bytes"
            ),
            Detail::UnknownField {
                path,
                scope,
                suggestion,
            } => {
                write!(f, "unknown field {path:?} in {scope}")?;
                hint(f, suggestion)
            }
            Detail::UnknownEvent { name, suggestion } => {
                write!(f, "unknown event {name:?}")?;
                hint(f, suggestion)
            }
            Detail::UnknownSegment { name, suggestion } => {
                write!(f, "unknown segment {name:?}")?;
                hint(f, suggestion)
            }
            Detail::Cycle { path } => write!(
                f,
                "segment {:?} refers to itself through {}",
                path.first().map_or("", String::as_str),
                path.join(" -> ")
            ),
        }
    }
}

impl Detail {
    fn kind(&self) -> ErrorKind {
        match self {
            Detail::Syntax(_) => ErrorKind::Syntax,
            Detail::TooDeep { .. } | Detail::TooLong { .. } => ErrorKind::LimitExceeded,
            Detail::UnknownField { .. }
            | Detail::UnknownEvent { .. }
            | Detail::UnknownSegment { .. } => ErrorKind::UnknownField,
            Detail::Cycle { .. } | Detail::Type(_) => ErrorKind::Type,
            Detail::InvalidInput(_) => ErrorKind::InvalidInput,
        }
    }

    /// Turns the detail into a public error pointing at `span` of `input`,
    /// when both are known.
    #[cold]
    pub(crate) fn at(self, input: Option<&str>, span: Option<Span>) -> Error {
        let err = Error::from(self);
        match (input, span) {
            (Some(input), Some(span)) => err.with_span(input, span),
            _ => err,
        }
    }
}

impl From<Detail> for Error {
    #[cold]
    fn from(detail: Detail) -> Error {
        Error::new(detail.kind(), detail)
    }
}
