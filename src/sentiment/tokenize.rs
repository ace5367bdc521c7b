//! Splitting text into tokens that keep their byte spans.
//!
//! The shape follows tantivy's tokenizer API: a [`Tokenizer`] hands out an
//! iterator whose type is a generic associated type, so the common path is
//! monomorphised and allocation-free. Because a trait with a generic
//! associated type cannot be made into a trait object, [`BoxTokenizer`] wraps
//! any tokenizer behind one pointer for programs that choose a tokenizer at
//! run time.

use std::fmt;

use crate::error::{Error, ErrorKind, Result, Span};

use super::error::Detail;

/// What a [`Token`] is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum TokenKind {
    /// Letters (and digits) of any script, with inner apostrophes and hyphens:
    /// `don't`, `e-mail`, `Ödön`, `2nd`.
    Word,
    /// ASCII digits only: `42`.
    Number,
    /// One pictographic emoji, with its variation selectors, skin tones,
    /// zero-width-joiner sequence or flag pair.
    Emoji,
    /// A Western emoticon standing alone between spaces: `:)`, `:-(`, `;D`, `<3`.
    Emoticon,
    /// A run of punctuation or symbols: `!!!`, `?`, `...`, `,`.
    Punctuation,
}

/// One token: a slice of the input, its byte span and its kind.
///
/// A token's [`text`](Token::text) is always `&input[span.range()]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token<'t> {
    text: &'t str,
    span: Span,
    kind: TokenKind,
    all_caps: bool,
}

impl<'t> Token<'t> {
    /// Returns the token covering `span` of `input`, for tokenizers written
    /// outside custodia.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when the span is empty, runs past the end of
    /// `input` or does not fall on `char` boundaries.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::error::Span;
    /// use custodia::sentiment::{Token, TokenKind};
    /// let token = Token::new("so GOOD", Span::new(3, 7), TokenKind::Word)?;
    /// assert_eq!(token.text(), "GOOD");
    /// assert!(token.is_all_caps());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn new(input: &'t str, span: Span, kind: TokenKind) -> Result<Token<'t>> {
        match input.get(span.range()) {
            Some(text) if !text.is_empty() => Ok(Token::from_parts(text, span, kind)),
            _ => Err(Error::new(
                ErrorKind::InvalidInput,
                Detail::BadTokenSpan {
                    span,
                    len: input.len(),
                },
            )),
        }
    }

    #[inline]
    fn from_parts(text: &'t str, span: Span, kind: TokenKind) -> Token<'t> {
        Token {
            text,
            span,
            kind,
            all_caps: is_all_caps(text),
        }
    }

    /// Returns the token's text, a slice of the input.
    #[inline]
    pub fn text(&self) -> &'t str {
        self.text
    }

    /// Returns the token's byte span in the input.
    #[inline]
    pub fn span(&self) -> Span {
        self.span
    }

    /// Returns what the token is made of.
    #[inline]
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// Returns `true` when the token has upper-case letters and no lower-case
    /// ones (`GREAT`, `:D`), the emphasis signal of shouted words.
    #[inline]
    pub fn is_all_caps(&self) -> bool {
        self.all_caps
    }
}

#[inline]
fn is_all_caps(text: &str) -> bool {
    if text.is_ascii() {
        let b = text.as_bytes();
        return b.iter().any(u8::is_ascii_uppercase) && !b.iter().any(u8::is_ascii_lowercase);
    }
    let mut upper = false;
    for c in text.chars() {
        if c.is_lowercase() {
            return false;
        }
        upper |= c.is_uppercase();
    }
    upper
}

/// Splits text into [`Token`]s.
///
/// Implement it for your own tokenizer; wrap it in [`BoxTokenizer`] to store
/// it behind a pointer.
pub trait Tokenizer {
    /// The iterator over the tokens of one text. It borrows the text only, so
    /// tokens outlive the tokenizer (a tokenizer with settings copies them
    /// into its iterator).
    type Tokens<'t>: Iterator<Item = Token<'t>>;

    /// Returns the tokens of `text`, in order, with spans into `text`.
    fn tokens<'t>(&self, text: &'t str) -> Self::Tokens<'t>;
}

/// The default Unicode-aware tokenizer.
///
/// It yields words of any script (with inner apostrophes and hyphens, so
/// `don't` stays one word), numbers, emoji (including joined sequences and
/// flags), emoticons standing between spaces (`:-)`, `;D`, `<3`) and runs of
/// punctuation. Whitespace is dropped; every other character lands in exactly
/// one token.
///
/// # Examples
///
/// ```
/// use custodia::sentiment::{TextTokenizer, TokenKind, Tokenizer};
/// let kinds: Vec<(&str, TokenKind)> = TextTokenizer::new()
///     .tokens("Don't GO :( ok. 👍🏽!!")
///     .map(|t| (t.text(), t.kind()))
///     .collect();
/// assert_eq!(kinds, [
///     ("Don't", TokenKind::Word),
///     ("GO", TokenKind::Word),
///     (":(", TokenKind::Emoticon),
///     ("ok", TokenKind::Word),
///     (".", TokenKind::Punctuation),
///     ("👍🏽", TokenKind::Emoji),
///     ("!!", TokenKind::Punctuation),
/// ]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TextTokenizer {
    _private: (),
}

impl TextTokenizer {
    /// Returns the tokenizer.
    pub const fn new() -> TextTokenizer {
        TextTokenizer { _private: () }
    }
}

impl Tokenizer for TextTokenizer {
    type Tokens<'t> = TextTokens<'t>;

    fn tokens<'t>(&self, text: &'t str) -> TextTokens<'t> {
        TextTokens {
            text,
            pos: 0,
            chunk_start: true,
        }
    }
}

/// The tokens of one text, from [`TextTokenizer::tokens`].
#[derive(Clone, Debug)]
pub struct TextTokens<'t> {
    text: &'t str,
    pos: usize,
    /// Whether `pos` starts a whitespace-separated chunk (emoticons are only
    /// recognised there, so that `f(x):` stays punctuation).
    chunk_start: bool,
}

impl<'t> TextTokens<'t> {
    #[inline]
    fn emit(&mut self, start: usize, end: usize, kind: TokenKind) -> Token<'t> {
        self.pos = end;
        self.chunk_start = false;
        Token::from_parts(&self.text[start..end], Span::new(start, end), kind)
    }
}

impl<'t> Iterator for TextTokens<'t> {
    type Item = Token<'t>;

    fn next(&mut self) -> Option<Token<'t>> {
        let text = self.text;
        let bytes = text.as_bytes();
        // Skip whitespace (ASCII bytes first, the common case).
        loop {
            match bytes.get(self.pos) {
                None => return None,
                Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0B' | b'\x0C') => {
                    self.pos += 1;
                    self.chunk_start = true;
                    continue;
                }
                Some(b) if b.is_ascii() => break,
                Some(_) => {}
            }
            let rest = &text[self.pos..];
            let c = rest.chars().next()?;
            if c.is_whitespace() {
                self.pos += c.len_utf8();
                self.chunk_start = true;
            } else {
                break;
            }
        }
        let start = self.pos;
        if self.chunk_start {
            if let Some(end) = emoticon_at(text, start) {
                return Some(self.emit(start, end, TokenKind::Emoticon));
            }
        }
        let rest = &text[start..];
        let mut chars = rest.char_indices();
        let (_, c) = chars.next()?;
        if is_word_char(c) {
            let mut end = start + c.len_utf8();
            let mut all_digits = c.is_ascii_digit();
            loop {
                // ASCII letters and digits byte by byte; anything else decoded.
                while let Some(b) = bytes.get(end) {
                    if b.is_ascii_alphanumeric() {
                        all_digits &= b.is_ascii_digit();
                        end += 1;
                    } else {
                        break;
                    }
                }
                let Some(next) = text[end..].chars().next() else {
                    break;
                };
                if is_word_char(next) {
                    all_digits &= next.is_ascii_digit();
                    end += next.len_utf8();
                } else if matches!(next, '\'' | '’' | '-') {
                    // Join only between two word characters: `don't`, `e-mail`.
                    let after = end + next.len_utf8();
                    match text[after..].chars().next() {
                        Some(n) if is_word_char(n) => {
                            all_digits = false;
                            end = after;
                        }
                        _ => break,
                    }
                } else {
                    break;
                }
            }
            let kind = if all_digits {
                TokenKind::Number
            } else {
                TokenKind::Word
            };
            return Some(self.emit(start, end, kind));
        }
        if is_pictographic(c) || is_regional_indicator(c) {
            let end = emoji_end(text, start, c);
            return Some(self.emit(start, end, TokenKind::Emoji));
        }
        // A run of punctuation and symbols.
        let mut end = start + c.len_utf8();
        while end < bytes.len() {
            let Some(next) = text[end..].chars().next() else {
                break;
            };
            if next.is_whitespace()
                || is_word_char(next)
                || is_pictographic(next)
                || is_regional_indicator(next)
            {
                break;
            }
            end += next.len_utf8();
        }
        Some(self.emit(start, end, TokenKind::Punctuation))
    }
}

#[inline]
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    c.is_alphanumeric() || ('\u{0300}'..='\u{036F}').contains(&c)
}

#[inline]
fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// Extended pictographic characters (the ranges that hold emoji).
#[inline]
fn is_pictographic(c: char) -> bool {
    let u = c as u32;
    if u < 0xA9 {
        return false;
    }
    matches!(u,
        0xA9 | 0xAE | 0x203C | 0x2049 | 0x2122 | 0x2139 | 0x2194..=0x21AA
        | 0x231A..=0x23FF | 0x24C2 | 0x25AA..=0x25FE | 0x2600..=0x27BF
        | 0x2934 | 0x2935 | 0x2B05..=0x2B55 | 0x3030 | 0x303D | 0x3297 | 0x3299
        | 0x1F000..=0x1F1E5 | 0x1F200..=0x1FAFF)
}

#[inline]
fn is_emoji_modifier(c: char) -> bool {
    matches!(c as u32, 0xFE0E | 0xFE0F | 0x20E3 | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F)
}

fn emoji_end(text: &str, start: usize, first: char) -> usize {
    let mut end = start + first.len_utf8();
    if is_regional_indicator(first) {
        if let Some(c) = text[end..].chars().next() {
            if is_regional_indicator(c) {
                end += c.len_utf8();
            }
        }
        return end;
    }
    loop {
        let mut it = text[end..].chars();
        match it.next() {
            Some(c) if is_emoji_modifier(c) => end += c.len_utf8(),
            Some('\u{200D}') => match it.next() {
                Some(n) if is_pictographic(n) => end += '\u{200D}'.len_utf8() + n.len_utf8(),
                _ => return end,
            },
            _ => return end,
        }
    }
}

/// Returns the end of an emoticon standing alone at `start` (up to the next
/// whitespace, allowing trailing sentence punctuation after it).
fn emoticon_at(text: &str, start: usize) -> Option<usize> {
    let rest = &text.as_bytes()[start..];
    // Fast exit for words: an emoticon never has two letters in a row.
    if rest.len() >= 2 && rest[0].is_ascii_alphanumeric() && rest[1].is_ascii_alphanumeric() {
        return None;
    }
    let len = rest
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b >= 0x80)
        .unwrap_or(rest.len());
    if !(2..=10).contains(&len) {
        return None;
    }
    if rest[len..].first().is_some_and(|b| *b >= 0x80) {
        return None;
    }
    let chunk = &rest[..len];
    // `:).` or `:(!!`: the emoticon, then punctuation as its own token.
    let trimmed = chunk
        .iter()
        .rposition(|b| !matches!(b, b'.' | b',' | b'!' | b'?'))
        .map_or(0, |i| i + 1);
    if trimmed >= 2 && trimmed < len && is_emoticon(&chunk[..trimmed]) {
        return Some(start + trimmed);
    }
    is_emoticon(chunk).then_some(start + len)
}

fn is_emoticon(chunk: &[u8]) -> bool {
    if chunk.len() > 8 {
        return false;
    }
    if chunk[0] == b'<' && chunk[1..].iter().all(|b| matches!(b, b'3' | b'/' | b'\\')) {
        return chunk.contains(&b'3');
    }
    let has_eyes = chunk.iter().any(|b| matches!(b, b':' | b';' | b'='));
    let allowed = chunk.iter().all(|b| {
        b.is_ascii_punctuation()
            || matches!(
                b,
                b'D' | b'P'
                    | b'p'
                    | b'O'
                    | b'o'
                    | b'X'
                    | b'x'
                    | b'b'
                    | b'c'
                    | b'S'
                    | b's'
                    | b'L'
                    | b'3'
                    | b'0'
                    | b'8'
                    | b'|'
            )
    });
    // A mouth besides the eyes, and never two letters in a row (`so:` is a
    // word and a colon, not a face).
    let mouth = chunk.iter().any(|b| !matches!(b, b':' | b';' | b'='));
    let word_like = chunk
        .windows(2)
        .any(|w| w[0].is_ascii_alphanumeric() && w[1].is_ascii_alphanumeric());
    has_eyes && allowed && mouth && !word_like
}

/// A tokenizer behind one pointer, for choosing the tokenizer at run time.
///
/// [`Tokenizer`] has a generic associated type and so is not object-safe;
/// this adapter (tantivy's `BoxTokenStream` idea) boxes the iterator instead.
///
/// # Examples
///
/// ```
/// use custodia::sentiment::{BoxTokenizer, TextTokenizer, Tokenizer};
/// let tokenizer = BoxTokenizer::new(TextTokenizer::new());
/// assert_eq!(tokenizer.tokens("a b").count(), 2);
/// ```
pub struct BoxTokenizer {
    inner: Box<dyn DynTokenizer>,
}

impl BoxTokenizer {
    /// Wraps `tokenizer`.
    pub fn new<T>(tokenizer: T) -> BoxTokenizer
    where
        T: Tokenizer + fmt::Debug + Send + Sync + 'static,
    {
        BoxTokenizer {
            inner: Box::new(tokenizer),
        }
    }
}

impl fmt::Debug for BoxTokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BoxTokenizer").field(&self.inner).finish()
    }
}

impl Tokenizer for BoxTokenizer {
    type Tokens<'t> = BoxTokens<'t>;

    fn tokens<'t>(&self, text: &'t str) -> BoxTokens<'t> {
        self.inner.dyn_tokens(text)
    }
}

/// The tokens of one text from a [`BoxTokenizer`].
pub struct BoxTokens<'t> {
    inner: Box<dyn Iterator<Item = Token<'t>> + 't>,
}

impl fmt::Debug for BoxTokens<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoxTokens").finish_non_exhaustive()
    }
}

impl<'t> Iterator for BoxTokens<'t> {
    type Item = Token<'t>;

    fn next(&mut self) -> Option<Token<'t>> {
        self.inner.next()
    }
}

trait DynTokenizer: fmt::Debug + Send + Sync {
    fn dyn_tokens<'t>(&self, text: &'t str) -> BoxTokens<'t>;
}

impl<T> DynTokenizer for T
where
    T: Tokenizer + fmt::Debug + Send + Sync + 'static,
{
    fn dyn_tokens<'t>(&self, text: &'t str) -> BoxTokens<'t> {
        BoxTokens {
            inner: Box::new(self.tokens(text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    static TOKENIZER: TextTokenizer = TextTokenizer::new();

    fn toks(text: &str) -> Vec<(&str, TokenKind)> {
        TOKENIZER
            .tokens(text)
            .map(|t| (t.text(), t.kind()))
            .collect()
    }

    #[test]
    fn emoticons_only_stand_alone() {
        use TokenKind::*;
        assert_eq!(
            toks(":) <3 </3 :-P"),
            [
                (":)", Emoticon),
                ("<3", Emoticon),
                ("</3", Emoticon),
                (":-P", Emoticon)
            ]
        );
        assert_eq!(
            toks("f(x):"),
            [
                ("f", Word),
                ("(", Punctuation),
                ("x", Word),
                ("):", Punctuation)
            ]
        );
        assert_eq!(
            toks("10:30"),
            [("10", Number), (":", Punctuation), ("30", Number)]
        );
        assert_eq!(toks(":(."), [(":(", Emoticon), (".", Punctuation)]);
        assert_eq!(toks("..."), [("...", Punctuation)]);
    }

    #[test]
    fn words_keep_inner_apostrophes_and_hyphens_only() {
        use TokenKind::*;
        assert_eq!(
            toks("'don’t' e-mail -x"),
            [
                ("'", Punctuation),
                ("don’t", Word),
                ("'", Punctuation),
                ("e-mail", Word),
                ("-", Punctuation),
                ("x", Word)
            ]
        );
        assert_eq!(
            toks("Árvíztűrő tükörfúrógép"),
            [("Árvíztűrő", Word), ("tükörfúrógép", Word)]
        );
    }

    #[test]
    fn emoji_sequences_are_one_token() {
        let family = "👨\u{200D}👩\u{200D}👧";
        let text = format!("{family}❤️🇧🇷👍🏽");
        let got: Vec<&str> = toks(&text).into_iter().map(|t| t.0).collect();
        assert_eq!(got, [family, "❤️", "🇧🇷", "👍🏽"]);
    }

    #[test]
    fn caps_needs_upper_and_no_lower() {
        let t: Vec<bool> = TextTokenizer::new()
            .tokens("GREAT Great 42 :D")
            .map(|t| t.is_all_caps())
            .collect();
        assert_eq!(t, [true, false, false, true]);
    }

    #[test]
    fn token_new_checks_the_span() {
        assert!(Token::new("é", Span::new(0, 1), TokenKind::Word).is_err());
        assert!(Token::new("ab", Span::new(1, 3), TokenKind::Word).is_err());
        assert!(Token::new("ab", Span::new(1, 1), TokenKind::Word).is_err());
    }

    proptest! {
        #[test]
        fn spans_slice_the_input_in_order_and_skip_only_whitespace(text in "\\PC{0,40}") {
            let mut last = 0;
            for token in TextTokenizer::new().tokens(&text) {
                let span = token.span();
                prop_assert!(span.start >= last);
                prop_assert!(!span.is_empty());
                prop_assert_eq!(&text[span.range()], token.text());
                prop_assert!(text[last..span.start].chars().all(char::is_whitespace));
                last = span.end;
            }
            prop_assert!(text[last..].chars().all(char::is_whitespace));
        }

        #[test]
        fn boxed_and_plain_tokenizers_agree(text in "\\PC{0,40}") {
            let boxed = BoxTokenizer::new(TextTokenizer::new());
            let a: Vec<Token<'_>> = boxed.tokens(&text).collect();
            let b: Vec<Token<'_>> = TOKENIZER.tokens(&text).collect();
            prop_assert_eq!(a, b);
        }
    }
}
