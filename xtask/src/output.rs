//! Writing generated files, or comparing them with the checked-in ones (`--check`).

use std::path::Path;

use anyhow::{Context, Result};
use similar::TextDiff;

/// One generated file: path relative to the workspace root, and its full contents.
#[derive(Debug)]
pub struct GeneratedFile {
    pub path: &'static str,
    pub contents: String,
}

/// Write every file whose contents differ from what is on disk (so unchanged files keep their
/// modification time and do not trigger rebuilds). Returns the paths written.
pub fn write(root: &Path, files: &[GeneratedFile]) -> Result<Vec<&'static str>> {
    let mut written = Vec::new();
    for file in files {
        let path = root.join(file.path);
        if read_existing(&path)?.as_deref() == Some(file.contents.as_str()) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, &file.contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(file.path);
    }
    Ok(written)
}

/// Compare every file with the checked-in version; print a unified diff (3 lines of context)
/// for each one that differs. Returns the paths that are out of date.
pub fn check(root: &Path, files: &[GeneratedFile]) -> Result<Vec<&'static str>> {
    let mut stale = Vec::new();
    for file in files {
        let existing = read_existing(&root.join(file.path))?.unwrap_or_default();
        if existing == file.contents {
            continue;
        }
        let diff = TextDiff::from_lines(&existing, &file.contents);
        print!(
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("a/{}", file.path), &format!("b/{}", file.path))
        );
        stale.push(file.path);
    }
    Ok(stale)
}

/// File contents, or `None` when the file does not exist yet.
fn read_existing(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}
