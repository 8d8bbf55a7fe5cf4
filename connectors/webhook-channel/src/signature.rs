//! The Standard Webhooks signature scheme (<https://www.standardwebhooks.com>).
//!
//! A secret is `whsec_` followed by the base64 of the key bytes; the HMAC key
//! is the *decoded* bytes, not the text. The signed content is
//! `{webhook-id}.{webhook-timestamp}.{body}` and a signature is
//! `v1,` + base64(HMAC-SHA256(key, content)). During a rotation a request
//! carries several signatures, separated by spaces.
//!
//! Nothing here ever puts a secret (or a part of one) into an error message.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of every secret.
pub const PREFIX: &str = "whsec_";

/// The spec's lower bound for a key.
pub const MIN_KEY_BYTES: usize = 24;

/// Standard alphabet; padding optional, so a secret whose `=` got lost in a
/// copy-paste still reads.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The key bytes of a `whsec_…` secret (surrounding whitespace ignored).
/// `name` is the setting's key, used in the error text instead of the value.
pub fn decode_secret(name: &str, secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret.trim().strip_prefix(PREFIX).ok_or_else(|| {
        format!("secret `{name}` must start with `{PREFIX}` (a Standard Webhooks secret)")
    })?;
    let key = LENIENT
        .decode(encoded)
        .map_err(|_| format!("secret `{name}` must be `{PREFIX}` followed by standard base64"))?;
    if key.len() < MIN_KEY_BYTES {
        return Err(format!(
            "secret `{name}` is too short: its key must be at least {MIN_KEY_BYTES} bytes ({} given)",
            key.len()
        ));
    }
    Ok(key)
}

/// One signature, `v1,<base64>`, of `body` sent as message `id` at `timestamp`
/// (Unix seconds) with `secret` (`whsec_…`).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let key = decode_secret("secret", secret)?;
    sign_with_key(&key, id, timestamp, body)
}

/// [`sign`] with the decoded key.
pub fn sign_with_key(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    // HMAC takes keys of any length, so this error does not happen in practice.
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|_| "the signing key was refused by HMAC-SHA256".to_string())?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header value: one signature per key, in order
/// (current first), separated by single spaces.
pub fn signature_header(
    keys: &[Vec<u8>],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, String> {
    let signatures = keys
        .iter()
        .map(|key| sign_with_key(key, id, timestamp, body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

/// A secret in the format this channel expects, from 32 random bytes the
/// caller provides (the host uses its own RNG): `whsec_` + padded base64.
pub fn generate_secret_from(bytes: [u8; 32]) -> String {
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The reference vector of the Standard Webhooks libraries.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1614265330;
    const PAYLOAD: &[u8] = br#"{"test": 2432232314}"#;
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn matches_the_reference_vector() {
        assert_eq!(sign(SECRET, ID, TIMESTAMP, PAYLOAD).unwrap(), EXPECTED);
    }

    #[test]
    fn any_change_changes_the_signature() {
        assert_ne!(sign(SECRET, ID, TIMESTAMP + 1, PAYLOAD).unwrap(), EXPECTED);
        assert_ne!(
            sign(SECRET, "msg_other", TIMESTAMP, PAYLOAD).unwrap(),
            EXPECTED
        );
        assert_ne!(
            sign(SECRET, ID, TIMESTAMP, br#"{"test": 2432232315}"#).unwrap(),
            EXPECTED
        );
    }

    #[test]
    fn rotation_signs_with_every_key_current_first() {
        let current = decode_secret("secret", SECRET).unwrap();
        let previous = decode_secret("previousSecret", &generate_secret_from([7; 32])).unwrap();
        let header =
            signature_header(&[current, previous.clone()], ID, TIMESTAMP, PAYLOAD).unwrap();
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], EXPECTED);
        assert_eq!(
            parts[1],
            sign_with_key(&previous, ID, TIMESTAMP, PAYLOAD).unwrap()
        );
        assert!(parts[1].starts_with("v1,"));
    }

    #[test]
    fn padding_and_whitespace_are_tolerated() {
        let padded = generate_secret_from([1; 32]);
        assert!(padded.ends_with('='));
        let unpadded = padded.trim_end_matches('=');
        assert_eq!(
            decode_secret("secret", &format!("  {unpadded}\n")).unwrap(),
            vec![1; 32]
        );
    }

    #[test]
    fn generated_secrets_round_trip() {
        let bytes: [u8; 32] = std::array::from_fn(|i| i as u8);
        let secret = generate_secret_from(bytes);
        assert!(secret.starts_with("whsec_"));
        assert_eq!(decode_secret("secret", &secret).unwrap(), bytes.to_vec());
    }

    #[test]
    fn bad_secrets_are_refused_without_echoing_them() {
        let short = format!("whsec_{}", STANDARD.encode([9u8; 16]));
        for (bad, says) in [
            (
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "must start with `whsec_`",
            ),
            ("whsec_not*base64!!", "standard base64"),
            ("whsec_", "too short"),
            (short.as_str(), "too short"),
        ] {
            let err = decode_secret("previousSecret", bad).unwrap_err();
            assert!(err.contains(says), "{err}");
            assert!(err.contains("`previousSecret`"), "{err}");
            let body = bad.trim_start_matches("whsec_");
            assert!(
                body.is_empty() || !err.contains(body),
                "{err} leaks the secret"
            );
        }
        assert!(sign("whsec_short", ID, TIMESTAMP, PAYLOAD).is_err());
    }
}
