//! Dedup keys and ids for messages without one.
//!
//! The host stores each key once per installation. A message must get the
//! same key on a retry and whether it arrives alone or inside a bundle, and
//! two different messages must never share one (that would lose one).
//!
//! The key is `message:{message_id}:{unix seconds of its timestamp}`. The
//! vendor calls `message_id` unique, but its own examples give three
//! different messages (two in one bundle) the same id, and WhatsApp's own
//! message ids are unique only per chat; the timestamp, a property of the
//! message that both delivery shapes carry, keeps such messages apart while
//! a retry or a bundled copy still collides.

use sha2::{Digest, Sha256};

use crate::sent_at::SentAt;

/// The key of a message with id `message_id` (the vendor's, or a
/// [`derived_id`]).
pub fn key(message_id: &str, sent_at: &SentAt) -> String {
    match sent_at.key_part() {
        Some(time) => format!("message:{message_id}:{time}"),
        None => format!("message:{message_id}"),
    }
}

/// A stable id for a message that came without `message_id`: `derived:` and
/// 128 bits of SHA-256 over what identifies it as sent (chat, account,
/// direction, timestamp, sender, recipient and text — raw vendor text, so a
/// change of installation settings does not change it). A retry, or the same
/// message in a bundle, derives the same id.
pub fn derived_id(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.len().to_le_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("derived:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let t = SentAt::Read(1_614_183_929_000);
        assert_eq!(key("abc", &t), "message:abc:1614183929");
        assert_eq!(key("abc", &SentAt::Missing), "message:abc");
        assert_eq!(
            key("abc", &SentAt::Unreadable("soon".into())),
            "message:abc:soon"
        );
    }

    #[test]
    fn derived_ids_are_stable_and_unambiguous() {
        let a = derived_id(&["1", "sent", "hi"]);
        assert_eq!(a, derived_id(&["1", "sent", "hi"]));
        assert!(a.starts_with("derived:") && a.len() == "derived:".len() + 32);
        assert_ne!(a, derived_id(&["1", "sent", "hi!"]));
        // Lengths are hashed too, so moving a boundary changes the id.
        assert_ne!(derived_id(&["ab", "c"]), derived_id(&["a", "bc"]));
    }
}
