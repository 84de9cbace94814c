//! Outputs that appear whole or not at all.
//!
//! Every file clklink writes goes to a temporary file in the target's directory first and is
//! renamed into place only when complete, so a failed or interrupted command never leaves a
//! partial output. A new file is created with mode 0600 (outputs are derived from personal
//! data); a file that is replaced keeps its permissions; a symbolic link stays a link and the
//! file it points to is replaced.
//!
//! `-` writes to standard output, and a target that exists but is not a regular file (a device
//! such as `/dev/null`, a named pipe) is written in place: renaming over those would replace
//! them. Atomicity there is the reader's business.

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
    /// The temporary file, and the path it is renamed to (the target, or the file a symbolic
    /// link target points to).
    File(BufWriter<tempfile::NamedTempFile>, PathBuf),
    /// A device or named pipe, written in place.
    Special(BufWriter<fs::File>),
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
        let target = resolve_links(&path).map_err(|e| Error::write(&path, e))?;
        let existing = fs::metadata(&target).ok();
        if existing.as_ref().is_some_and(fs::Metadata::is_dir) {
            return Err(Error::write(
                &path,
                io::Error::new(io::ErrorKind::IsADirectory, "is a directory"),
            ));
        }
        if existing.as_ref().is_some_and(|m| !m.is_file()) {
            let file = fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(|e| Error::write(&path, e))?;
            return Ok(AtomicOutput {
                path,
                inner: Inner::Special(BufWriter::new(file)),
            });
        }
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // A missing output directory is created, as a user naming `out/groups.json` expects.
        fs::create_dir_all(&dir).map_err(|e| Error::write(&path, e))?;
        let tmp = tempfile::Builder::new()
            .prefix(".clklink-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| Error::write(&path, e))?;
        if let Some(meta) = existing {
            // Replacing a file keeps its permissions (the temporary file is 0600).
            tmp.as_file()
                .set_permissions(meta.permissions())
                .map_err(|e| Error::write(&path, e))?;
        }
        Ok(AtomicOutput {
            path,
            inner: Inner::File(BufWriter::with_capacity(1 << 20, tmp), target),
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
            Inner::Special(mut w) => w.flush().map_err(|e| Error::write(&path, e)),
            Inner::File(w, target) => {
                let tmp = w
                    .into_inner()
                    .map_err(|e| Error::write(&path, e.into_error()))?;
                tmp.as_file()
                    .sync_all()
                    .map_err(|e| Error::write(&path, e))?;
                tmp.persist(&target)
                    .map_err(|e| Error::write(&path, e.error))?;
                Ok(())
            }
        }
    }
}

impl Write for AtomicOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::File(w, _) => w.write(buf),
            Inner::Special(w) => w.write(buf),
            Inner::Stdout(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.inner {
            Inner::File(w, _) => w.write_all(buf),
            Inner::Special(w) => w.write_all(buf),
            Inner::Stdout(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::File(w, _) => w.flush(),
            Inner::Special(w) => w.flush(),
            Inner::Stdout(w) => w.flush(),
        }
    }
}

/// Follows symbolic links from `path` to the path that is not one (which may not exist yet).
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    // A bound, as the OS has, so that a cycle of links is an error rather than a hang.
    for _ in 0..40 {
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&path)?;
                path = match path.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
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

    #[cfg(unix)]
    #[test]
    fn named_pipes_are_written_in_place_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo not available: skipped");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        write_atomically(&fifo, |out| {
            out.write_all(b"{}").unwrap();
            Ok(())
        })
        .unwrap();
        // Checked before joining: a reader of a replaced pipe would wait for ever.
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(reader.join().unwrap(), b"{}");
    }

    #[cfg(unix)]
    #[test]
    fn links_stay_links_and_replaced_files_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        fs::write(&real, b"old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        write_atomically(&link, |out| {
            out.write_all(b"new").unwrap();
            Ok(())
        })
        .unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new");
        let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);

        let fresh = dir.path().join("fresh.json");
        write_atomically(&fresh, |out| {
            out.write_all(b"x").unwrap();
            Ok(())
        })
        .unwrap();
        let mode = fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
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
