//! A JSON-lines server loop: one request per line on stdin, one response per line on stdout.

use super::MAX_REQUEST_BYTES;
use crate::lines::BoundedLines;
use ivconform_protocol::Response;
use std::io::{BufRead, Write};

/// Reads request lines from `input` and writes `handler`'s answers to `output` until EOF or `bye`.
///
/// A line longer than [`MAX_REQUEST_BYTES`] is answered with an `error` and skipped, never buffered whole.
pub fn serve_lines(
    input: impl BufRead,
    mut output: impl Write,
    mut handler: impl FnMut(&[u8]) -> Response,
) -> std::io::Result<()> {
    let mut lines = BoundedLines::new(input, MAX_REQUEST_BYTES);
    while let Some(line) = lines.next_line()? {
        let response = match line {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => continue,
            Ok(bytes) => handler(&bytes),
            Err(len) => Response::Error {
                seq: 0,
                message: format!("request line of {len}+ bytes is over the {MAX_REQUEST_BYTES}-byte limit"),
            },
        };
        let bye = matches!(response, Response::Bye { .. });
        serde_json::to_writer(&mut output, &response)?;
        output.write_all(b"\n")?;
        output.flush()?;
        if bye {
            break;
        }
    }
    Ok(())
}

/// Like [`serve_lines`], but the handler returns raw response bytes, written through unchanged as one line.
/// The FFI host uses it so that a library's garbage reaches the harness as garbage, to be reported as a
/// protocol error with the library's own bytes quoted. Raw newlines are dealt with by [`one_line`].
/// Stops after answering a request of type `bye`.
pub fn serve_raw_lines(
    input: impl BufRead,
    mut output: impl Write,
    mut handler: impl FnMut(&[u8]) -> Vec<u8>,
) -> std::io::Result<()> {
    let mut lines = BoundedLines::new(input, MAX_REQUEST_BYTES);
    while let Some(line) = lines.next_line()? {
        let (answer, bye) = match line {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => continue,
            Ok(bytes) => {
                let bye = is_bye(&bytes);
                (handler(&bytes), bye)
            }
            Err(len) => {
                let e = Response::Error {
                    seq: 0,
                    message: format!("request line of {len}+ bytes is over the {MAX_REQUEST_BYTES}-byte limit"),
                };
                (serde_json::to_vec(&e).expect("serialises"), false)
            }
        };
        output.write_all(&one_line(answer))?;
        output.write_all(b"\n")?;
        output.flush()?;
        if bye {
            break;
        }
    }
    Ok(())
}

/// Whether a request line is a `bye`, read without building a JSON tree (requests can be megabytes).
fn is_bye(request: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Peek<'a> {
        #[serde(rename = "type", borrow, default)]
        kind: Option<std::borrow::Cow<'a, str>>,
    }
    serde_json::from_slice::<Peek>(request).is_ok_and(|p| p.kind.as_deref() == Some("bye"))
}

/// Makes a raw answer one line without changing what it means to a JSON parser: raw CR/LF are legal in
/// JSON only as whitespace between tokens, so in a valid answer they become spaces. In an invalid answer
/// they become spaces too, unless that would turn it valid (a raw newline inside a string, which JSON
/// forbids); then the line is replaced by a note that is not JSON either, so the harness still reports it.
pub fn one_line(answer: Vec<u8>) -> Vec<u8> {
    if !answer.iter().any(|&b| b == b'\n' || b == b'\r') {
        return answer;
    }
    let flat: Vec<u8> = answer.iter().map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }).collect();
    let valid = |bytes: &[u8]| serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
    if valid(&flat) && !valid(&answer) {
        let text = String::from_utf8_lossy(&answer);
        let preview: String = text.chars().take(200).collect();
        return format!("answer of {} bytes is not JSON (a raw newline inside a string): {preview:?}", answer.len())
            .into_bytes();
    }
    flat
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_lines_split_and_cap() {
        let data = b"abc\n\n0123456789\nxy".to_vec();
        let mut l = BoundedLines::new(&data[..], 5);
        assert_eq!(l.next_line().unwrap(), Some(Ok(b"abc".to_vec())));
        assert_eq!(l.next_line().unwrap(), Some(Ok(vec![])));
        assert_eq!(l.next_line().unwrap(), Some(Err(10)));
        assert_eq!(l.next_line().unwrap(), Some(Ok(b"xy".to_vec())));
        assert_eq!(l.next_line().unwrap(), None);
    }

    #[test]
    fn serves_until_bye() {
        let input = b"{\"seq\":1,\"type\":\"hmac\",\"key_hex\":\"6b\",\"msg_hex\":\"\"}\nnot json\n{\"seq\":2,\"type\":\"bye\"}\n{\"seq\":3,\"type\":\"bye\"}\n";
        let mut out = Vec::new();
        serve_lines(&input[..], &mut out, ivconform_protocol::reference::handle_bytes).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].contains("\"tag_hex\""));
        assert!(lines[1].contains("\"error\""));
        assert!(lines[2].contains("\"bye\""));
    }

    #[test]
    fn raw_lines_pass_answers_through_as_single_lines() {
        let input = b"{\"seq\":1,\"type\":\"hello\"}\n\n{\"type\":\"bye\",\"seq\":2}\n{\"seq\":3,\"type\":\"hello\"}\n";
        let mut out = Vec::new();
        let mut answers = vec![b"\x01garbage\nover two lines".to_vec(), b"{\"seq\":2,\n\"type\":\"bye\"}\r\n".to_vec()];
        answers.reverse();
        serve_raw_lines(&input[..], &mut out, |_| answers.pop().unwrap()).unwrap();
        assert_eq!(out, b"\x01garbage over two lines\n{\"seq\":2, \"type\":\"bye\"}  \n".to_vec());
    }

    #[test]
    fn one_line_keeps_json_meaning() {
        assert_eq!(one_line(b"{\"a\":1}".to_vec()), b"{\"a\":1}");
        assert_eq!(one_line(b"{\n  \"a\": 1\n}\n".to_vec()), b"{   \"a\": 1 } ");
        // A raw newline inside a string is invalid JSON and must stay invalid after flattening.
        let fixed = one_line(b"{\"message\":\"a\nb\"}".to_vec());
        assert!(serde_json::from_slice::<serde_json::Value>(&fixed).is_err(), "{}", String::from_utf8_lossy(&fixed));
        assert!(!fixed.contains(&b'\n'));
        assert!(String::from_utf8_lossy(&fixed).contains("raw newline"));
    }

    #[test]
    fn bye_is_recognised_without_a_tree() {
        assert!(is_bye(br#"{"seq":9,"type":"bye"}"#));
        assert!(is_bye(br#"{"type":"\u0062ye","seq":9,"extra":[1,{"x":2}]}"#));
        assert!(!is_bye(br#"{"seq":9,"type":"hello"}"#));
        assert!(!is_bye(br#"{"seq":9}"#));
        assert!(!is_bye(b"bye"));
    }
}
