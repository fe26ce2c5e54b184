//! A body that is the same for every subscriber except for a few slots in
//! its footer. The part before the footer is kept ready, as text and as
//! quoted-printable, so each message only fills and encodes its last lines.
//! (Encoding the whole body per message was a quarter of the CPU a send
//! cost.)

/// Line endings as mail wants them: every line ends in CRLF.
pub(crate) fn crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
}

pub(crate) struct Personal {
    head: String,
    head_qp: Vec<u8>,
    tail: String,
}

impl Personal {
    /// `body` must already have CRLF line endings. It is cut at the start
    /// of the line holding the earliest of the slots' last occurrences, so
    /// the head's encoding does not depend on what the slots are filled with.
    pub(crate) fn new(body: String, slots: &[&str]) -> Self {
        let first_slot = slots
            .iter()
            .filter_map(|s| body.rfind(s))
            .min()
            .unwrap_or(body.len());
        let cut = body[..first_slot].rfind("\r\n").map(|i| i + 2).unwrap_or(0);
        let (head, tail) = body.split_at(cut);
        Self {
            head_qp: quoted_printable::encode(head.as_bytes()),
            head: head.to_string(),
            tail: tail.to_string(),
        }
    }

    /// The body with each slot's last occurrence replaced, as text and as
    /// quoted-printable.
    pub(crate) fn fill(&self, values: &[(&str, &str)]) -> (String, Vec<u8>) {
        let mut tail = self.tail.clone();
        for (slot, value) in values {
            if let Some(at) = tail.rfind(slot) {
                tail.replace_range(at..at + slot.len(), value);
            }
        }
        let tail_qp = quoted_printable::encode(tail.as_bytes());
        let mut text = String::with_capacity(self.head.len() + tail.len());
        text.push_str(&self.head);
        text.push_str(&tail);
        let mut qp = Vec::with_capacity(self.head_qp.len() + tail_qp.len());
        qp.extend_from_slice(&self.head_qp);
        qp.extend_from_slice(&tail_qp);
        (text, qp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lettre::message::Body;
    use lettre::message::header::ContentTransferEncoding;

    fn lettre_qp(s: &str) -> Vec<u8> {
        Body::new_with_encoding(s.to_string(), ContentTransferEncoding::QuotedPrintable)
            .unwrap()
            .as_ref()
            .to_vec()
    }

    /// Head and tail encoded apart must equal the whole encoded at once,
    /// the way lettre would: long lines, non-ASCII, '=' and trailing spaces
    /// on both sides of the cut.
    #[test]
    fn encoding_in_two_parts_equals_encoding_the_whole() {
        let long = "Ünïcödé · and = signs ".repeat(12);
        let body = crlf(&format!(
            "<p>{long}</p>\n<p>trailing space </p>\n{long}\n<p>Sent to SLOT-A · <a href=\"SLOT-B\">out</a></p>\n<p>{long}</p>\n"
        ));
        let p = Personal::new(body.clone(), &["SLOT-A", "SLOT-B"]);
        assert!(!p.head.is_empty() && p.tail.starts_with("<p>Sent to"));
        let (text, qp) = p.fill(&[
            ("SLOT-A", "ada@example.com"),
            ("SLOT-B", "https://x/u/1.ab"),
        ]);
        let expected = body
            .replace("SLOT-A", "ada@example.com")
            .replace("SLOT-B", "https://x/u/1.ab");
        assert_eq!(text, expected);
        assert_eq!(
            String::from_utf8(qp).unwrap(),
            String::from_utf8(lettre_qp(&expected)).unwrap()
        );
    }

    #[test]
    fn only_the_last_occurrence_of_a_slot_is_filled() {
        let p = Personal::new(crlf("quoted SLOT in a story\nfooter SLOT\n"), &["SLOT"]);
        let (text, _) = p.fill(&[("SLOT", "v")]);
        assert_eq!(text, "quoted SLOT in a story\r\nfooter v\r\n");
    }
}
