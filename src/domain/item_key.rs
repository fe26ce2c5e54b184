use sha2::{Digest, Sha256};
use std::fmt;

/// A stable identity for a feed entry. Never feed-rs's generated id, which is
/// random when an entry has no GUID and would make every refresh look new.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemKey(String);

impl ItemKey {
    /// The publisher's GUID, scoped to its feed (GUIDs are only unique per feed).
    pub fn from_guid(feed_url: &str, guid: &str) -> Self {
        Self(format!("g:{}", hash(&[feed_url, guid.trim()])))
    }

    /// No GUID: the entry's canonical link is the next most stable thing.
    pub fn from_link(canonical_link: &str) -> Self {
        Self(format!("l:{}", hash(&[canonical_link])))
    }

    /// Neither: title plus content, within the feed.
    pub fn from_content(feed_url: &str, title: &str, content: &str) -> Self {
        Self(format!(
            "c:{}",
            hash(&[feed_url, title.trim(), content.trim()])
        ))
    }

    /// Rebuild from what the store holds.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_keys_are_scoped_to_their_feed() {
        assert_eq!(ItemKey::from_guid("a", "1"), ItemKey::from_guid("a", " 1 "));
        assert_ne!(ItemKey::from_guid("a", "1"), ItemKey::from_guid("b", "1"));
    }

    #[test]
    fn kinds_never_collide() {
        assert_ne!(ItemKey::from_link("x"), ItemKey::from_content("x", "", ""));
    }
}
