use std::fmt;
use std::str::FromStr;

/// A deliverable e-mail address, trimmed, its domain lower-cased and in
/// IDNA (punycode) form, its local part ASCII.
///
/// The local part keeps the spelling it was first given (that is what is
/// sent to), but two addresses that differ only in case are the same
/// mailbox: every major provider treats them so. Equality, ordering and
/// hashing go by `key()`, and the store keeps one subscriber per key.
#[derive(Debug, Clone)]
pub struct EmailAddress(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{input}` is not a valid e-mail address: {reason}")]
pub struct InvalidEmail {
    pub input: String,
    pub reason: &'static str,
}

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        let fail = |reason| InvalidEmail {
            input: input.to_string(),
            reason,
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(fail("it is empty"));
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(|| fail("it has no @"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(fail("the part before @ is empty or too long"));
        }
        if !local.is_ascii() {
            // Delivering to it needs SMTPUTF8 at every hop, which many
            // relays and mailboxes lack; the message would bounce.
            return Err(fail(
                "the part before @ has non-ASCII characters, which most mail servers cannot deliver to",
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(fail("the part before @ has a misplaced dot"));
        }
        let local_ok = local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        if !local_ok {
            return Err(fail("the part before @ has a character not allowed there"));
        }
        let domain = ascii_domain(domain).ok_or_else(|| fail("the domain is malformed"))?;
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(fail("the domain has no dot"));
        }
        for label in &labels {
            let ok = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                return Err(fail("the domain is malformed"));
            }
        }
        let candidate = format!("{local}@{domain}");
        if candidate.len() > 254 {
            return Err(fail("it is longer than 254 characters"));
        }
        // lettre must accept it too, or sending would fail later.
        lettre::Address::from_str(&candidate).map_err(|_| fail("the mail library rejects it"))?;
        Ok(Self(candidate))
    }

    /// The address as it is sent to.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The mailbox: the whole address lower-cased. One subscriber per key.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// The domain as DNS and SMTP want it: lower case, internationalised labels
/// in punycode. `None` for anything that is not a host name.
fn ascii_domain(domain: &str) -> Option<String> {
    if domain.is_empty() || domain.starts_with('[') {
        return None;
    }
    match url::Host::parse(domain).ok()? {
        url::Host::Domain(d) => Some(d.to_ascii_lowercase()),
        // A bare IP is not an address anyone subscribes with.
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => None,
    }
}

impl PartialEq for EmailAddress {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for EmailAddress {}

impl std::hash::Hash for EmailAddress {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for EmailAddress {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EmailAddress {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for EmailAddress {
    type Err = InvalidEmail;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for EmailAddress {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_normalises_the_domain() {
        let a = EmailAddress::parse("  Ada.Lovelace+news@Example.COM ").unwrap();
        assert_eq!(a.as_str(), "Ada.Lovelace+news@example.com");
    }

    #[test]
    fn rejects_what_cannot_be_delivered() {
        for bad in [
            "",
            "plainaddress",
            "@example.com",
            "a@",
            "a@localhost",
            "a..b@example.com",
            "a b@example.com",
            "a@-example.com",
            "a@example..com",
            "a@192.168.0.1",
            "a@[127.0.0.1]",
            "a@exa mple.com",
            "a@example.com\r\nBcc: b@example.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn case_does_not_make_another_mailbox_but_the_spelling_is_kept() {
        let a = EmailAddress::parse("Alan@Example.com").unwrap();
        let b = EmailAddress::parse("alan@example.COM").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.key(), "alan@example.com");
        assert_eq!(a.as_str(), "Alan@example.com");
        let set: std::collections::HashSet<_> = [a, b].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn international_domains_are_sent_in_punycode() {
        let a = EmailAddress::parse("heidi@exämple.com").unwrap();
        assert_eq!(a.as_str(), "heidi@xn--exmple-cua.com");
        assert!(a.as_str().is_ascii());
        assert_eq!(a, EmailAddress::parse("heidi@XN--EXMPLE-CUA.com").unwrap());
    }

    #[test]
    fn a_non_ascii_local_part_is_refused_with_the_reason() {
        let e = EmailAddress::parse("jürgen@example.com").unwrap_err();
        assert!(e.reason.contains("non-ASCII"), "{e}");
    }

    #[test]
    fn the_error_names_the_input() {
        let e = EmailAddress::parse("nobody").unwrap_err();
        assert!(e.to_string().contains("`nobody`"));
    }
}
