//! The library's error type.
//!
//! Every error names the file it concerns and, where there is one, the place in it (record index,
//! byte offset, line and column). No error ever carries CLK bytes, scores, block ids or group
//! contents: messages are safe to print and to log (`security.md` §2).

use std::fmt;
use std::io;
use std::path::Path;

/// Where in an input a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The file as a whole (empty, wrong kind, unreadable).
    Whole,
    /// A record, by its 0-based index (its position in the file).
    Record(u64),
    /// A byte offset from the start of the file.
    Byte(u64),
    /// A 1-based line and column, as JSON parsers report them.
    LineColumn(u64, u64),
    /// A named element (a JSON key, a header field).
    Field(String),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Whole => Ok(()),
            Place::Record(i) => write!(f, "record {i}: "),
            Place::Byte(o) => write!(f, "byte offset {o}: "),
            Place::LineColumn(l, c) => write!(f, "line {l}, column {c}: "),
            Place::Field(name) => write!(f, "{name}: "),
        }
    }
}

/// Errors returned by clklink.
///
/// [`Error::is_bad_input`] tells the command-line tool which exit status to use: 2 for input the
/// user can fix (a malformed file, a missing file, an invalid argument), 1 for everything else.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input file is malformed.
    #[error("{path}: {place}{message}")]
    BadInput {
        /// The file, as the user named it.
        path: String,
        /// Where in the file.
        place: Place,
        /// What is wrong, without any of the file's contents.
        message: String,
    },
    /// An input file could not be opened or read (missing, a directory, no permission).
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file, as the user named it.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
    /// An output could not be written.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The output, as the user named it.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
    /// An option or argument is out of range or inconsistent with the inputs.
    #[error("{0}")]
    InvalidArgument(String),
    /// A configured guard stopped the work (too many candidate pairs, say).
    #[error("{0}")]
    LimitExceeded(String),
}

impl Error {
    /// A malformed input at `place` in the file `path`.
    pub fn bad_input(path: impl AsRef<Path>, place: Place, message: impl Into<String>) -> Self {
        Error::BadInput {
            path: display_path(path.as_ref()),
            place,
            message: message.into(),
        }
    }

    /// An input that could not be read.
    pub fn read(path: impl AsRef<Path>, source: io::Error) -> Self {
        Error::Read {
            path: display_path(path.as_ref()),
            source,
        }
    }

    /// An output that could not be written.
    pub fn write(path: impl AsRef<Path>, source: io::Error) -> Self {
        let path = path.as_ref();
        Error::Write {
            path: if path.as_os_str() == "-" {
                "<stdout>".to_string()
            } else {
                display_path(path)
            },
            source,
        }
    }

    /// An invalid option or argument.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::InvalidArgument(message.into())
    }

    /// True when the user's input or arguments are at fault (command-line exit status 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::BadInput { .. } | Error::Read { .. } | Error::InvalidArgument(_)
        )
    }
}

/// How a path is shown in messages: as given, with `-` meaning standard input.
pub fn display_path(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
