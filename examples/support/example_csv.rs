//! CSV in and out, without a per-row allocation: one reused record for the
//! input (the `csv` crate's reader buffers the file), one reused buffer for
//! the score, and a buffered writer for the output. The whole process is
//! then bound by scoring, not by I/O.
//!
//! Shared by `examples/sentiment.rs` and `benches/sentiment.rs` (through
//! `#[path]`), so the bench times the very code the example runs.

use std::fmt::Write as _;
use std::io::{self, Read, Write};

/// Where the columns the program reads sit in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Columns {
    pub(crate) id: usize,
    pub(crate) text: usize,
    pub(crate) split: Option<usize>,
    pub(crate) label: Option<usize>,
    pub(crate) human_mean: Option<usize>,
}

impl Columns {
    /// Finds the columns by name; `id` and `text` are required.
    pub(crate) fn find(header: &csv::StringRecord) -> Result<Columns, String> {
        let at = |name: &str| header.iter().position(|h| h.trim() == name);
        Ok(Columns {
            id: at("id").ok_or("the header has no `id` column")?,
            text: at("text").ok_or("the header has no `text` column")?,
            split: at("split"),
            label: at("label"),
            human_mean: at("human_mean"),
        })
    }
}

/// A CSV reader (RFC 4180: quoted fields may hold commas, doubled
/// quotes and line breaks) over `input`, with a header row. Rows may have
/// different lengths; the caller decides what a short row means.
pub(crate) fn reader<R: Read>(input: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(input)
}

/// Writes `id,score` lines: the id quoted when it needs it, the score
/// with six decimals. Reuses one buffer for the score text.
pub(crate) struct ScoreWriter<W: Write> {
    out: csv::Writer<W>,
    score: String,
}

impl<W: Write> ScoreWriter<W> {
    /// Starts the output with its header. The `csv` writer buffers
    /// (64 KB), so `out` need not be buffered itself.
    pub(crate) fn new(out: W) -> io::Result<ScoreWriter<W>> {
        let mut out = csv::WriterBuilder::new()
            .buffer_capacity(1 << 16)
            .from_writer(out);
        out.write_record(["id", "score"])?;
        Ok(ScoreWriter {
            out,
            score: String::with_capacity(16),
        })
    }

    /// Writes one row.
    pub(crate) fn write(&mut self, id: &str, score: f64) -> io::Result<()> {
        self.score.clear();
        write!(self.score, "{score:.6}").map_err(io::Error::other)?;
        self.out.write_record([id, self.score.as_str()])?;
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub(crate) fn finish(self) -> io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        let mut rd = reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        let mut out = vec![rd.headers().unwrap().iter().map(str::to_owned).collect()];
        while rd.read_record(&mut record).unwrap() {
            out.push(record.iter().map(str::to_owned).collect());
        }
        out
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let text = "id,text\n1,\"great, \"\"really\"\" great\"\r\n2,\"two\nlines\"\n3,plain\n";
        assert_eq!(
            rows(text),
            [
                vec!["id", "text"],
                vec!["1", "great, \"really\" great"],
                vec!["2", "two\nlines"],
                vec!["3", "plain"],
            ]
        );
    }

    #[test]
    fn short_rows_and_a_missing_final_newline_are_read() {
        assert_eq!(
            rows("id,text\n1\n2,b"),
            [vec!["id", "text"], vec!["1"], vec!["2", "b"]]
        );
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let header = csv::StringRecord::from(vec!["text", "split", "id"]);
        let c = Columns::find(&header).unwrap();
        assert_eq!((c.id, c.text, c.split, c.label), (2, 0, Some(1), None));
        assert!(Columns::find(&csv::StringRecord::from(vec!["id"])).is_err());
    }

    #[test]
    fn ids_that_need_quoting_round_trip() {
        let ids = [
            "plain",
            "with,comma",
            "with \"quote\"",
            "two\nlines",
            " spaced ",
        ];
        let mut w = ScoreWriter::new(Vec::new()).unwrap();
        for (i, id) in ids.iter().enumerate() {
            w.write(id, -0.5 + i as f64 * 0.25).unwrap();
        }
        let bytes = w.finish().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("id,score\n"));
        let back = rows(&text);
        assert_eq!(back.len(), ids.len() + 1);
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(back[i + 1][0], *id);
            let score: f64 = back[i + 1][1].parse().unwrap();
            assert!((score - (-0.5 + i as f64 * 0.25)).abs() < 1e-9);
        }
    }

    #[test]
    fn a_large_file_streams_through() {
        // 100 KB of quoted rows: every row comes back intact.
        let mut text = String::from("id,text\n");
        let n = 2_000;
        for i in 0..n {
            text.push_str(&format!("{i},\"row {i}, \"\"quoted\"\"\nnext line\"\n"));
        }
        assert!(text.len() > 60_000);
        let got = rows(&text);
        assert_eq!(got.len(), n + 1);
        assert_eq!(got[n][1], format!("row {}, \"quoted\"\nnext line", n - 1));
    }
}
