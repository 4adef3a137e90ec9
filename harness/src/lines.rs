//! Bounded line framing for JSON lines (the stdio transport and the stdio servers): a line longer than the
//! limit is reported by its length and skipped, never buffered whole.

use std::io::BufRead;

/// Splits a byte stream into lines of at most `limit` bytes; longer lines are reported (`Err(len)`) and skipped.
pub struct BoundedLines<R> {
    /// The stream.
    pub input: R,
    /// The longest line kept, in bytes.
    pub limit: usize,
}

impl<R: BufRead> BoundedLines<R> {
    /// The next line without its newline; `None` at EOF. An over-long line yields `Err(bytes seen)`.
    pub fn next_line(&mut self) -> std::io::Result<Option<Result<Vec<u8>, usize>>> {
        let mut line = Vec::new();
        let mut seen = 0usize;
        let mut over = false;
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(match (seen, over) {
                    (0, _) => None,
                    (_, true) => Some(Err(seen)),
                    (_, false) => Some(Ok(line)),
                });
            }
            let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            seen += chunk.len();
            if !over {
                if seen > self.limit {
                    over = true;
                    line = Vec::new();
                } else {
                    line.extend_from_slice(chunk);
                }
            }
            let consumed = done.unwrap_or(buf.len());
            self.input.consume(consumed);
            if done.is_some() {
                return Ok(Some(if over { Err(seen) } else { Ok(line) }));
            }
        }
    }
}
