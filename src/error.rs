//! The crate's one error type.
//!
//! Every fallible function in custodia returns [`Result<T>`], whose error is
//! [`Error`]: an opaque value that says what kind of failure happened
//! ([`Error::kind`]), why (its [`Display`](std::fmt::Display) message, which
//! names the offending field or value and the rule it broke), and, for errors in
//! text the caller wrote (segment expressions, lexicon files), where
//! ([`Error::span`], [`Error::input`], [`Error::diagnostic`]).
//!
//! Callers add context with [`Error::context`]; the message then reads as a
//! chain joined by `": "`, outermost first.
//!
//! # Examples
//!
//! ```
//! use custodia::error::ErrorKind;
//! use custodia::model::Nps;
//!
//! let err = Nps::new(11).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::InvalidInput);
//! assert_eq!(err.to_string(), "nps 11 is out of range 0..=10");
//!
//! let err = err.context("reading survey answer 42");
//! assert_eq!(err.to_string(), "reading survey answer 42: nps 11 is out of range 0..=10");
//! ```

use std::fmt;
use std::sync::Arc;

/// A specialised `Result` whose error is custodia's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in a form a program can branch on.
///
/// The message of the [`Error`] carries the details; the kind tells a wrapping
/// program how to react (reject the input, fix a configuration, gather more
/// data, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Caller data broke a rule of the model: an email without `@`, an NPS of
    /// 11, a latitude of 91, a malformed ingest message.
    InvalidInput,
    /// A configuration or model parameter is out of its valid range.
    InvalidParameter,
    /// Text in one of custodia's small languages could not be parsed.
    Syntax,
    /// An expression is well formed but its types do not fit together.
    Type,
    /// A field path names no field of the schema.
    UnknownField,
    /// An input exceeds a documented limit (nesting depth, size, count).
    LimitExceeded,
    /// There is too little data to produce a meaningful answer.
    InsufficientData,
    /// A numerical routine did not converge.
    NotConverged,
    /// A lexicon file could not be read.
    Lexicon,
}

impl ErrorKind {
    /// Returns a short lowercase name of the kind, such as `"invalid input"`.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::error::ErrorKind;
    /// assert_eq!(ErrorKind::LimitExceeded.as_str(), "limit exceeded");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::InvalidParameter => "invalid parameter",
            ErrorKind::Syntax => "syntax error",
            ErrorKind::Type => "type error",
            ErrorKind::UnknownField => "unknown field",
            ErrorKind::LimitExceeded => "limit exceeded",
            ErrorKind::InsufficientData => "insufficient data",
            ErrorKind::NotConverged => "not converged",
            ErrorKind::Lexicon => "lexicon error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A half-open range of byte offsets `start..end` into a text the caller wrote.
///
/// Spans are byte offsets so that they can slice the input directly; they
/// always fall on `char` boundaries of the text they were made from.
///
/// # Examples
///
/// ```
/// use custodia::error::Span;
/// let text = "age >= 'x'";
/// let span = Span::new(7, 10);
/// assert_eq!(&text[span.range()], "'x'");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// Returns the span `start..end`; an `end` before `start` is raised to `start`.
    pub const fn new(start: usize, end: usize) -> Span {
        let end = if end < start { start } else { end };
        Span { start, end }
    }

    /// Returns the span as a range, for slicing the text it points into.
    pub const fn range(self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    /// Returns the number of bytes the span covers.
    pub const fn len(self) -> usize {
        self.end - self.start
    }

    /// Returns `true` when the span covers no byte (a position).
    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// The error type of every fallible custodia function.
///
/// It is small (one pointer), cheap to clone, `Send + Sync + 'static`, and
/// implements [`std::error::Error`]. Branch on [`Error::kind`]; show its
/// [`Display`](fmt::Display) text to people.
#[derive(Clone)]
pub struct Error {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    message: Box<str>,
    span: Option<Span>,
    input: Option<Box<str>>,
    cause: Option<Error>,
}

impl Error {
    /// Builds an error of `kind` whose message is `message`.
    ///
    /// Modules build their errors from private detail enums whose `Display`
    /// gives the message; this is the one door they all go through.
    #[cold]
    pub(crate) fn new(kind: ErrorKind, message: impl fmt::Display) -> Error {
        Error {
            inner: Arc::new(Inner {
                kind,
                message: message.to_string().into_boxed_str(),
                span: None,
                input: None,
                cause: None,
            }),
        }
    }

    /// Attaches the text the caller wrote and the span of the problem in it.
    #[cold]
    pub(crate) fn with_span(self, input: &str, span: Span) -> Error {
        let inner = Inner {
            kind: self.inner.kind,
            message: self.inner.message.clone(),
            span: Some(span),
            input: Some(input.into()),
            cause: self.inner.cause.clone(),
        };
        Error {
            inner: Arc::new(inner),
        }
    }

    /// Returns what kind of failure this is.
    ///
    /// For an error with context, this is the kind of the innermost error: the
    /// context says where, the kind says what.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// Returns the span of the problem in the caller's text, for errors in text
    /// such as segment expressions and lexicon files.
    pub fn span(&self) -> Option<Span> {
        self.inner
            .span
            .or_else(|| self.inner.cause.as_ref().and_then(Error::span))
    }

    /// Returns the caller's text the [`span`](Error::span) points into.
    pub fn input(&self) -> Option<&str> {
        match &self.inner.input {
            Some(input) => Some(input),
            None => self.inner.cause.as_ref().and_then(Error::input),
        }
    }

    /// Returns a copy of this error with `context` in front of its message.
    ///
    /// The kind, span and input stay those of the original error, which
    /// [`source`](std::error::Error::source) returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::Latitude;
    /// let err = Latitude::new(91.0).unwrap_err().context("record crm-7");
    /// assert_eq!(err.to_string(), "record crm-7: latitude 91 is out of range -90..=90");
    /// ```
    #[cold]
    #[must_use]
    pub fn context(self, context: impl fmt::Display) -> Error {
        Error {
            inner: Arc::new(Inner {
                kind: self.inner.kind,
                message: context.to_string().into_boxed_str(),
                span: None,
                input: None,
                cause: Some(self),
            }),
        }
    }

    /// Returns the message with the caller's text and a caret line under the
    /// problem, or just the message when the error has no span.
    ///
    /// Lines of the input other than the one holding the span are left out;
    /// the caret line counts characters, not bytes, so it lines up under
    /// non-ASCII text.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::segment::Segment;
    /// let err = Segment::parse("age >= ").unwrap_err();
    /// assert_eq!(
    ///     err.diagnostic(),
    ///     "expected a value, found the end of the expression\n  age >= \n         ^"
    /// );
    /// ```
    pub fn diagnostic(&self) -> String {
        let message = self.to_string();
        let (Some(input), Some(span)) = (self.input(), self.span()) else {
            return message;
        };
        let start = floor_char_boundary(input, span.start.min(input.len()));
        let end = floor_char_boundary(input, span.end.min(input.len())).max(start);
        let line_start = input[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = input[start..].find('\n').map_or(input.len(), |i| start + i);
        let line = &input[line_start..line_end];
        let pad = input[line_start..start].chars().count();
        let width = input[start..end.min(line_end)].chars().count().max(1);
        format!(
            "{message}\n  {line}\n  {}{}",
            " ".repeat(pad),
            "^".repeat(width)
        )
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("message", &self.to_string())
            .field("span", &self.span())
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)?;
        let mut cause = self.inner.cause.as_ref();
        while let Some(err) = cause {
            write!(f, ": {}", err.inner.message)?;
            cause = err.inner.cause.as_ref();
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .cause
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl PartialEq for Error {
    /// Two errors are equal when their kinds, messages and spans are equal.
    fn eq(&self, other: &Error) -> bool {
        self.kind() == other.kind()
            && self.span() == other.span()
            && self.to_string() == other.to_string()
    }
}

impl Eq for Error {}

/// Returns the candidate closest to `word` by edit distance, if it is close
/// enough to be a plausible typo: one edit for words under four characters,
/// else a third of the word's length, between two and three edits.
pub(crate) fn suggest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    let n = word.chars().count();
    let limit = if n < 4 { 1 } else { (n / 3).clamp(2, 3) };
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let d = levenshtein(word, c);
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_owned())
}

/// The edit distance (insertions, deletions, substitutions) between two
/// strings, counted in `char`s; one row of the Wagner-Fischer table.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_counts_edits() {
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("país", "pais"), 1);
        assert_eq!(levenshtein("same", "same"), 0);
    }

    #[test]
    fn suggestions_are_close_or_absent() {
        let c = [
            "geographic.country",
            "geographic.city",
            "demographic.gender",
        ];
        assert_eq!(
            suggest("geographic.contry", c).as_deref(),
            Some("geographic.country")
        );
        assert_eq!(suggest("zzz", c), None);
    }

    #[test]
    fn error_is_one_pointer() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn context_chains_and_keeps_kind_and_source() {
        let err = Error::new(
            ErrorKind::NotConverged,
            "no convergence after 200 iterations",
        )
        .context("fitting BG/NBD")
        .context("customer cohort 1997-Q1");
        assert_eq!(err.kind(), ErrorKind::NotConverged);
        assert_eq!(
            err.to_string(),
            "customer cohort 1997-Q1: fitting BG/NBD: no convergence after 200 iterations"
        );
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some("fitting BG/NBD: no convergence after 200 iterations")
        );
    }

    #[test]
    fn diagnostic_lines_up_under_multibyte_text_and_picks_the_line() {
        let input = "név = \"Ödön\"\nand x >";
        let err = Error::new(ErrorKind::Syntax, "expected a value")
            .with_span(input, Span::new(input.len(), input.len()));
        assert_eq!(err.diagnostic(), "expected a value\n  and x >\n         ^");
        let err = Error::new(ErrorKind::Type, "bad").with_span(input, Span::new(7, 15));
        assert_eq!(err.diagnostic(), "bad\n  név = \"Ödön\"\n        ^^^^^^");
    }

    #[test]
    fn diagnostic_survives_spans_outside_the_text() {
        let err = Error::new(ErrorKind::Syntax, "x").with_span("é", Span::new(1, 99));
        assert_eq!(err.diagnostic(), "x\n  é\n  ^");
    }

    #[test]
    fn span_and_input_survive_context() {
        let err = Error::new(ErrorKind::Syntax, "x")
            .with_span("abc", Span::new(1, 2))
            .context("segment vip");
        assert_eq!(err.span(), Some(Span::new(1, 2)));
        assert_eq!(err.input(), Some("abc"));
    }
}
