use super::SendError;
use super::dkim::Signer;
use crate::domain::SubscriberName;
use crate::render::RenderedEmail;
use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

fn pre_encoded(content_type: ContentType, qp: &[u8]) -> SinglePart {
    SinglePart::builder()
        .header(content_type)
        .body(Body::dangerous_pre_encoded(
            qp.to_vec(),
            ContentTransferEncoding::QuotedPrintable,
        ))
}

fn raw(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// A multipart/alternative message (plain text first, HTML preferred) with
/// the bulk-mail headers.
pub fn build_message(e: &RenderedEmail, signer: Option<&Signer>) -> Result<Message, SendError> {
    let bad = |what: &str, err: String| SendError::Unsendable(format!("{what}: {err}"));
    let from: Mailbox = e
        .from
        .parse()
        .map_err(|x: lettre::address::AddressError| bad("From", x.to_string()))?;
    let to_addr =
        e.to.as_str()
            .parse()
            .map_err(|x: lettre::address::AddressError| bad("To", x.to_string()))?;
    // Whoever filled in the name, nothing but a clean one reaches the header.
    let to_name = SubscriberName::parse_opt(e.to_name.as_deref()).map(SubscriberName::into_string);
    let to = Mailbox::new(to_name, to_addr);
    let mut b = Message::builder()
        .from(from)
        .to(to)
        .subject(e.subject.clone())
        .date_now()
        .message_id(Some(format!("<{}>", e.message_id)));
    // A confirmation request is mail to one person, not list mail.
    if !e.list_unsubscribe.is_empty() {
        b = b
            .raw_header(raw("List-Id", e.list_id.clone()))
            .raw_header(raw("List-Unsubscribe", e.list_unsubscribe.clone()))
            .raw_header(raw("Precedence", "bulk".into()));
    }
    if e.list_unsubscribe_post && !e.list_unsubscribe.is_empty() {
        b = b.raw_header(raw(
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click".into(),
        ));
    }
    if let Some(r) = &e.reply_to {
        let r: Mailbox = r
            .parse()
            .map_err(|x: lettre::address::AddressError| bad("Reply-To", x.to_string()))?;
        b = b.reply_to(r);
    }
    let body = match &e.encoded {
        // Encoded once per edition by the renderer; lettre would encode it
        // again for every message.
        Some(enc) => MultiPart::alternative()
            .singlepart(pre_encoded(ContentType::TEXT_PLAIN, &enc.text))
            .singlepart(pre_encoded(ContentType::TEXT_HTML, &enc.html)),
        None => MultiPart::alternative_plain_html(e.text.clone(), e.html.clone()),
    };
    let mut message = b
        .multipart(body)
        .map_err(|x| bad("message", x.to_string()))?;
    if let Some(signer) = signer {
        signer.sign(&mut message);
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EmailAddress;

    fn email() -> RenderedEmail {
        RenderedEmail {
            from: "Roundup <digest@example.com>".into(),
            reply_to: None,
            to: EmailAddress::parse("ada@example.com").unwrap(),
            to_name: Some("Ünïcödé ".repeat(40)),
            subject: "A long subject about chips and banks, ".repeat(40),
            html: "<p>x</p>".into(),
            text: "x".into(),
            message_id: "2026-W49.7.ab@example.com".into(),
            list_id: "weekly.example.com".into(),
            list_unsubscribe: format!(
                "<https://example.com/u/{}>, <mailto:unsubscribe@example.com?subject=unsubscribe>",
                "7.".repeat(300)
            ),
            list_unsubscribe_post: true,
            encoded: None,
        }
    }

    /// RFC 5322 allows 998 octets a line and asks for 78; every header a
    /// message carries is folded to fit.
    #[test]
    fn long_headers_are_folded() {
        let raw = build_message(&email(), None).unwrap().formatted();
        let text = String::from_utf8(raw).unwrap();
        let head = text.split("\r\n\r\n").next().unwrap();
        for line in head.split("\r\n") {
            assert!(line.len() <= 998, "{} octets: {line}", line.len());
        }
        // A line that still has a space past its first word could have been
        // folded there; one unbroken token (a long link) cannot be.
        let long_words: Vec<&str> = head
            .split("\r\n")
            .filter(|l| {
                l.len() > 78
                    && l.trim_start()
                        .split_once(' ')
                        .is_some_and(|(_, rest)| rest.trim_end().contains(' '))
            })
            .collect();
        assert!(
            long_words.is_empty(),
            "foldable but not folded: {long_words:?}"
        );
    }
}
