//! Showing bytes and strings to people and to JSON parsers: the escaped
//! text of the human-readable dump, hex, and JSON string literals.

use std::fmt::Write;

/// `bytes` as text a person can read: printable ASCII as is, `"` and `\`
/// escaped, CR, LF, TAB and NUL as `\r`, `\n`, `\t`, `\0`, anything else
/// as `\xNN`.
pub(crate) fn text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0 => out.push_str("\\0"),
            0x20..=0x7e => out.push(byte as char),
            _ => {
                let _ = write!(out, "\\x{byte:02x}");
            }
        }
    }
    out
}

/// `bytes` as lower-case hex, two digits a byte.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Appends `s` as a JSON string literal, quotes included.
pub(crate) fn json_str(out: &mut String, s: &str) {
    json_chars(out, s.chars());
}

/// Appends `bytes` as a JSON string literal in which each byte stands for
/// the code point of the same value (U+0000–U+00FF).
pub(crate) fn json_latin1(out: &mut String, bytes: &[u8]) {
    json_chars(out, bytes.iter().map(|&b| char::from(b)));
}

fn json_chars(out: &mut String, chars: impl Iterator<Item = char>) {
    out.push('"');
    for c in chars {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes() {
        assert_eq!(text(b"ls\r"), "ls\\r");
        assert_eq!(
            text(b"a\"b\\c\n\t\0\x7f\xff"),
            "a\\\"b\\\\c\\n\\t\\0\\x7f\\xff"
        );
    }

    #[test]
    fn json_escapes() {
        let mut out = String::new();
        json_str(&mut out, "a\"b\\c\n\u{1}é\u{2028}");
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001é\u{2028}\"");
        let mut out = String::new();
        json_latin1(&mut out, b"ls\r\xff\x00");
        assert_eq!(out, "\"ls\\r\u{ff}\\u0000\"");
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
    }
}
