//! Creating an embedded database's directory (mode 0700) and file (mode 0600) before SQLite
//! opens it: SQLite gives the `-wal` and `-shm` files the mode of the database file, so all
//! three are readable by the proxy's user only. Existing files and directories keep their
//! mode.

use std::io;
use std::path::Path;

/// Creates `dir` and its missing parents with mode 0700.
pub(crate) fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates the empty file `path` with mode 0600 unless it exists.
pub(crate) fn create_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
