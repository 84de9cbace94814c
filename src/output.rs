//! Outputs that appear whole or not at all.
//!
//! Every file clklink writes goes to a temporary file in the target's directory first and is
//! renamed into place only when complete, so a failed or interrupted command never leaves a
//! partial output. `-` writes to standard output instead (where atomicity is the reader's
//! business).

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file being written; call [`AtomicOutput::commit`] to make it appear at its path.
///
/// Dropping it without committing removes the temporary file.
pub struct AtomicOutput {
    path: PathBuf,
    inner: Inner,
}

enum Inner {
    File(BufWriter<tempfile::NamedTempFile>),
    Stdout(BufWriter<io::Stdout>),
}

impl AtomicOutput {
    /// Starts writing `path` (`-` for standard output).
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if path.as_os_str() == "-" {
            return Ok(AtomicOutput {
                path,
                inner: Inner::Stdout(BufWriter::new(io::stdout())),
            });
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if path.is_dir() {
            return Err(Error::write(
                &path,
                io::Error::new(io::ErrorKind::IsADirectory, "is a directory"),
            ));
        }
        // A missing output directory is created, as a user naming `out/groups.json` expects.
        fs::create_dir_all(&dir).map_err(|e| Error::write(&path, e))?;
        let tmp = tempfile::Builder::new()
            .prefix(".clklink-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| Error::write(&path, e))?;
        Ok(AtomicOutput {
            path,
            inner: Inner::File(BufWriter::with_capacity(1 << 20, tmp)),
        })
    }

    /// The path this output will have.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes and renames the temporary file into place.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        match self.inner {
            Inner::Stdout(mut w) => w.flush().map_err(|e| Error::write(&path, e)),
            Inner::File(w) => {
                let tmp = w
                    .into_inner()
                    .map_err(|e| Error::write(&path, e.into_error()))?;
                tmp.as_file()
                    .sync_all()
                    .map_err(|e| Error::write(&path, e))?;
                tmp.persist(&path)
                    .map_err(|e| Error::write(&path, e.error))?;
                Ok(())
            }
        }
    }
}

impl Write for AtomicOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::File(w) => w.write(buf),
            Inner::Stdout(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.inner {
            Inner::File(w) => w.write_all(buf),
            Inner::Stdout(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::File(w) => w.flush(),
            Inner::Stdout(w) => w.flush(),
        }
    }
}

/// Writes a whole output atomically with `f`; the output appears only if `f` succeeds.
pub fn write_atomically(
    path: impl AsRef<Path>,
    f: impl FnOnce(&mut AtomicOutput) -> Result<()>,
) -> Result<()> {
    let mut out = AtomicOutput::create(path.as_ref())?;
    f(&mut out)?;
    out.commit()
}

/// Creates a directory for a multi-file output (permutations) if it does not exist.
pub fn ensure_dir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|e| Error::write(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_appears_until_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        let mut out = AtomicOutput::create(&target).unwrap();
        out.write_all(b"{}").unwrap();
        assert!(!target.exists());
        out.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"{}");
    }

    #[test]
    fn dropped_output_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        let r = write_atomically(&target, |out| {
            out.write_all(b"partial").unwrap();
            Err(Error::invalid_argument("stop"))
        });
        assert!(r.is_err());
        assert!(!target.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
