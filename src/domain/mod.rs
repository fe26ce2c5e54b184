//! Newtypes that can only hold valid values. Untrusted input becomes one of
//! these at the edge, or a clear error.

mod edition;
mod email;
mod item_key;
mod name;
mod section;
mod source_kind;

pub use edition::EditionKey;
pub use email::EmailAddress;
pub use item_key::ItemKey;
pub use name::SubscriberName;
pub use section::Section;
pub use source_kind::SourceKind;
