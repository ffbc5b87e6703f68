//! The file credential store: up to [`MAX_PROFILES`] profiles in one file in a state directory,
//! replaced atomically so a crash (even SIGKILL) at any moment leaves the old or the new set,
//! never a torn one.
//!
//! ```text
//! commit: write profiles.json.tmp-<pid>-<n> ─ fsync(file) ─ rename → profiles.json ─ fsync(dir)
//! load:   profiles.json absent → empty; unparsable → an error (never silently dropped)
//! ```
//!
//! Byte strings (SSIDs need not be UTF-8) are stored as hex so the file round-trips exactly.

use crate::SimError;
use provkit_hal::{
    Bssid, CredentialStore, Credentials, ErrorType, Passphrase, Profile, ProfileList, Ssid,
};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Most profiles a CC32xx keeps (the ESP keeps one; the store allows the larger).
pub const MAX_PROFILES: usize = 7;
const FILE_NAME: &str = "profiles.json";
const FORMAT: u32 = 1;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Profiles persisted in `dir/profiles.json`.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredFile {
    format: u32,
    profiles: Vec<StoredProfile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredProfile {
    ssid: String,
    passphrase: String,
    bssid: Option<String>,
    channel: Option<u8>,
    priority: u8,
}

impl FileStore {
    /// Opens (creating if needed) the state directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<FileStore, SimError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| io(format!("creating {}", dir.display()), e))?;
        Ok(FileStore { dir })
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// The committed profile set.
    pub fn load(&self) -> Result<Vec<Profile>, SimError> {
        let path = self.path();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(format!("reading {}", path.display()), e)),
        };
        let corrupt = |why: String| SimError::CorruptStore {
            path: path.display().to_string(),
            why,
        };
        let file: StoredFile = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        if file.format != FORMAT {
            return Err(corrupt(format!("unknown format {}", file.format)));
        }
        if file.profiles.len() > MAX_PROFILES {
            return Err(corrupt(format!("{} profiles", file.profiles.len())));
        }
        file.profiles
            .into_iter()
            .map(|p| from_stored(p).map_err(corrupt))
            .collect()
    }

    /// Replaces the whole set atomically.
    pub fn commit(&self, profiles: &[Profile]) -> Result<(), SimError> {
        if profiles.len() > MAX_PROFILES {
            return Err(SimError::TooManyProfiles(profiles.len()));
        }
        let file = StoredFile {
            format: FORMAT,
            profiles: profiles.iter().map(to_stored).collect(),
        };
        let text = serde_json::to_vec_pretty(&file).map_err(|e| SimError::CorruptStore {
            path: self.path().display().to_string(),
            why: e.to_string(),
        })?;
        let tmp = self.dir.join(format!(
            "{FILE_NAME}.tmp-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let result = write_synced(&tmp, &text)
            .and_then(|()| fs::rename(&tmp, self.path()))
            .and_then(|()| sync_dir(&self.dir));
        if result.is_err() {
            // Best effort: a leftover temp file is harmless (never read) but untidy.
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(|e| io(format!("committing {}", self.path().display()), e))
    }

    /// Forgets every profile (also atomic: the file goes away in one unlink).
    pub fn clear(&self) -> Result<(), SimError> {
        match fs::remove_file(self.path()) {
            Ok(()) => sync_dir(&self.dir).map_err(|e| io("syncing state dir".into(), e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(format!("removing {}", self.path().display()), e)),
        }
    }
}

impl ErrorType for FileStore {
    type Error = SimError;
}

impl CredentialStore for FileStore {
    fn load(&mut self) -> Result<ProfileList, SimError> {
        let profiles = FileStore::load(self)?;
        ProfileList::from_slice(&profiles).map_err(|_| SimError::TooManyProfiles(profiles.len()))
    }

    fn commit(&mut self, profiles: &[Profile]) -> Result<(), SimError> {
        FileStore::commit(self, profiles)
    }

    fn clear(&mut self) -> Result<(), SimError> {
        FileStore::clear(self)
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the rename itself durable (POSIX needs the directory fsynced).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

fn io(context: String, source: std::io::Error) -> SimError {
    SimError::Io { context, source }
}

fn to_stored(p: &Profile) -> StoredProfile {
    StoredProfile {
        ssid: hex::encode(p.credentials.ssid.as_bytes()),
        passphrase: hex::encode(p.credentials.passphrase.as_bytes()),
        bssid: p.credentials.bssid.map(|b| hex::encode(b.0)),
        channel: p.credentials.channel,
        priority: p.priority,
    }
}

fn from_stored(p: StoredProfile) -> Result<Profile, String> {
    let bytes =
        |field: &str, text: &str| hex::decode(text).map_err(|e| format!("{field} is not hex: {e}"));
    let ssid = Ssid::new(&bytes("ssid", &p.ssid)?).map_err(|e| e.to_string())?;
    let passphrase =
        Passphrase::from_raw(&bytes("passphrase", &p.passphrase)?).map_err(|e| e.to_string())?;
    let bssid = match p.bssid {
        Some(text) => {
            let raw = bytes("bssid", &text)?;
            let six: [u8; 6] = raw
                .try_into()
                .map_err(|_| "bssid is not 6 bytes".to_string())?;
            Some(Bssid(six))
        }
        None => None,
    };
    Ok(Profile {
        credentials: Credentials {
            ssid,
            passphrase,
            bssid,
            channel: p.channel,
        },
        priority: p.priority,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(ssid: &[u8], pass: &[u8], priority: u8) -> Profile {
        Profile {
            credentials: Credentials {
                ssid: Ssid::new(ssid).expect("ssid"),
                passphrase: Passphrase::from_raw(pass).expect("passphrase"),
                bssid: Some(Bssid([1, 2, 3, 4, 5, priority])),
                channel: Some(priority),
            },
            priority,
        }
    }

    #[test]
    fn empty_dir_loads_nothing_and_commit_round_trips_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::open(dir.path().join("state")).expect("open");
        assert!(store.load().expect("load").is_empty());
        let set = vec![
            profile(b"Home\xffNet\0", b"pass word", 1),
            profile(b"B", b"", 7),
        ];
        store.commit(&set).expect("commit");
        assert_eq!(store.load().expect("load"), set);
        // A second store on the same dir (a restart) sees the same set.
        let reopened = FileStore::open(dir.path().join("state")).expect("open");
        assert_eq!(reopened.load().expect("load"), set);
    }

    #[test]
    fn commit_leaves_no_temp_files_and_clear_forgets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::open(dir.path()).expect("open");
        store
            .commit(&[profile(b"A", b"12345678", 0)])
            .expect("commit");
        store
            .commit(&[profile(b"B", b"12345678", 0)])
            .expect("commit");
        let names: Vec<String> = fs::read_dir(dir.path())
            .expect("read_dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![FILE_NAME.to_string()]);
        store.clear().expect("clear");
        assert!(store.load().expect("load").is_empty());
        store.clear().expect("clearing twice is fine");
    }

    #[test]
    fn too_many_profiles_are_refused_and_old_set_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::open(dir.path()).expect("open");
        let old = vec![profile(b"old", b"12345678", 0)];
        store.commit(&old).expect("commit");
        let eight: Vec<Profile> = (0..8).map(|i| profile(b"x", b"12345678", i)).collect();
        assert!(matches!(
            store.commit(&eight),
            Err(SimError::TooManyProfiles(8))
        ));
        assert_eq!(store.load().expect("load"), old);
    }

    #[test]
    fn corrupt_file_is_an_error_not_an_empty_set() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::open(dir.path()).expect("open");
        fs::write(
            store.path(),
            b"{\"format\":1,\"profiles\":[{\"ssid\":\"zz\"",
        )
        .expect("write");
        assert!(matches!(store.load(), Err(SimError::CorruptStore { .. })));
    }
}
