//! Atomic file replacement for fixes: a temporary file in the target's own directory, renamed
//! over the target, so a reader (or a crash) sees the old bytes or the new ones, never half.
//!
//! A symlink is written through: the file it points to is replaced and the link stays a link.
//! The target's permission bits, owner and group are carried over to the new file. A file that
//! cannot be replaced without changing what it is (read-only, with several hard links, or owned
//! by someone whose ownership cannot be kept) is refused with the reason.
//!
//! The temporary file must live beside the target (a rename only replaces atomically within
//! one file system), which is inside the build context a COPY may pick up. So its name says what
//! it is (`.skafix-tmp-<pid>-<n>`), and a later `skafix fix` removes any such file whose process
//! is gone ([`remove_stale_temp_files`]): a crash leaves at most one file per directory, until
//! the next run.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// How every temporary file of a fix is named: the prefix, then `<pid>-<n>`.
pub const TEMP_PREFIX: &str = ".skafix-tmp-";

/// Replaces the contents of `path` (or of the file a symlink at `path` points to) with `bytes`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = resolve_target(path)?;
    let meta = fs::metadata(&target)?;
    refuse_unsafe_replacement(&meta)?;
    let permissions = meta.permissions();
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (temp_path, mut temp_file) = create_temp(&dir)?;
    let result = (|| {
        temp_file.write_all(bytes)?;
        keep_owner(&temp_file, &meta)?;
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

/// Whether `path` (through symlinks) may be replaced by a fix; the reason when not. Asked
/// before a fix is applied in memory, so `--diff` shows only what `fix` would really write.
pub(crate) fn replaceable(path: &Path) -> std::io::Result<()> {
    refuse_unsafe_replacement(&fs::metadata(path)?)
}

/// Refuses what a rename would silently change: a read-only file (its owner asked for it not to
/// change), a file with other hard links (they would keep the old text), anything but a regular
/// file.
fn refuse_unsafe_replacement(meta: &fs::Metadata) -> std::io::Result<()> {
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.permissions().readonly() {
        return Err(std::io::Error::other(
            "the file is read-only; it is left unchanged",
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Err(std::io::Error::other(format!(
                "the file has {} hard links and replacing it would split them; it is left unchanged",
                meta.nlink()
            )));
        }
    }
    Ok(())
}

/// Gives the new file the target's owner and group (as root, a fix would otherwise hand a
/// user's file to root); refuses when that is not permitted.
#[cfg(unix)]
fn keep_owner(temp: &fs::File, target: &fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let temp_meta = temp.metadata()?;
    if temp_meta.uid() == target.uid() && temp_meta.gid() == target.gid() {
        return Ok(());
    }
    std::os::unix::fs::fchown(temp, Some(target.uid()), Some(target.gid())).map_err(|e| {
        std::io::Error::other(format!(
            "the file belongs to another user or group and its ownership cannot be kept ({e}); it is left unchanged"
        ))
    })
}

#[cfg(not(unix))]
fn keep_owner(_temp: &fs::File, _target: &fs::Metadata) -> std::io::Result<()> {
    Ok(())
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

fn create_temp(dir: &Path) -> std::io::Result<(PathBuf, fs::File)> {
    loop {
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let candidate = dir.join(format!("{TEMP_PREFIX}{}-{unique}", std::process::id()));
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            // Private until it replaces the target and takes the target's mode.
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&candidate) {
            Ok(file) => return Ok((candidate, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Removes the temporary files a killed `skafix fix` left in `dirs`: regular files named like
/// [`TEMP_PREFIX`] whose process no longer runs (where that cannot be told, older than an
/// hour). Returns how many were removed. Errors are ignored: this is housekeeping.
pub fn remove_stale_temp_files<'a>(dirs: impl IntoIterator<Item = &'a Path>) -> usize {
    let mut removed = 0;
    for dir in dirs {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMP_PREFIX)) else {
                continue;
            };
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            if meta.is_file() && is_stale(rest, &meta) && fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

fn is_stale(rest: &str, meta: &fs::Metadata) -> bool {
    let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
    if pid == Some(std::process::id()) {
        return false;
    }
    let proc_dir = Path::new("/proc");
    if proc_dir.join("self").exists() {
        return !matches!(pid, Some(pid) if proc_dir.join(pid.to_string()).exists());
    }
    meta.modified()
        .ok()
        .and_then(|m| m.elapsed().ok())
        .is_some_and(|age| age.as_secs() > 3600)
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

    #[cfg(unix)]
    #[test]
    fn refuses_read_only_and_hard_linked_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ro.yaml");
        fs::write(&file, "old\n").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o444)).unwrap();
        let err = write_atomic(&file, b"new\n").unwrap_err();
        assert!(err.to_string().contains("read-only"), "{err}");
        assert_eq!(fs::read(&file).unwrap(), b"old\n");
        let linked = dir.path().join("a.yaml");
        fs::write(&linked, "old\n").unwrap();
        fs::hard_link(&linked, dir.path().join("b.yaml")).unwrap();
        let err = write_atomic(&linked, b"new\n").unwrap_err();
        assert!(err.to_string().contains("2 hard links"), "{err}");
        assert_eq!(fs::read(dir.path().join("b.yaml")).unwrap(), b"old\n");
        assert_eq!(entries(dir.path()), vec!["a.yaml", "b.yaml", "ro.yaml"]);
    }

    #[cfg(unix)]
    #[test]
    fn keeps_another_users_ownership_or_refuses() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("skaffold.yaml");
        fs::write(&file, "old\n").unwrap();
        // Only root can give a file away; as another user the refusal is what is tested.
        let as_root = std::os::unix::fs::chown(&file, Some(4242), Some(4343)).is_ok();
        if as_root {
            write_atomic(&file, b"new\n").unwrap();
            let meta = fs::metadata(&file).unwrap();
            assert_eq!((meta.uid(), meta.gid()), (4242, 4343));
            assert_eq!(fs::read(&file).unwrap(), b"new\n");
        } else {
            let target = fs::metadata(&file).unwrap();
            let temp = fs::File::open(&file).unwrap();
            assert!(
                keep_owner(&temp, &target).is_ok(),
                "same owner needs nothing"
            );
        }
        assert_eq!(entries(dir.path()), vec!["skaffold.yaml"]);
    }

    #[test]
    fn stale_temp_files_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // No process has the largest pid; our own temp files are left alone.
        fs::write(dir.path().join(format!("{TEMP_PREFIX}4294967295-0")), "x").unwrap();
        let own = format!("{TEMP_PREFIX}{}-7", std::process::id());
        fs::write(dir.path().join(&own), "x").unwrap();
        fs::write(dir.path().join("Dockerfile"), "x").unwrap();
        if Path::new("/proc/self").exists() {
            assert_eq!(remove_stale_temp_files([dir.path()]), 1);
            assert_eq!(entries(dir.path()), vec![own, "Dockerfile".to_string()]);
        }
    }
}
