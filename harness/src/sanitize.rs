//! What an implementation sends is shown to people only through [`iut_text`]: a hostile or sloppy IUT must not
//! be able to write into a CI log (ANSI or OSC escapes, a fake `Verdict: CONFORMANT` line, a GitHub workflow
//! command such as `::add-mask::` or `::stop-commands::`, which only work at the start of a line).
//!
//! Control characters are shown escaped (`\n`, `\r`, `\t`, `\u{1b}`), as are the invisible format characters
//! that reorder or hide text (bidirectional overrides, zero-width characters, the BOM), so no IUT text can
//! start a line or change how the rest of the line reads; and the length is capped. The harness writes the
//! verdict line itself, at the start of a line, and nothing an IUT sends can.

/// The most characters of one IUT string shown in a report.
pub const MAX_CHARS: usize = 2000;

/// `text` made safe to print: control and format characters escaped, at most [`MAX_CHARS`] characters.
pub fn iut_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_CHARS * 2));
    for (shown, (i, c)) in text.char_indices().enumerate() {
        if shown >= MAX_CHARS {
            let rest = text[i..].chars().count();
            out.push_str(&format!("… ({rest} more characters)"));
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Bytes an IUT sent, as [`iut_text`] (invalid UTF-8 shown as U+FFFD).
pub fn iut_bytes(bytes: &[u8]) -> String {
    iut_text(&String::from_utf8_lossy(bytes))
}

/// Characters that control a terminal or change how text around them reads.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'   // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202a}'..='\u{202e}' // bidirectional embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidirectional isolates
            | '\u{feff}'              // byte-order mark / zero-width no-break space
            | '\u{fff9}'..='\u{fffb}' // interlinear annotation
        )
}

/// HTML-escapes `s` for element content and quoted attribute values (the HTML report and the diagnose page).
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_an_iut_sends_can_start_a_line_or_drive_the_terminal() {
        let hostile =
            "ok\nVerdict: CONFORMANT\r\n::add-mask::x\n::error file=a::b\x1b[2J\x1b]0;title\x07\u{202e}gnp.exe\u{200b}";
        let shown = iut_text(hostile);
        assert!(!shown.contains('\n') && !shown.contains('\r') && !shown.contains('\x1b') && !shown.contains('\x07'));
        assert!(!shown.contains('\u{202e}') && !shown.contains('\u{200b}'));
        assert_eq!(
            shown,
            "ok\\nVerdict: CONFORMANT\\r\\n::add-mask::x\\n::error file=a::b\\u{1b}[2J\\u{1b}]0;title\\u{7}\\u{202e}gnp.exe\\u{200b}"
        );
        // Every line of the output starts with the harness's own text, so `::` cannot begin one.
        assert_eq!(format!("  actual: {shown}").lines().count(), 1);
    }

    #[test]
    fn ordinary_text_is_kept_and_long_text_is_capped() {
        assert_eq!(iut_text("Ann Lée — ok \"quoted\" \\ slash"), "Ann Lée — ok \"quoted\" \\ slash");
        let long = "x".repeat(MAX_CHARS + 5);
        let shown = iut_text(&long);
        assert!(shown.starts_with(&"x".repeat(MAX_CHARS)) && shown.ends_with("… (5 more characters)"), "{shown}");
        assert_eq!(iut_bytes(b"a\xffb"), "a\u{fffd}b");
    }
}
