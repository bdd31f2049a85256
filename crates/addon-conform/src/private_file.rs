//! Files the command line writes that may hold secrets (manifests) or a provider's words
//! (reports): readable by their owner alone, whatever mode a file already there had.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

/// What to do when the path is a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Write where the link points (`--output /dev/stdout` is a link).
    Follow,
    /// Replace the link itself with a new file, so a planted link cannot redirect a secret.
    Replace,
}

/// Writes `text` to `path`, creating or truncating it, with mode 0600 (also when it existed
/// with a looser one).
pub fn write_private(path: &Path, text: &str, links: Links) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink());
    if is_link && links == Links::Replace {
        std::fs::remove_file(path)?;
        // Whatever appears at the path meanwhile is refused, not written through.
        options.create_new(true);
    }
    let mut file = options.open(path)?;
    let regular = file.metadata()?.is_file();
    #[cfg(unix)]
    if regular {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())?;
    if regular {
        file.sync_all()?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_looser_file_becomes_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, "new", Links::Follow).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let fresh = dir.path().join("fresh.json");
        write_private(&fresh, "x", Links::Follow).unwrap();
        assert_eq!(mode(&fresh), 0o600);
    }

    #[test]
    fn a_replaced_link_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "theirs").unwrap();
        let link = dir.path().join("addon-manifest.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_private(&link, "secret", Links::Replace).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "theirs");
        assert!(
            !std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "secret");
        assert_eq!(mode(&link), 0o600);
    }
}
