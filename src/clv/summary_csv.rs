//! A streaming reader of summary CSV files, the format `lifetimes`,
//! PyMC-Marketing and the published CDNOW and donations data use.

use std::io::BufRead;

use super::error::ClvError;
use super::summary::{RfmSummary, Summaries};
use crate::error::{Error, Result};

/// Which summary field a CSV column feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Frequency,
    Recency,
    Age,
    Monetary,
    Weight,
}

impl Field {
    /// The header names each field is read from, in order of preference.
    const NAMES: [(Field, &'static [&'static str]); 5] = [
        (Field::Frequency, &["frequency"]),
        (Field::Recency, &["recency"]),
        (Field::Age, &["T", "age", "periods", "n"]),
        (Field::Monetary, &["monetary_value", "monetary"]),
        (Field::Weight, &["weights", "weight"]),
    ];
}

/// Reads customer summaries from CSV text, one row at a time.
///
/// The first non-blank line is the header; columns are found by name and
/// any others (such as a customer id) are skipped:
///
/// | field | column names (first found wins) | required | parsed as |
/// |---|---|---|---|
/// | frequency | `frequency` | yes | whole number `0..=4294967295` (`2` or `2.0`) |
/// | recency | `recency` | yes | finite decimal ≥ 0, at most the age |
/// | age | `T`, `age`, `periods`, `n` | yes | finite decimal ≥ 0 |
/// | monetary | `monetary_value`, `monetary` | no | finite decimal ≥ 0 |
/// | weight | `weights`, `weight` | no (1) | whole number `1..=18446744073709551615` |
///
/// Numbers are read exactly: decimals round once, to the nearest `f64`, and
/// whole numbers must be whole and in range (`2.5`, `-1` or `1e10` as a
/// frequency are errors, not truncated). Text that would read as infinite or
/// NaN (`inf`, `NaN`, `1e999`) is an error. Fields may be wrapped in double
/// quotes (no commas inside); blank lines are skipped; `\r\n` line ends and a
/// leading byte-order mark are accepted.
///
/// Work is linear in the input and memory is one line plus the summaries
/// kept: [`read_all`](SummaryCsv::read_all) stores 40 bytes per row.
///
/// # Examples
///
/// ```
/// use custodia::clv::SummaryCsv;
///
/// let text = "id,frequency,recency,T\n1,2,30.43,38.86\n2,0,0,38.86\n";
/// let data = SummaryCsv::new(text.as_bytes())?.read_all()?;
/// assert_eq!(data.customers(), 2);
///
/// let bad = "frequency,recency,T\n1,2.5,38.86\n1,40,38.86\n";
/// let err = SummaryCsv::new(bad.as_bytes())?.read_all().err().map(|e| e.to_string());
/// assert_eq!(err.as_deref(), Some("line 3: recency 40 exceeds customer age 38.86"));
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Debug)]
pub struct SummaryCsv<R> {
    reader: R,
    /// The field each column feeds, `None` for skipped columns.
    columns: Vec<Option<Field>>,
    /// The header names, for error messages.
    names: Vec<String>,
    has_monetary: bool,
    has_weights: bool,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> SummaryCsv<R> {
    /// Reads the header from `reader` and returns the reader of the rows.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when the input is empty, cannot be read, is not UTF-8, or its header
    /// lacks a required column or names a used column twice.
    pub fn new(mut reader: R) -> Result<SummaryCsv<R>> {
        let mut buf = Vec::new();
        let mut line = 0;
        let header = loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| csv_error(line + 1, "", format!("cannot read: {e}")))?;
            if n == 0 {
                return Err(csv_error(line, "", "no header line".to_owned()));
            }
            line += 1;
            let text = utf8(&buf, line)?;
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            if !text.trim().is_empty() {
                break text.to_owned();
            }
        };
        let names: Vec<String> = header.split(',').map(|h| unquote(h).to_owned()).collect();
        let mut columns = vec![None; names.len()];
        for (field, candidates) in Field::NAMES {
            let Some(index) = candidates
                .iter()
                .find_map(|c| names.iter().position(|n| n == c))
            else {
                if matches!(field, Field::Monetary | Field::Weight) {
                    continue;
                }
                return Err(csv_error(
                    line,
                    "",
                    format!("missing column {}", candidates.join(" or ")),
                ));
            };
            if names.iter().filter(|n| **n == names[index]).count() > 1 {
                return Err(csv_error(
                    line,
                    &names[index],
                    "column named twice".to_owned(),
                ));
            }
            columns[index] = Some(field);
        }
        let has_monetary = columns.contains(&Some(Field::Monetary));
        let has_weights = columns.contains(&Some(Field::Weight));
        Ok(SummaryCsv {
            reader,
            columns,
            names,
            has_monetary,
            has_weights,
            line,
            buf,
            done: false,
        })
    }

    /// Returns `true` when the header has a monetary column.
    pub fn has_monetary(&self) -> bool {
        self.has_monetary
    }

    /// Returns `true` when the header has a weight column.
    pub fn has_weights(&self) -> bool {
        self.has_weights
    }

    /// Returns the number of the last line read (the header is line 1 unless
    /// blank lines precede it).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Reads every remaining row into a [`Summaries`].
    ///
    /// # Errors
    ///
    /// The first error of any row, as [`Iterator::next`] gives it.
    pub fn read_all(self) -> Result<Summaries> {
        let mut data = Summaries::new();
        for row in self {
            let (summary, weight) = row?;
            data.push_weighted(summary, weight)?;
        }
        Ok(data)
    }

    fn parse_row(&self, text: &str) -> Result<(RfmSummary, u64)> {
        let line = self.line;
        let (mut frequency, mut recency, mut age) = (None, None, None);
        let (mut monetary, mut weight) = (None, None);
        // Check the shape before any value, so a ragged line is reported as such.
        let count = text.bytes().filter(|b| *b == b',').count() + 1;
        if count != self.columns.len() {
            return Err(csv_error(
                line,
                "",
                format!("{count} fields where the header has {}", self.columns.len()),
            ));
        }
        for (index, raw) in text.split(',').enumerate() {
            let Some(Some(field)) = self.columns.get(index) else {
                continue;
            };
            let value = unquote(raw);
            let name = &self.names[index];
            match field {
                Field::Frequency => {
                    let v = parse_whole(value, u64::from(u32::MAX))
                        .map_err(|reason| csv_error(line, name, reason))?;
                    frequency = Some(u32::try_from(v).unwrap_or(u32::MAX));
                }
                Field::Weight => {
                    let v = parse_whole(value, u64::MAX)
                        .map_err(|reason| csv_error(line, name, reason))?;
                    weight = Some(v);
                }
                Field::Recency | Field::Age | Field::Monetary => {
                    let v = parse_decimal(value).map_err(|reason| csv_error(line, name, reason))?;
                    match field {
                        Field::Recency => recency = Some(v),
                        Field::Age => age = Some(v),
                        _ => monetary = Some(v),
                    }
                }
            }
        }
        // The header check guarantees the required columns, and the field
        // count that every column was seen.
        let (Some(frequency), Some(recency), Some(age)) = (frequency, recency, age) else {
            return Err(csv_error(line, "", "missing a required field".to_owned()));
        };
        let context = |e: Error| e.context(format_args!("line {line}"));
        let mut summary = RfmSummary::new(frequency, recency, age).map_err(context)?;
        if let Some(m) = monetary {
            summary = summary.with_monetary(m).map_err(context)?;
        }
        let weight = weight.unwrap_or(1);
        if weight == 0 {
            return Err(context(ClvError::ZeroWeight.into()));
        }
        Ok((summary, weight))
    }
}

impl<R: BufRead> Iterator for SummaryCsv<R> {
    type Item = Result<(RfmSummary, u64)>;

    /// Returns the next row's summary and weight, `None` at the end of the
    /// input; after an error the reader stops.
    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            let read = self.reader.read_until(b'\n', &mut self.buf);
            let result = match read {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {
                    self.line += 1;
                    match utf8(&self.buf, self.line) {
                        Ok(text) if text.trim().is_empty() => continue,
                        Ok(text) => self.parse_row(text),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(csv_error(self.line + 1, "", format!("cannot read: {e}"))),
            };
            if result.is_err() {
                self.done = true;
            }
            return Some(result);
        }
        None
    }
}

/// Returns the line as text without its line end.
fn utf8(buf: &[u8], line: u64) -> Result<&str> {
    let bytes = buf.strip_suffix(b"\n").unwrap_or(buf);
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        csv_error(
            line,
            "",
            format!("not UTF-8 at byte {}", e.valid_up_to() + 1),
        )
    })
}

/// Trims spaces and one pair of surrounding double quotes.
fn unquote(field: &str) -> &str {
    let t = field.trim();
    t.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .map_or(t, str::trim)
}

/// Parses a whole number at most `max`, written as digits with an optional
/// fraction of zeros (`3` or `3.00`, as pandas writes integer columns).
fn parse_whole(text: &str, max: u64) -> std::result::Result<u64, String> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits_only(int) || !digits_only(frac) {
        return Err(format!("{text:?} is not a whole non-negative number"));
    }
    if frac.bytes().any(|b| b != b'0') {
        return Err(format!("{text:?} is not a whole number"));
    }
    match int.parse::<u64>() {
        Ok(v) if v <= max => Ok(v),
        _ => Err(format!("{text:?} exceeds the largest allowed value {max}")),
    }
}

/// Parses a finite decimal, correctly rounded to the nearest `f64`.
fn parse_decimal(text: &str) -> std::result::Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!(
            "{text:?} is not a finite number (it overflows or names infinity or NaN)"
        )),
        Err(_) => Err(format!("{text:?} is not a number")),
    }
}

#[cold]
fn csv_error(line: u64, column: &str, reason: String) -> Error {
    ClvError::Csv {
        line,
        column: column.to_owned(),
        reason,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_exact() {
        assert_eq!(parse_whole("3", 10), Ok(3));
        assert_eq!(parse_whole("3.000", 10), Ok(3));
        assert!(parse_whole("3.5", 10).is_err());
        assert!(parse_whole("-3", 10).is_err());
        assert!(parse_whole("1e3", 10_000).is_err());
        assert!(parse_whole("11", 10).is_err());
        assert!(parse_whole("99999999999999999999999", u64::MAX).is_err());
        assert!(parse_whole("", 10).is_err());
        assert!(parse_whole(".0", 10).is_err());
    }

    #[test]
    fn decimals_refuse_non_finite_text() {
        assert_eq!(parse_decimal("30.43"), Ok(30.43));
        for text in ["inf", "-inf", "NaN", "nan", "1e999", "infinity", "x", ""] {
            assert!(parse_decimal(text).is_err(), "{text}");
        }
    }
}
