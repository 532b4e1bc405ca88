//! Where an export goes: stdout, or a file written atomically.
//!
//! `--output FILE` writes to a temporary file in the same directory as FILE (so the final
//! rename stays on one file system and is atomic) and renames it over FILE only after the
//! last record was written, flushed and synced. If anything fails before that, the temporary
//! file is deleted and FILE, if it existed, is untouched: a failed export never leaves a
//! partial file and never replaces a good one. SIGINT, SIGTERM and SIGHUP are handled the
//! same way (see [`cleanup_on_interrupt`]).
//!
//! Like the shell's `>`, an existing FILE that the user may not write is refused before
//! anything is sent: one the process cannot open for writing (`access(2)`), and, since root
//! may write anything, one whose mode has no write bit for its owner (`chmod a-w`): a file
//! someone marked read-only is never replaced, whoever runs `cro`.
//!
//! Stdout: a standard output that was closed when `cro` started (`>&-`) is an error, not a
//! silent success (Rust's stdout would swallow `EBADF`); other write errors (`ENOSPC` on
//! `/dev/full`) fail the export; a reader that goes away (`EPIPE`, `| head -1`) ends it with
//! exit 141 and no message.

use crate::exit::{CliError, CliResult};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by [`guard_closed_stdout`] when standard output was closed at start.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Call first thing in `main`: find out whether standard output was closed when `cro`
/// started (`cro ... >&-`), so that an export to stdout fails instead of "succeeding".
///
/// Rust's runtime opens `/dev/null` read-write on a standard descriptor that is closed at
/// start (so that no file the program opens gets number 1), and writes then vanish. So
/// descriptor 1 counts as closed when it is that: `/dev/null` opened read-write (a shell's
/// `>/dev/null` opens it write-only, which stays a valid, if pointless, destination).
pub fn guard_closed_stdout() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        // SAFETY: fcntl(F_GETFL) only reads the descriptor's status flags.
        let flags = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFL) };
        let closed = flags == -1 || {
            // SAFETY: fstat fills the zeroed struct for a descriptor we do not own or close.
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            let stat_ok = unsafe { libc::fstat(libc::STDOUT_FILENO, &mut st) } == 0;
            let dev_null = std::fs::metadata("/dev/null")
                .ok()
                .filter(|m| m.file_type().is_char_device());
            flags & libc::O_ACCMODE == libc::O_RDWR
                && stat_ok
                && (st.st_mode & libc::S_IFMT) == libc::S_IFCHR
                && dev_null.is_some_and(|m| m.rdev() == st.st_rdev as u64)
        };
        STDOUT_CLOSED.store(closed, Ordering::Relaxed);
    }
}

/// Refuse an existing `path` the user may not write (see the module docs).
fn check_writable(path: &Path) -> CliResult<()> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(()); // not there yet: created by the rename
    };
    if !meta.is_file() {
        return Ok(()); // devices, fifos: the rename replaces the name, as before
    }
    let refuse = |why: &str| {
        Err(CliError::other(format!(
            "--output {}: permission denied ({why}); nothing was exported",
            path.display()
        ))
        .detail("hint: make it writable (`chmod u+w`) or choose another file"))
    };
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o200 == 0 {
            return refuse("the file is read-only: its owner has no write permission");
        }
        if let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) {
            // SAFETY: access(2) reads the NUL-terminated path and returns a status.
            if unsafe { libc::access(c_path.as_ptr(), libc::W_OK) } != 0 {
                return refuse("you may not write this file");
            }
        }
    }
    #[cfg(not(unix))]
    if meta.permissions().readonly() {
        return refuse("the file is read-only");
    }
    Ok(())
}

/// Temporary files to delete if the process is interrupted (Ctrl-C), since destructors do
/// not run on `process::exit`.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The destination of an export.
pub enum Target {
    /// Standard output.
    Stdout(io::Stdout),
    /// A temporary file that becomes `dest` on [`Target::commit`].
    File {
        /// The temporary file (deleted on drop unless committed).
        tmp: tempfile::NamedTempFile,
        /// The final path.
        dest: PathBuf,
        /// Unregisters the temporary file from the Ctrl-C cleanup list when dropped.
        _guard: PendingGuard,
    },
}

/// Keeps a temporary file on the Ctrl-C cleanup list while it exists.
pub struct PendingGuard(PathBuf);

impl PendingGuard {
    fn new(path: PathBuf) -> Self {
        if let Ok(mut pending) = PENDING.lock() {
            pending.push(path.clone());
        }
        PendingGuard(path)
    }
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        if let Ok(mut pending) = PENDING.lock() {
            pending.retain(|p| p != &self.0);
        }
    }
}

impl Target {
    /// Open the destination: stdout for `None` or `-`, else a temporary file next to `path`.
    pub fn open(path: Option<&Path>) -> CliResult<Target> {
        let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
            if STDOUT_CLOSED.load(Ordering::Relaxed) {
                return Err(CliError::other(
                    "standard output is closed (`>&-`), so the export could not be written; \
                     nothing was exported",
                )
                .detail("hint: redirect it to a file, or pass --output FILE"));
            }
            return Ok(Target::Stdout(io::stdout()));
        };
        if path.is_dir() {
            return Err(CliError::usage(format!(
                "--output {} is a directory",
                path.display()
            )));
        }
        check_writable(path)?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export".into());
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".cro-tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Like a file created by a plain `open`: 0666 minus the umask (tempfile's default
            // of 0600 would surprise people sharing the export), or the old file's mode.
            let mode = std::fs::metadata(path)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0o666);
            builder.permissions(std::fs::Permissions::from_mode(mode));
        }
        let tmp = builder.tempfile_in(&dir).map_err(|e| {
            CliError::other(format!(
                "cannot create a temporary file in {}: {e}",
                dir.display()
            ))
        })?;
        Ok(Target::File {
            _guard: PendingGuard::new(tmp.path().to_path_buf()),
            tmp,
            dest: path.to_path_buf(),
        })
    }

    /// Make the output final: flush stdout, or sync and rename the temporary file.
    pub fn commit(self) -> CliResult<Option<PathBuf>> {
        match self {
            Target::Stdout(mut s) => {
                s.flush()?;
                Ok(None)
            }
            Target::File { tmp, dest, _guard } => {
                tmp.as_file().sync_all().map_err(|e| {
                    CliError::other(format!("cannot sync {}: {e}", tmp.path().display()))
                })?;
                tmp.persist(&dest).map_err(|e| {
                    CliError::other(format!("cannot write {}: {}", dest.display(), e.error))
                })?;
                Ok(Some(dest))
            }
        }
    }
}

/// Delete the temporary files of unfinished exports (called on Ctrl-C before exiting).
pub fn cleanup_on_interrupt() {
    if let Ok(pending) = PENDING.lock() {
        for p in pending.iter() {
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Target::Stdout(s) => s.write(buf),
            Target::File { tmp, .. } => tmp.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Target::Stdout(s) => s.write_all(buf),
            Target::File { tmp, .. } => tmp.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Target::Stdout(s) => s.flush(),
            Target::File { tmp, .. } => tmp.flush(),
        }
    }
}

/// Access to the file behind a target (tests).
#[cfg(test)]
fn as_file(t: &Target) -> Option<&std::fs::File> {
    match t {
        Target::File { tmp, .. } => Some(tmp.as_file()),
        Target::Stdout(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_renames_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.csv");
        let mut t = Target::open(Some(&dest)).unwrap();
        assert!(as_file(&t).is_some());
        t.write_all(b"hello").unwrap();
        assert!(!dest.exists(), "nothing at the destination before commit");
        t.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "hello");
        assert_eq!(entries(dir.path()), ["out.csv"]);
    }

    #[test]
    fn failure_leaves_existing_file_untouched_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.csv");
        std::fs::write(&dest, "good").unwrap();
        {
            let mut t = Target::open(Some(&dest)).unwrap();
            t.write_all(b"partial").unwrap();
            // dropped without commit: the export failed
        }
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "good");
        assert_eq!(entries(dir.path()), ["out.csv"]);
    }

    #[cfg(unix)]
    #[test]
    fn overwrite_keeps_the_old_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.csv");
        std::fs::write(&dest, "old").unwrap();
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut t = Target::open(Some(&dest)).unwrap();
        t.write_all(b"new").unwrap();
        t.commit().unwrap();
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn read_only_target_is_refused_and_untouched() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.csv");
        std::fs::write(&dest, "keep").unwrap();
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o444)).unwrap();
        let err = Target::open(Some(&dest)).err().expect("refused");
        assert!(err.message.contains("permission denied"), "{err}");
        assert_eq!(err.exit, crate::exit::Exit::Other);
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "keep");
        assert_eq!(entries(dir.path()), ["out.csv"]);
        // Owner-writable is fine, whatever the group and others may do.
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(Target::open(Some(&dest)).is_ok());
    }

    #[test]
    fn directory_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Target::open(Some(dir.path())).err().unwrap();
        assert_eq!(err.exit, crate::exit::Exit::Usage);
    }
}
