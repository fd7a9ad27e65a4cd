//! Helpers shared by test binaries that need no test cluster or engine (those live in
//! `tests/support`).

use std::path::Path;

/// Copies the directory `from` to `to` (created), keeping its layout. Copies are writable:
/// the corpus is kept read-only, and `fix` refuses read-only files as a user's checkout would.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
}
