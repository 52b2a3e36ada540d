//! The file store: a directory (`./data/files` by default) or any
//! S3-compatible bucket (`FILE_STORE=s3://bucket`, credentials and endpoint
//! from the usual `AWS_*` variables), behind one interface, the domain's
//! `files::Store`. Files are named by their sha256, so storing one twice
//! is harmless.

use crate::BoxError;
use crate::domain::recruiting::files::Store;
use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use std::sync::Arc;

#[derive(Clone)]
pub struct Storage(Arc<dyn ObjectStore>);

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Storage({})", self.0)
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
                return Ok(Storage(Arc::new(s3)));
            }
            return Ok(Storage(Arc::new(object_store::prefix::PrefixStore::new(
                s3, prefix,
            ))));
        }
        std::fs::create_dir_all(file_store)
            .map_err(|e| format!("cannot use the file store {file_store}: {e}"))?;
        // Synced to disk before the row naming it commits (as the database
        // syncs that row, and as a bucket keeps what it acknowledged): else
        // a crash in the next half minute leaves an uploaded resume listed
        // on its candidate and missing, or empty, on disk.
        Ok(Storage(Arc::new(
            object_store::local::LocalFileSystem::new_with_prefix(file_store)?.with_fsync(true),
        )))
    }
}

#[async_trait::async_trait]
impl Store for Storage {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BoxError> {
        self.0
            .put(&Path::from(key), PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Bytes, BoxError> {
        Ok(self.0.get(&Path::from(key)).await?.bytes().await?)
    }

    async fn delete(&self, key: &str) -> Result<(), BoxError> {
        match self.0.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
