//! Bounded line framing for JSON lines (the stdio transport and the stdio servers): a line longer than the
//! limit is reported by its length and skipped, never buffered whole.

use std::io::BufRead;

/// Splits a byte stream into lines of at most `limit` bytes; longer lines are reported (`Err(len)`) and skipped.
pub struct BoundedLines<R> {
    /// The stream.
    pub input: R,
    /// The longest line kept, in bytes.
    pub limit: usize,
    /// The first `limit` bytes of the last over-long line (for a leak scan of what was refused).
    pub overlong_head: Vec<u8>,
}

impl<R: BufRead> BoundedLines<R> {
    /// A reader of lines of at most `limit` bytes.
    pub fn new(input: R, limit: usize) -> Self {
        BoundedLines { input, limit, overlong_head: Vec::new() }
    }
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
                    let room = self.limit.saturating_sub(line.len());
                    line.extend_from_slice(&chunk[..room.min(chunk.len())]);
                    self.overlong_head = std::mem::take(&mut line);
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
