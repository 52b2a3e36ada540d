//! The file store: a directory (`./data/files` by default) or any
//! S3-compatible bucket (`FILE_STORE=s3://bucket`, credentials and endpoint
//! from the usual `AWS_*` variables), behind one interface, the domain's
//! `files::Store`. Files are named by their sha256, so storing one twice
//! is harmless.

use crate::BoxError;
use crate::domain::recruiting::files::Store;
use bytes::Bytes;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Clone)]
pub enum Storage {
    Directory(Arc<Path>),
    Bucket(Arc<dyn ObjectStore>),
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Storage::Directory(root) => write!(f, "Storage({})", root.display()),
            Storage::Bucket(bucket) => write!(f, "Storage({bucket})"),
        }
    }
}

impl Storage {
    /// The store `file_store` names: `s3://bucket[/prefix]` (with
    /// `options`: the `AWS_*` settings, lower-cased), or a directory
    /// (created when missing).
    pub fn open(file_store: &str, options: &[(String, String)]) -> Result<Storage, BoxError> {
        if file_store.starts_with("s3://") {
            let mut builder = object_store::aws::AmazonS3Builder::new().with_url(file_store);
            for (key, value) in options {
                if let Ok(key) = key.parse::<object_store::aws::AmazonS3ConfigKey>() {
                    builder = builder.with_config(key, value);
                }
            }
            let s3 = builder.build()?;
            let prefix = file_store
                .trim_start_matches("s3://")
                .split_once('/')
                .map(|(_, p)| p.trim_matches('/').to_owned())
                .unwrap_or_default();
            if prefix.is_empty() {
                return Ok(Storage::Bucket(Arc::new(s3)));
            }
            return Ok(Storage::Bucket(Arc::new(
                object_store::prefix::PrefixStore::new(s3, prefix),
            )));
        }
        std::fs::create_dir_all(file_store)
            .and_then(|()| std::fs::canonicalize(file_store))
            .map(|root| Storage::Directory(root.into()))
            .map_err(|e| format!("cannot use the file store {file_store}: {e}").into())
    }
}

/// Where `key` lives under `root`. Keys are the app's own (a digest, or
/// "logos/" and one); anything else, which could name a file outside the
/// root, is refused.
fn path_of(root: &Path, key: &str) -> Result<PathBuf, BoxError> {
    let fits = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !key.split('/').all(fits) {
        return Err(format!("not a file store key: {key:?}").into());
    }
    Ok(root.join(key))
}

/// Writes `bytes` to `path` whole and durably: to a staging name beside
/// it, synced, then renamed into place and the directory synced. The row
/// naming the file commits after this returns (as the database syncs that
/// row, and as a bucket keeps what it acknowledged); without the syncs a
/// crash in the next half minute left an uploaded resume listed and
/// missing, or empty, on disk. A reader never sees half a file.
fn write_durably(root: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(root);
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        std::fs::File::open(root)?.sync_all()?;
    }
    let mut staged = path.as_os_str().to_owned();
    staged.push(format!("#{}", uuid::Uuid::new_v4()));
    let staged = PathBuf::from(staged);
    let written = write_synced(&staged, bytes)
        .and_then(|()| std::fs::rename(&staged, path))
        .and_then(|()| std::fs::File::open(dir)?.sync_all());
    if written.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    written
}

/// The unit of direct writes: a page, which every Linux file system that
/// takes them accepts as alignment and length.
const BLOCK: usize = 4096;

/// A direct write's staging: blocks of the file copied into aligned
/// memory (direct writes take no other), a few at a time.
const STAGED_BLOCKS: usize = 64;

#[derive(Clone, Copy)]
#[repr(C, align(4096))]
struct Block([u8; BLOCK]);

/// Direct writes, where the system has them (Linux: the server's).
#[cfg(target_os = "linux")]
const DIRECT: libc::c_int = libc::O_DIRECT;
#[cfg(not(target_os = "linux"))]
const DIRECT: libc::c_int = 0;

thread_local! {
    /// Each blocking thread keeps its staging: a fresh aligned megabyte
    /// for each upload would be faulted in page by page every time.
    static STAGING: std::cell::RefCell<Vec<Block>> =
        std::cell::RefCell::new(vec![Block([0; BLOCK]); STAGED_BLOCKS]);
}

/// A new file of `bytes`, synced. Written past the page cache where the
/// file system allows (O_DIRECT): copying a megabyte into fresh cache
/// pages cost 40 % of an upload's CPU (measured with perf: 1.6 ms of 4),
/// and a stored file is read back seldom (its text once, a download now
/// and then). The tail is padded to a whole block, then cut back.
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let open = |flags| {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(flags)
            .open(path)
    };
    let direct = open(DIRECT).and_then(|mut file| {
        STAGING.with_borrow_mut(|blocks| {
            // SAFETY: `Block` is a plain byte array (repr(C), no padding),
            // so the vector's memory is `len * BLOCK` initialised bytes.
            let staging = unsafe {
                std::slice::from_raw_parts_mut(
                    blocks.as_mut_ptr().cast::<u8>(),
                    blocks.len() * BLOCK,
                )
            };
            for part in bytes.chunks(staging.len()) {
                let whole = part.len().next_multiple_of(BLOCK);
                staging[..part.len()].copy_from_slice(part);
                staging[part.len()..whole].fill(0);
                file.write_all(&staging[..whole])?;
            }
            io::Result::Ok(())
        })?;
        file.set_len(bytes.len() as u64)?;
        Ok(file)
    });
    let file = match direct {
        Ok(file) => file,
        // A file system without direct writes (tmpfs on older kernels):
        // through the page cache, as any other.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            let _ = std::fs::remove_file(path);
            let mut file = open(0)?;
            file.write_all(bytes)?;
            file
        }
        Err(e) => return Err(e),
    };
    file.sync_all()
}

#[async_trait::async_trait]
impl Store for Storage {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BoxError> {
        match self {
            Storage::Directory(root) => {
                let root = root.clone();
                let path = path_of(&root, key)?;
                tokio::task::spawn_blocking(move || write_durably(&root, &path, &bytes)).await??;
            }
            Storage::Bucket(bucket) => {
                bucket
                    .put(&key.into(), PutPayload::from_bytes(bytes))
                    .await?;
            }
        }
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Bytes, BoxError> {
        match self {
            Storage::Directory(root) => Ok(tokio::fs::read(path_of(root, key)?).await?.into()),
            Storage::Bucket(bucket) => Ok(bucket.get(&key.into()).await?.bytes().await?),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BoxError> {
        match self {
            Storage::Directory(root) => match tokio::fs::remove_file(path_of(root, key)?).await {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other.map_err(BoxError::from),
            },
            Storage::Bucket(bucket) => match bucket.delete(&key.into()).await {
                Err(object_store::Error::NotFound { .. }) => Ok(()),
                other => other.map_err(BoxError::from),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_under_the_root() {
        let root = Path::new("/srv/files");
        assert_eq!(
            path_of(root, "logos/ab12").unwrap(),
            Path::new("/srv/files/logos/ab12")
        );
        for key in [
            "",
            "../etc/passwd",
            "a/../b",
            "/etc/passwd",
            "a//b",
            "a\0b",
            ".",
        ] {
            assert!(path_of(root, key).is_err(), "{key:?} refused");
        }
    }

    #[tokio::test]
    async fn stored_whole_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Storage::open(dir.path().to_str().unwrap(), &[]).unwrap();
        // Lengths on, under and over a block and the staging, and empty.
        for (key, len) in [
            ("a1", 0),
            ("a2", 10),
            ("a3", BLOCK),
            ("logos/a4", 3 * BLOCK + 5),
            ("a5", 2 * STAGED_BLOCKS * BLOCK + BLOCK + 7),
            ("a6", STAGED_BLOCKS * BLOCK),
        ] {
            let bytes: Bytes = (0..len).map(|i| (i % 251) as u8).collect::<Vec<_>>().into();
            store.put(key, bytes.clone()).await.unwrap();
            assert_eq!(store.get(key).await.unwrap(), bytes, "{key}");
            // Stored again (the same content from another upload): the same.
            store.put(key, bytes.clone()).await.unwrap();
            assert_eq!(store.get(key).await.unwrap(), bytes, "{key} again");
        }
        // No staged file left beside them.
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a1", "a2", "a3", "a5", "a6", "logos"]);
        store.delete("a2").await.unwrap();
        store.delete("a2").await.unwrap();
        assert!(store.get("a2").await.is_err());
    }
}
