//! Reading a raw message's header block the way a mail client would, to
//! check that nothing a subscriber typed became a header.

/// The header block, each folded header unfolded into one line.
pub fn header_lines(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for line in head.split("\r\n") {
        match out.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
            _ => out.push(line.to_string()),
        }
    }
    out
}

/// No planted Bcc, and no line longer than RFC 5322 allows.
pub fn assert_no_injected_header(raw: &[u8]) {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    for line in head.split("\r\n") {
        assert!(
            !line.to_ascii_lowercase().starts_with("bcc:"),
            "a planted header: {line}\n{head}"
        );
        assert!(line.len() <= 998, "a header line of {} octets", line.len());
    }
}

/// The To header, unfolded.
pub fn to_header(raw: &[u8]) -> String {
    header_lines(raw)
        .into_iter()
        .find(|l| l.to_ascii_lowercase().starts_with("to:"))
        .expect("a To header")
}
