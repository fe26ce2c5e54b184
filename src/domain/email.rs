use std::fmt;
use std::str::FromStr;

/// A syntactically valid e-mail address, trimmed, with its domain lower-cased
/// so that `A@Example.com` and `A@example.com` are one subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
        if s.len() > 254 {
            return Err(fail("it is longer than 254 characters"));
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(|| fail("it has no @"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(fail("the part before @ is empty or too long"));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(fail("the part before @ has a misplaced dot"));
        }
        let local_ok = local.chars().all(|c| {
            c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) || !c.is_ascii()
        });
        if !local_ok {
            return Err(fail("the part before @ has a character not allowed there"));
        }
        let domain = domain.to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(fail("the domain has no dot"));
        }
        for label in &labels {
            let ok = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii());
            if !ok {
                return Err(fail("the domain is malformed"));
            }
        }
        // lettre must accept it too, or sending would fail later.
        let candidate = format!("{local}@{domain}");
        lettre::Address::from_str(&candidate).map_err(|_| fail("the mail library rejects it"))?;
        Ok(Self(candidate))
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn the_error_names_the_input() {
        let e = EmailAddress::parse("nobody").unwrap_err();
        assert!(e.to_string().contains("`nobody`"));
    }
}
