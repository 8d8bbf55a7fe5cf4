//! Where pulled audio lives: one directory, opened once as a capability
//! (cap-std), so no path — however it is built — can leave it. Keys are
//! `<business id>/<recording id>`, both ids this server generated; nothing a
//! vendor sends ever becomes part of a path.
//!
//! A file is written under a `.part` name, synced, then renamed into place,
//! so a reader never sees half a recording and a crash leaves at most a
//! `.part` file behind.

use std::io;
use std::path::Path;

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// The recordings directory.
pub struct AudioStore {
    root: Dir,
}

/// What a finished write produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub key: String,
    pub size: u64,
    pub sha256: String,
    /// The first bytes, for sniffing the content type.
    pub head: Vec<u8>,
}

/// Why a write stopped.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("larger than the {cap} byte limit")]
    TooLarge { cap: u64 },
    #[error(transparent)]
    Source(anyhow::Error),
    #[error("storage: {0}")]
    Io(#[from] io::Error),
}

const HEAD_BYTES: usize = 16;

/// Only ids we generate are valid key parts: letters, digits and `-`.
fn valid_part(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= 64
        && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub fn key_for(business_id: &str, recording_id: &str) -> io::Result<String> {
    if !valid_part(business_id) || !valid_part(recording_id) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "storage keys are built from generated ids only",
        ));
    }
    Ok(format!("{business_id}/{recording_id}"))
}

impl AudioStore {
    /// Opens (creating) the directory. The only use of ambient authority.
    pub fn open(path: &Path) -> io::Result<AudioStore> {
        std::fs::create_dir_all(path)?;
        Ok(AudioStore {
            root: Dir::open_ambient_dir(path, ambient_authority())?,
        })
    }

    /// Streams `chunks` into the file of `key`, stopping at `cap` bytes.
    /// On any error nothing is left under `key`.
    pub async fn write<S>(&self, key: &str, cap: u64, mut chunks: S) -> Result<Written, WriteError>
    where
        S: futures::Stream<Item = anyhow::Result<bytes::Bytes>> + Unpin,
    {
        use futures::StreamExt as _;
        let (dir, _) = key
            .split_once('/')
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad storage key"))?;
        self.root.create_dir_all(dir)?;
        let part = format!("{key}.part");
        let file = self.root.create(&part)?;
        // Removes the part file however this ends: an error, or the task
        // being aborted mid-download (a server stopping).
        let mut guard = PartFile {
            root: &self.root,
            name: &part,
            keep: false,
        };
        let mut file = tokio::fs::File::from_std(file.into_std());
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut head = Vec::with_capacity(HEAD_BYTES);
        let result: Result<(), WriteError> = async {
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk.map_err(WriteError::Source)?;
                size += chunk.len() as u64;
                if size > cap {
                    return Err(WriteError::TooLarge { cap });
                }
                if head.len() < HEAD_BYTES {
                    let take = (HEAD_BYTES - head.len()).min(chunk.len());
                    head.extend_from_slice(&chunk[..take]);
                }
                hasher.update(&chunk);
                file.write_all(&chunk).await?;
            }
            // Durable before the row that points at it is committed.
            file.sync_all().await?;
            Ok(())
        }
        .await;
        drop(file);
        result?;
        self.root.rename(&part, &self.root, key)?;
        guard.keep = true;
        // The rename (and a new business directory) is durable only once
        // the directories holding them are synced: else a power cut after
        // the row commits could leave it naming no file.
        let synced = self
            .root
            .open_dir(dir)
            .and_then(|d| sync_dir(&d))
            .and_then(|()| sync_dir(&self.root));
        if let Err(e) = synced {
            let _ = self.root.remove_file(key);
            return Err(e.into());
        }
        Ok(Written {
            key: key.to_owned(),
            size,
            sha256: hex::encode(hasher.finalize()),
            head,
        })
    }

    /// Opens a stored file for reading.
    pub fn open_file(&self, key: &str) -> io::Result<tokio::fs::File> {
        let file = self.root.open(key)?;
        Ok(tokio::fs::File::from_std(file.into_std()))
    }

    /// One walk of the directory for the startup sweep (`pull/sweep.rs`).
    /// Removes `.part` files last written more than `older_than` ago: what
    /// a process killed mid-download (`kill -9`, a power cut) left behind;
    /// a graceful stop or an aborted download removes its own. Younger ones
    /// are left alone, because another server sharing this directory may
    /// be writing them now. Returns how many were removed, and the keys of
    /// the finished files as old: the orphan sweep's candidates, only names
    /// this server could have made (anything else in the directory, an
    /// operator's file or `lost+found`, is not ours).
    pub fn sweep_parts(&self, older_than: std::time::Duration) -> io::Result<(usize, Vec<String>)> {
        let cutoff = std::time::SystemTime::now()
            .checked_sub(older_than)
            .unwrap_or(std::time::UNIX_EPOCH);
        let mut removed = 0;
        let mut finished = Vec::new();
        for business in self.root.entries()? {
            let business = business?;
            if !business.file_type()?.is_dir() {
                continue;
            }
            let business_name = business
                .file_name()
                .to_str()
                .filter(|n| valid_part(n))
                .map(str::to_owned);
            let dir = business.open_dir()?;
            for file in dir.entries()? {
                let file = file?;
                let name = file.file_name();
                let Some(name) = name.to_str() else {
                    continue;
                };
                if name.ends_with(".part") {
                    if file.metadata()?.modified()?.into_std() < cutoff {
                        dir.remove_file(name)?;
                        removed += 1;
                    }
                    continue;
                }
                let Some(business_name) = &business_name else {
                    continue;
                };
                if valid_part(name)
                    && file.file_type()?.is_file()
                    && file.metadata()?.modified()?.into_std() <= cutoff
                {
                    finished.push(format!("{business_name}/{name}"));
                }
            }
        }
        Ok((removed, finished))
    }

    /// Removes a stored file; a missing one is not an error.
    pub fn remove(&self, key: &str) -> io::Result<()> {
        match self.root.remove_file(key) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

struct PartFile<'a> {
    root: &'a Dir,
    name: &'a str,
    keep: bool,
}

impl Drop for PartFile<'_> {
    fn drop(&mut self) {
        if !self.keep {
            let _ = self.root.remove_file(self.name);
        }
    }
}

/// The content type of audio: what the server said if it is audio, else what
/// the source listed, else what the first bytes are.
/// The `failed` reason of a download that was not audio.
pub const NOT_AUDIO: &str = "not_audio: the download did not answer with audio (WAV, MP3 or Ogg)";

pub fn content_type(header: Option<&str>, listed: Option<&str>, head: &[u8]) -> String {
    // A body that opens like JSON, HTML or XML is a vendor's error page
    // whatever the headers say: no audio format starts that way.
    if let Some(markup) = markup(head) {
        return markup.to_owned();
    }
    let header = header
        .map(|h| {
            h.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|h| h.starts_with("audio/"));
    if let Some(h) = header {
        return h;
    }
    if let Some(l) = listed.filter(|l| l.starts_with("audio/")) {
        return l.to_owned();
    }
    sniff(head).unwrap_or("application/octet-stream").to_owned()
}

/// fsync of a directory: makes the entries created or renamed in it durable.
/// (Through `"."` opened for reading: a `Dir`'s own handle may be `O_PATH`,
/// which cannot be synced.)
fn sync_dir(dir: &Dir) -> io::Result<()> {
    dir.open(".")?.into_std().sync_all()
}

/// JSON or HTML/XML: the head opens with `{`, `[` or `<` and is text (raw
/// audio that happens to start with such a byte has control bytes soon).
fn markup(head: &[u8]) -> Option<&'static str> {
    let sample = &head[..head.len().min(64)];
    if !sample
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace() || *b >= 0x80)
    {
        return None;
    }
    match sample.iter().find(|b| !b.is_ascii_whitespace())? {
        b'{' | b'[' => Some("application/json"),
        b'<' => Some("text/html"),
        _ => None,
    }
}

fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        Some("audio/wav")
    } else if head.starts_with(b"ID3")
        || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0)
    {
        Some("audio/mpeg")
    } else if head.starts_with(b"OggS") {
        Some("audio/ogg")
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn chunks(
        parts: &[&'static [u8]],
    ) -> impl futures::Stream<Item = anyhow::Result<Bytes>> + Unpin {
        futures::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    #[tokio::test]
    async fn writes_hashes_and_refuses_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let store = AudioStore::open(dir.path()).unwrap();
        let key = key_for("biz-1", "rec-1").unwrap();
        let w = store
            .write(&key, 100, chunks(&[b"RIFF\0\0\0\0WAVE", b"fmt "]))
            .await
            .unwrap();
        assert_eq!(w.size, 16);
        assert_eq!(
            w.sha256,
            hex::encode(Sha256::digest(b"RIFF\0\0\0\0WAVEfmt "))
        );
        assert_eq!(content_type(None, None, &w.head), "audio/wav");
        assert_eq!(
            std::fs::read(dir.path().join("biz-1/rec-1")).unwrap().len(),
            16
        );

        let big = key_for("biz-1", "rec-2").unwrap();
        let err = store
            .write(&big, 10, chunks(&[b"0123456", b"789ab"]))
            .await
            .unwrap_err();
        assert!(matches!(err, WriteError::TooLarge { cap: 10 }), "{err}");
        assert!(!dir.path().join("biz-1/rec-2").exists());
        assert!(!dir.path().join("biz-1/rec-2.part").exists());
    }

    #[test]
    fn stale_part_files_are_swept_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = AudioStore::open(dir.path()).unwrap();
        std::fs::create_dir_all(dir.path().join("biz-1")).unwrap();
        let old = dir.path().join("biz-1/rec-1.part");
        let fresh = dir.path().join("biz-1/rec-2.part");
        let stored = dir.path().join("biz-1/rec-3");
        for path in [&old, &fresh, &stored] {
            std::fs::write(path, b"RIFF").unwrap();
        }
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        for path in [&old, &stored] {
            std::fs::File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(two_hours_ago)
                .unwrap();
        }
        let (removed, _) = store
            .sweep_parts(std::time::Duration::from_secs(3600))
            .unwrap();
        assert_eq!(removed, 1);
        assert!(!old.exists(), "a stale .part goes");
        assert!(fresh.exists(), "one being written stays");
        assert!(stored.exists(), "a stored recording is never swept");
    }

    #[test]
    fn keys_come_from_ids_only() {
        assert!(key_for("../etc", "x").is_err());
        assert!(key_for("a", "b/c").is_err());
        assert!(key_for("a", "").is_err());
        assert_eq!(key_for("0190-ab", "0191-cd").unwrap(), "0190-ab/0191-cd");
    }

    #[test]
    fn content_type_prefers_the_server_then_the_listing_then_the_bytes() {
        assert_eq!(
            content_type(Some("audio/mpeg; x=1"), Some("audio/wav"), b""),
            "audio/mpeg"
        );
        assert_eq!(
            content_type(Some("application/octet-stream"), Some("audio/wav"), b""),
            "audio/wav"
        );
        assert_eq!(content_type(None, None, b"ID3\x04"), "audio/mpeg");
        assert_eq!(content_type(None, None, b"OggS"), "audio/ogg");
        assert_eq!(
            content_type(None, None, b"????"),
            "application/octet-stream"
        );
        // An error page is not audio, whatever the headers and listing say.
        assert_eq!(
            content_type(
                Some("audio/mpeg"),
                Some("audio/wav"),
                b" {\"error\": \"gone\"}"
            ),
            "application/json"
        );
        assert_eq!(
            content_type(Some("audio/wav"), None, b"\n<!DOCTYPE html>"),
            "text/html"
        );
        // Raw audio that starts with such a byte is still audio.
        assert_eq!(
            content_type(Some("audio/basic"), None, b"<\x00\x7f\x01\xfe"),
            "audio/basic"
        );
    }
}
