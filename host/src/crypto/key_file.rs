//! The master key file, `<data_dir>/master.key`: base64 of 32 random bytes,
//! made on first start so an embedded deployment works without setup.

use std::io::{ErrorKind, Write};
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use rand::RngCore;

use super::{CryptoError, parse_key};

const FILE_NAME: &str = "master.key";

/// How long to wait for another process that created the file first to
/// finish writing it (it is 45 bytes; this is generous).
const RACE_WAIT: Duration = Duration::from_secs(2);
const RACE_POLL: Duration = Duration::from_millis(25);

/// Whether `<data_dir>/master.key` exists (a start would not generate one).
pub fn key_file_exists(data_dir: &Path) -> bool {
    data_dir.join(FILE_NAME).exists()
}

/// Reads `<data_dir>/master.key`, or creates it with a new random key.
/// Returns the key and whether it was generated just now, so the caller can
/// warn that losing this file loses every stored secret.
///
/// The file is created with `create_new` (and mode 0600 on Unix), so two
/// processes starting together cannot both generate: the loser reads the
/// winner's key.
pub fn load_or_generate_key(data_dir: &Path) -> Result<([u8; 32], bool), CryptoError> {
    let path = data_dir.join(FILE_NAME);
    let io_err = |source| CryptoError::KeyFile {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(io_err)?;

    match open_new(&path) {
        Ok(mut file) => {
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            let encoded = base64::engine::general_purpose::STANDARD.encode(key);
            let written = file
                .write_all(format!("{encoded}\n").as_bytes())
                .and_then(|()| file.sync_all());
            if let Err(e) = written {
                // An empty or partial file (a full disk) would be read as
                // an invalid key at every later start: no key was ever used.
                drop(file);
                let _ = std::fs::remove_file(&path);
                return Err(io_err(e));
            }
            Ok((key, true))
        }
        Err(err) if err.kind() == ErrorKind::AlreadyExists => Ok((read_existing(&path)?, false)),
        Err(err) => Err(io_err(err)),
    }
}

fn open_new(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Reads a key file that exists, waiting briefly while it is empty: the
/// process that just created it may not have written the key yet.
fn read_existing(path: &Path) -> Result<[u8; 32], CryptoError> {
    let mut waited = Duration::ZERO;
    loop {
        let text = std::fs::read_to_string(path).map_err(|source| CryptoError::KeyFile {
            path: path.to_owned(),
            source,
        })?;
        if !text.trim().is_empty() || waited >= RACE_WAIT {
            warn_if_readable_by_others(path);
            return parse_key(&text);
        }
        std::thread::sleep(RACE_POLL);
        waited += RACE_POLL;
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{:o}", meta.permissions().mode() & 0o777),
            "the master key file is readable by other users; chmod 600 it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_then_reads_the_same_key() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let data_dir = dir.path().join("data");

        let (first, generated) = load_or_generate_key(&data_dir)?;
        assert!(generated);
        let (second, generated_again) = load_or_generate_key(&data_dir)?;
        assert!(!generated_again);
        assert_eq!(first, second);
        assert_ne!(first, [0u8; 32]);

        let text = std::fs::read_to_string(data_dir.join(FILE_NAME))?;
        assert_eq!(parse_key(&text)?, first);

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data_dir.join(FILE_NAME))?
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        Ok(())
    }

    #[test]
    fn concurrent_starts_agree_on_one_key() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let data_dir = dir.path().to_owned();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let data_dir = data_dir.clone();
                std::thread::spawn(move || load_or_generate_key(&data_dir))
            })
            .collect();
        let mut results = Vec::new();
        for handle in handles {
            match handle.join() {
                Ok(result) => results.push(result?),
                Err(_) => anyhow::bail!("a loader thread panicked"),
            }
        }
        assert_eq!(
            results.iter().filter(|(_, generated)| *generated).count(),
            1
        );
        assert!(results.iter().all(|(key, _)| *key == results[0].0));
        Ok(())
    }

    #[test]
    fn a_bad_key_file_is_an_error_not_a_new_key() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join(FILE_NAME), "too short\n")?;
        assert!(matches!(
            load_or_generate_key(dir.path()),
            Err(CryptoError::InvalidKey(_))
        ));
        Ok(())
    }
}
