//! WIT versions the host can load, one frozen binding module each, and the
//! version stamp that says which one a component was built against.
//!
//! The SDK writes `[major, minor, patch]` as big-endian u16s into the custom
//! section `switchboard:api-version` (Zed's scheme). A component that serves
//! several worlds carries the stamp once per world; all copies must agree.
//! For 0.x versions, as in semver, a minor bump is a breaking change: 0.1.x
//! components load with the 0.1 bindings, and a later 0.2 host keeps the 0.1
//! module beside its own so they go on loading.

pub mod since_v0_1_0;

pub const API_VERSION_SECTION: &str = "switchboard:api-version";

/// The binding family a component is loaded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V0_1,
}

impl ApiVersion {
    pub fn from_semver(v: &semver::Version) -> Option<ApiVersion> {
        match (v.major, v.minor) {
            (0, 1) => Some(ApiVersion::V0_1),
            _ => None,
        }
    }
}

/// Reads the stamped version, wherever the section sits (the SDK's static ends
/// up in the component's inner core module).
pub fn read_stamp(wasm: &[u8]) -> Result<Option<semver::Version>, String> {
    let mut found: Option<[u8; 6]> = None;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| format!("not a valid component: {e}"))?;
        if let wasmparser::Payload::CustomSection(section) = payload {
            if section.name() != API_VERSION_SECTION {
                continue;
            }
            let data = section.data();
            if data.is_empty() || data.len() % 6 != 0 {
                return Err(format!(
                    "{API_VERSION_SECTION} section has {} bytes, not a multiple of 6",
                    data.len()
                ));
            }
            for chunk in data.chunks_exact(6) {
                let mut stamp = [0u8; 6];
                stamp.copy_from_slice(chunk);
                match found {
                    Some(prev) if prev != stamp => {
                        return Err("component carries conflicting API version stamps".into());
                    }
                    _ => found = Some(stamp),
                }
            }
        }
    }
    Ok(found.map(|b| {
        let part = |i: usize| u64::from(u16::from_be_bytes([b[i], b[i + 1]]));
        semver::Version::new(part(0), part(2), part(4))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_versions() {
        assert_eq!(
            ApiVersion::from_semver(&semver::Version::new(0, 1, 0)),
            Some(ApiVersion::V0_1)
        );
        assert_eq!(
            ApiVersion::from_semver(&semver::Version::new(0, 1, 7)),
            Some(ApiVersion::V0_1)
        );
        assert_eq!(
            ApiVersion::from_semver(&semver::Version::new(0, 2, 0)),
            None
        );
        assert_eq!(
            ApiVersion::from_semver(&semver::Version::new(1, 1, 0)),
            None
        );
    }

    #[test]
    fn rejects_non_wasm() {
        assert!(read_stamp(b"definitely not wasm").is_err());
    }
}
