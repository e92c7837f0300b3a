//! Where asset files live: the local filesystem under `DATA_DIR/files` by default,
//! or an S3-compatible bucket (AWS, MinIO...) when `S3_BUCKET` is set.

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::{ConfigError, StorageConfig};

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    pub max_upload_bytes: u64,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Storage({})", self.store)
    }
}

impl Storage {
    pub fn from_config(
        config: &StorageConfig,
        data_dir: &std::path::Path,
    ) -> Result<Self, ConfigError> {
        let store: Arc<dyn ObjectStore> = match &config.s3 {
            Some(s3) => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_allow_http(s3.allow_http);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let (Some(key), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
                    use secrecy::ExposeSecret;
                    builder = builder
                        .with_access_key_id(key)
                        .with_secret_access_key(secret.expose_secret());
                }
                Arc::new(
                    builder
                        .build()
                        .map_err(|e| ConfigError::new("S3_BUCKET", e.to_string()))?,
                )
            }
            None => {
                let dir = data_dir.join("files");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| ConfigError::new("DATA_DIR", format!("{}: {e}", dir.display())))?;
                Arc::new(
                    LocalFileSystem::new_with_prefix(&dir)
                        .map_err(|e| ConfigError::new("DATA_DIR", e.to_string()))?,
                )
            }
        };
        Ok(Self {
            store,
            max_upload_bytes: config.max_upload_bytes,
        })
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.store
            .put(&Path::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        let result = self.store.get(&Path::from(key)).await?;
        Ok(result.bytes().await?.to_vec())
    }

    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.store.delete(&Path::from(key)).await?;
        Ok(())
    }
}

/// Parts of a multipart upload: S3 wants at least 5 MiB a part.
const UPLOAD_PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts in flight at once: with the part being filled, the most an upload holds.
const UPLOAD_PARTS_IN_FLIGHT: usize = 2;

impl Storage {
    /// The object's size and its bytes as a stream of chunks, never all at once.
    pub async fn get_stream(
        &self,
        key: &str,
    ) -> anyhow::Result<(
        u64,
        futures_util::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
    )> {
        let result = self.store.get(&Path::from(key)).await?;
        Ok((result.meta.size, result.into_stream()))
    }

    /// Uploads a local file in parts (a multipart upload on S3), holding at most
    /// a few parts in memory; returns the bytes written.
    pub async fn put_file(&self, key: &str, file: &mut std::fs::File) -> anyhow::Result<u64> {
        use std::io::Read;
        let upload = self.store.put_multipart(&Path::from(key)).await?;
        let mut writer =
            object_store::WriteMultipart::new_with_chunk_size(upload, UPLOAD_PART_BYTES);
        let mut buffer = vec![0u8; 1024 * 1024];
        let mut total = 0u64;
        loop {
            let read = match file.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(e.into());
                }
            };
            if let Err(e) = writer.wait_for_capacity(UPLOAD_PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(e.into());
            }
            writer.write(&buffer[..read]);
            total += read as u64;
        }
        writer.finish().await?;
        Ok(total)
    }
}
