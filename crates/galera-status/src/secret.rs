//! A password that never shows up in `Debug`, `Display` or logs.

use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::error::StatusError;

/// A secret string. `Debug` prints `Secret(***)`; there is no `Display`. The bytes are
/// overwritten when the value is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for handing to the server's authentication only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Best effort: overwrite the heap buffer before it is freed.
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        // `black_box` keeps the optimiser from dropping the writes to a buffer about to be freed.
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&bytes);
    }
}

/// Files larger than this are not password files.
const MAX_PASSWORD_FILE: u64 = 4096;

/// Reads a password file: its whole content, without the trailing line break(s). Spaces are
/// kept (they may be part of the password). An empty file is an empty password.
pub fn read_password_file(path: &Path) -> Result<Secret, StatusError> {
    let err = |message: String| StatusError::PasswordFile {
        path: path.display().to_string(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let mut text = String::new();
    file.take(MAX_PASSWORD_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| err(e.to_string()))?;
    if text.len() as u64 > MAX_PASSWORD_FILE {
        return Err(err(format!(
            "larger than {MAX_PASSWORD_FILE} bytes; not a password file"
        )));
    }
    let trimmed = text.trim_end_matches(['\n', '\r']);
    if trimmed.contains(['\n', '\r']) {
        return Err(err("holds more than one line".to_string()));
    }
    let secret = Secret::new(trimmed);
    // Wipe the read buffer too.
    let mut bytes = text.into_bytes();
    bytes.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&bytes);
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn password_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret with space \n").unwrap();
        assert_eq!(
            read_password_file(&p).unwrap().expose(),
            "s3cret with space "
        );
        std::fs::write(&p, "crlf\r\n").unwrap();
        assert_eq!(read_password_file(&p).unwrap().expose(), "crlf");
        std::fs::write(&p, "").unwrap();
        assert_eq!(read_password_file(&p).unwrap().expose(), "");
        std::fs::write(&p, "a\nb\n").unwrap();
        assert!(read_password_file(&p).is_err());
        std::fs::write(&p, "x".repeat(5000)).unwrap();
        assert!(read_password_file(&p).is_err());
        let e = read_password_file(&dir.path().join("missing")).unwrap_err();
        assert!(matches!(e, StatusError::PasswordFile { .. }), "{e:?}");
        assert!(!e.to_string().contains("s3cret"));
    }
}
