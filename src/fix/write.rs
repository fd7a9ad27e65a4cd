//! Atomic file replacement for fixes: a temporary file in the target's own directory, renamed
//! over the target, so a reader (or a crash) sees the old bytes or the new ones, never half.
//!
//! A symlink is written through: the file it points to is replaced and the link stays a link.
//! The target's permission bits are carried over to the new file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces the contents of `path` (or of the file a symlink at `path` points to) with `bytes`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = resolve_target(path)?;
    let permissions = fs::metadata(&target)?.permissions();
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    let (temp_path, mut temp_file) = create_temp(&dir, &name)?;
    let result = (|| {
        temp_file.write_all(bytes)?;
        temp_file.sync_all()?;
        drop(temp_file);
        fs::set_permissions(&temp_path, permissions)?;
        fs::rename(&temp_path, &target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp_path);
    }
    result
}

/// The real file behind `path`: symlinks are followed (canonicalize resolves chains and
/// relative link targets alike).
fn resolve_target(path: &Path) -> std::io::Result<PathBuf> {
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        fs::canonicalize(path)
    } else {
        Ok(path.to_path_buf())
    }
}

fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, fs::File)> {
    loop {
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let candidate = dir.join(format!(
            ".{name}.skafix-{}-{unique}.tmp",
            std::process::id()
        ));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => return Ok((candidate, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_contents_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("skaffold.yaml");
        fs::write(&file, "old\n").unwrap();
        write_atomic(&file, b"new\n").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"new\n");
        assert_eq!(entries(dir.path()), vec!["skaffold.yaml"]);
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permission_bits() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("run.sh");
        fs::write(&file, "old\n").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o750)).unwrap();
        write_atomic(&file, b"new\n").unwrap();
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o750);
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_a_relative_symlink() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real/skaffold.yaml");
        fs::write(&target, "old\n").unwrap();
        let link = dir.path().join("skaffold.yaml");
        std::os::unix::fs::symlink("real/skaffold.yaml", &link).unwrap();
        write_atomic(&link, b"new\n").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            fs::read_link(&link).unwrap(),
            PathBuf::from("real/skaffold.yaml")
        );
        assert_eq!(fs::read(&target).unwrap(), b"new\n");
    }

    #[test]
    fn a_missing_file_is_an_error_and_nothing_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomic(&dir.path().join("absent.yaml"), b"x").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert!(entries(dir.path()).is_empty());
    }
}
