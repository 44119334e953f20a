//! Text that ends up in an exit reason or a log line, whoever wrote it (the agent, or a peer:
//! MaxScale's `errors[].detail`, MariaDB's messages, a file name).
//!
//! Pacemaker takes the *last* `ocf-exit-reason:` it finds anywhere in the agent's stderr, up to
//! the end of that line, stops at a NUL, and keeps 128 characters (services_linux.c). So every
//! such text is made one line without control characters, with no marker of its own (a peer
//! could otherwise hide or replace the agent's reason), and the exit reason line is cut at the
//! limit — which is why reasons put their essential words first.

/// What Pacemaker keeps of an exit reason.
pub const PACEMAKER_LIMIT: usize = 128;

/// The markers Pacemaker and ocf-shellfuncs look for.
const MARKERS: [&str; 1] = ["ocf-exit-reason:"];

/// One line: line breaks become " | ", every other control character (C0, DEL, C1, Unicode
/// line/paragraph separators, bidirectional overrides) a space; runs of spaces are squeezed;
/// exit-reason markers lose their colon.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    let mut pending_break = false;
    let mut pending_space = false;
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' => pending_break = true,
            c if c.is_control() || is_invisible_format(c) || c.is_whitespace() => {
                pending_space = true
            }
            c => {
                if !out.is_empty() {
                    if pending_break {
                        out.push_str(" | ");
                    } else if pending_space {
                        out.push(' ');
                    }
                }
                pending_break = false;
                pending_space = false;
                out.push(c);
            }
        }
    }
    defang(out)
}

/// Characters that change how text around them is shown (bidi overrides, zero-width marks).
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn defang(mut text: String) -> String {
    for marker in MARKERS {
        while let Some(at) = find_ignore_case(&text, marker) {
            // Drop the colon: the words stay readable, the marker is gone.
            text.remove(at + marker.len() - 1);
        }
    }
    text
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let h = haystack.as_bytes();
    let n = needle.as_bytes();
    (0..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// At most `max` bytes of `text` (cleaned), cut at a character boundary, with "..." when cut.
pub fn truncate(text: &str, max: usize) -> String {
    let text = clean(text);
    if text.len() <= max {
        return text;
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", text[..end].trim_end())
}

/// A short quotation of a configured or received value, for messages ("not '…'").
pub fn excerpt(text: &str, max: usize) -> String {
    truncate(text, max)
}

/// The exit reason as written after the prefix: cleaned and within Pacemaker's limit.
pub fn for_pacemaker(text: &str) -> String {
    truncate(text, PACEMAKER_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_without_control_characters() {
        assert_eq!(
            clean("first\nsecond\r\n\nthird  "),
            "first | second | third"
        );
        assert_eq!(clean("a\u{1b}[31mred\u{0}b\tc\u{7f}d"), "a [31mred b c d");
        assert_eq!(clean("x\u{202e}y\u{2028}z"), "x y | z");
        assert_eq!(clean("  lead"), "lead");
    }

    #[test]
    fn markers_are_defanged() {
        assert_eq!(
            clean("bad: ocf-exit-reason:all is fine"),
            "bad: ocf-exit-reasonall is fine"
        );
        assert_eq!(clean("OCF-EXIT-REASON:x"), "OCF-EXIT-REASONx");
        let sneaky = "ocf-exit-reason\u{0}:x";
        assert!(
            !clean(sneaky).contains("ocf-exit-reason:"),
            "{}",
            clean(sneaky)
        );
    }

    #[test]
    fn the_limit_is_kept_at_a_character_boundary() {
        let long = "é".repeat(200);
        let t = for_pacemaker(&long);
        assert!(t.len() <= PACEMAKER_LIMIT, "{}", t.len());
        assert!(t.ends_with("..."));
        assert_eq!(for_pacemaker("short"), "short");
        let huge = "x".repeat(1 << 20);
        assert_eq!(for_pacemaker(&huge).len(), PACEMAKER_LIMIT);
    }
}
