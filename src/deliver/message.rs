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
