//! Secrets at rest: integration credentials are sealed with a master key
//! before they reach the database, so a copy of the database alone reveals
//! nothing.
//!
//! The AEAD is XChaCha20-Poly1305 with a random 24-byte nonce (large enough
//! that random nonces never repeat in practice). Every sealed value is an
//! envelope that names the key it was sealed with, so the master key can be
//! rotated: configure the new key as current and the old one as older, and
//! old envelopes keep opening until they are re-sealed.
//!
//! ```text
//! [version = 1][key-id length: u8][key id][nonce: 24 bytes][ciphertext + 16-byte tag]
//! ```
//!
//! The key id is the first 16 hex characters of SHA-256(key). The AEAD's
//! associated data is the envelope header followed by the caller's AAD, which
//! should come from [`aad`] to bind the ciphertext to its record: a secret
//! copied onto another tenant's or another integration's row fails to open.

mod key_file;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub use key_file::{key_file_exists, load_or_generate_key};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const KEY_ID_HEX_LEN: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The envelope was sealed with a key that is not configured.
    #[error("sealed with unknown key {0}")]
    UnknownKey(String),
    /// Not an envelope this code wrote (truncated, unknown version, ...).
    #[error("malformed envelope")]
    Malformed,
    /// The key is right but the ciphertext, its header or the AAD is not.
    #[error("decryption failed: wrong record or tampered data")]
    Decrypt,
    /// A master key that is not standard base64 of exactly 32 bytes.
    #[error("invalid master key: {0}")]
    InvalidKey(String),
    #[error("master key file {path}: {source}")]
    KeyFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Associated data naming one record: each part is length-prefixed, so
/// `("ab", "c")` and `("a", "bc")` differ.
pub fn aad(business_id: &str, record_kind: &str, record_id: &str) -> Vec<u8> {
    let parts = [business_id, record_kind, record_id];
    let mut out = Vec::with_capacity(parts.iter().map(|p| 4 + p.len()).sum());
    for part in parts {
        // Parts are ids and short names; a part of 4 GiB is not a thing.
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// The id of a key: the first 16 hex characters of its SHA-256.
pub fn key_id(key: &[u8; 32]) -> String {
    let digest = hex::encode(Sha256::digest(key));
    digest[..KEY_ID_HEX_LEN].to_owned()
}

/// Decodes a master key given as standard base64 of exactly 32 bytes
/// (surrounding whitespace, such as a key file's newline, is ignored).
pub fn parse_key(base64_key: &str) -> Result<[u8; 32], CryptoError> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_key.trim())
        .map_err(|err| CryptoError::InvalidKey(format!("not standard base64: {err}")))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| CryptoError::InvalidKey(format!("expected 32 bytes, got {}", bytes.len())))
}

struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl Key {
    fn new(bytes: [u8; 32]) -> Key {
        Key {
            id: key_id(&bytes),
            cipher: XChaCha20Poly1305::new(&bytes.into()),
        }
    }
}

/// Seals with the current key, opens with the current or any older key.
pub struct SecretBox {
    current: Key,
    older: Vec<Key>,
}

// By hand, so that no key material can reach a log through `{:?}`.
impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("current", &self.current.id)
            .field(
                "older",
                &self.older.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl SecretBox {
    pub fn new(current: [u8; 32], older: Vec<[u8; 32]>) -> SecretBox {
        SecretBox {
            current: Key::new(current),
            older: older.into_iter().map(Key::new).collect(),
        }
    }

    /// The id of the key new envelopes are sealed with.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` for the record `aad` names.
    ///
    /// # Panics
    ///
    /// If `plaintext` is larger than XChaCha20-Poly1305 allows (256 GiB), or
    /// the operating system cannot supply random bytes for the nonce.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);

        let mut envelope = header(&self.current.id);
        let associated = [envelope.as_slice(), aad].concat();
        let sealed = self.current.cipher.encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: &associated,
            },
        );
        // The AEAD's only failure is a plaintext over its size limit.
        let Ok(ciphertext) = sealed else {
            panic!(
                "plaintext of {} bytes is too large to seal",
                plaintext.len()
            );
        };
        envelope.reserve(NONCE_LEN + ciphertext.len());
        envelope.extend_from_slice(&nonce);
        envelope.extend_from_slice(&ciphertext);
        envelope
    }

    /// Opens an envelope made by [`SecretBox::seal`] with the same `aad`.
    pub fn open(&self, envelope: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let parsed = Envelope::parse(envelope)?;
        let key = std::iter::once(&self.current)
            .chain(&self.older)
            .find(|key| key.id.as_bytes() == parsed.key_id)
            .ok_or_else(|| {
                CryptoError::UnknownKey(String::from_utf8_lossy(parsed.key_id).into_owned())
            })?;
        let nonce =
            <[u8; NONCE_LEN]>::try_from(parsed.nonce).map_err(|_| CryptoError::Malformed)?;
        let associated = [parsed.header, aad].concat();
        key.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: parsed.ciphertext,
                    aad: &associated,
                },
            )
            .map_err(|_| CryptoError::Decrypt)
    }

    /// Whether an envelope was sealed with an older key and should be
    /// re-sealed (open, then seal) to finish a rotation.
    pub fn needs_reseal(&self, envelope: &[u8]) -> Result<bool, CryptoError> {
        Ok(Envelope::parse(envelope)?.key_id != self.current.id.as_bytes())
    }
}

fn header(key_id: &str) -> Vec<u8> {
    let mut header = Vec::with_capacity(2 + key_id.len());
    header.push(VERSION);
    // Key ids are the 16 characters `key_id` makes, far below u8::MAX.
    header.push(u8::try_from(key_id.len()).unwrap_or(u8::MAX));
    header.extend_from_slice(key_id.as_bytes());
    header
}

/// The parts of an envelope, borrowed from it.
struct Envelope<'a> {
    header: &'a [u8],
    key_id: &'a [u8],
    nonce: &'a [u8],
    ciphertext: &'a [u8],
}

impl<'a> Envelope<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Envelope<'a>, CryptoError> {
        let (&version, rest) = bytes.split_first().ok_or(CryptoError::Malformed)?;
        if version != VERSION {
            return Err(CryptoError::Malformed);
        }
        let (&id_len, rest) = rest.split_first().ok_or(CryptoError::Malformed)?;
        let id_len = usize::from(id_len);
        if id_len == 0 || rest.len() < id_len + NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Malformed);
        }
        let (key_id, rest) = rest.split_at(id_len);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        Ok(Envelope {
            header: &bytes[..2 + id_len],
            key_id,
            nonce,
            ciphertext,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: [u8; 32] = [1; 32];
    const NEW: [u8; 32] = [2; 32];

    fn record() -> Vec<u8> {
        aad("biz-1", "integration", "int-1")
    }

    #[test]
    fn round_trip() -> Result<(), CryptoError> {
        let secrets = SecretBox::new(NEW, vec![]);
        let envelope = secrets.seal(b"{\"password\":\"hunter2\"}", &record());
        assert_eq!(envelope[0], VERSION);
        assert_eq!(envelope[1] as usize, KEY_ID_HEX_LEN);
        assert_eq!(&envelope[2..18], key_id(&NEW).as_bytes());
        assert!(!envelope.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(
            secrets.open(&envelope, &record())?,
            b"{\"password\":\"hunter2\"}"
        );
        // Empty secrets seal and open too.
        assert_eq!(secrets.open(&secrets.seal(b"", &record()), &record())?, b"");
        Ok(())
    }

    #[test]
    fn nonces_are_fresh_per_seal() {
        let secrets = SecretBox::new(NEW, vec![]);
        assert_ne!(secrets.seal(b"x", &record()), secrets.seal(b"x", &record()));
    }

    #[test]
    fn wrong_aad_fails() {
        let secrets = SecretBox::new(NEW, vec![]);
        let envelope = secrets.seal(b"secret", &record());
        for other in [
            aad("biz-2", "integration", "int-1"),
            aad("biz-1", "integration", "int-2"),
            aad("biz-1", "destination", "int-1"),
            Vec::new(),
        ] {
            assert!(matches!(
                secrets.open(&envelope, &other),
                Err(CryptoError::Decrypt)
            ));
        }
    }

    #[test]
    fn aad_parts_are_length_prefixed() {
        assert_ne!(aad("ab", "c", "d"), aad("a", "bc", "d"));
        assert_ne!(aad("a", "", "bc"), aad("a", "b", "c"));
        assert_eq!(aad("a", "b", "c"), aad("a", "b", "c"));
    }

    #[test]
    fn any_tampered_byte_fails() {
        let secrets = SecretBox::new(NEW, vec![]);
        let envelope = secrets.seal(b"secret", &record());
        for i in 0..envelope.len() {
            let mut tampered = envelope.clone();
            tampered[i] ^= 0x01;
            assert!(
                secrets.open(&tampered, &record()).is_err(),
                "flipping byte {i} went unnoticed"
            );
        }
        assert!(matches!(
            secrets.open(&envelope[..envelope.len() - 1], &record()),
            Err(CryptoError::Decrypt)
        ));
    }

    #[test]
    fn malformed_envelopes_are_refused_without_panicking() {
        let secrets = SecretBox::new(NEW, vec![]);
        for bytes in [
            &[][..],
            &[1],
            &[2, 16],
            &[1, 0, 0, 0],
            &[1, 16, b'a', b'b'],
            &[1, 255, 0],
        ] {
            assert!(matches!(
                secrets.open(bytes, &record()),
                Err(CryptoError::Malformed)
            ));
        }
    }

    #[test]
    fn rotation_opens_old_envelopes_only_while_the_old_key_is_configured() -> Result<(), CryptoError>
    {
        let before = SecretBox::new(OLD, vec![]);
        let envelope = before.seal(b"secret", &record());

        let rotated = SecretBox::new(NEW, vec![OLD]);
        assert_eq!(rotated.open(&envelope, &record())?, b"secret");
        assert!(rotated.needs_reseal(&envelope)?);
        let resealed = rotated.seal(&rotated.open(&envelope, &record())?, &record());
        assert!(!rotated.needs_reseal(&resealed)?);

        let forgotten = SecretBox::new(NEW, vec![]);
        match forgotten.open(&envelope, &record()) {
            Err(CryptoError::UnknownKey(id)) => assert_eq!(id, key_id(&OLD)),
            other => panic!("expected UnknownKey, got {other:?}"),
        }
        assert_eq!(forgotten.open(&resealed, &record())?, b"secret");
        Ok(())
    }

    #[test]
    fn debug_shows_key_ids_not_keys() {
        let shown = format!("{:?}", SecretBox::new(NEW, vec![OLD]));
        assert!(shown.contains(&key_id(&NEW)) && shown.contains(&key_id(&OLD)));
        assert!(!shown.contains("2, 2, 2"));
    }

    #[test]
    fn keys_parse_from_standard_base64_of_32_bytes() -> Result<(), CryptoError> {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(NEW);
        assert_eq!(parse_key(&encoded)?, NEW);
        assert_eq!(parse_key(&format!("{encoded}\n"))?, NEW);

        let short = base64::engine::general_purpose::STANDARD.encode([0u8; 31]);
        assert!(matches!(parse_key(&short), Err(CryptoError::InvalidKey(_))));
        assert!(matches!(
            parse_key("not base64!"),
            Err(CryptoError::InvalidKey(_))
        ));
        let url_safe = base64::engine::general_purpose::URL_SAFE.encode([0xfb; 32]);
        assert!(matches!(
            parse_key(&url_safe),
            Err(CryptoError::InvalidKey(_))
        ));
        Ok(())
    }
}
