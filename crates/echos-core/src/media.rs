//! Stored media (avatars, contribution images): one interface, `MediaStore`, over a local
//! directory (the default) or an S3 bucket (`echos-s3`, behind the small `ObjectStore` trait).
//! Policy: keys are built here only — `tenants/<tenant id>/<purpose>/<random uuid>.<ext>` — and
//! every call re-parses the key it is given, so nothing a person typed (`../x`, another region's
//! prefix) ever reaches a path or a bucket. Bytes are expected to come from
//! `images::process_image`; this module does not look inside them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::future::BoxFuture;
use uuid::Uuid;

use crate::config::MediaConfig;
use crate::error::{Context, CoreError};

/// What a stored file is for; the second component of its key.
pub const PURPOSES: &[&str] = &["avatars", "images", "brand"];

/// Extensions a key may end with, and the content type each is served with.
const TYPES: &[(&str, &str)] =
    &[("png", "image/png"), ("jpg", "image/jpeg"), ("webp", "image/webp"), ("gif", "image/gif")];

/// The bytes of a stored file and its content type.
pub type Stored = (Vec<u8>, String);

/// Object storage behind `MediaStore::S3`. Keys reach it already checked; an absent object is
/// `Ok(None)` and deleting one is not an error.
pub trait ObjectStore: Send + Sync + 'static {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, content_type: &'a str) -> BoxFuture<'a, Result<(), CoreError>>;
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, CoreError>>;
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), CoreError>>;
    /// Every key that starts with `prefix`.
    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, CoreError>>;
}

/// Where media lives. Cheap to clone.
#[derive(Clone)]
pub enum MediaStore {
    /// Files under `dir`, one per key (the key is the relative path).
    Local {
        dir: PathBuf,
    },
    S3(Arc<dyn ObjectStore>),
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local { dir } => f.debug_struct("Local").field("dir", dir).finish(),
            Self::S3(_) => f.write_str("S3"),
        }
    }
}

/// A key taken apart; only ever built from a string that is exactly its canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaKey {
    pub tenant_id: Uuid,
    pub purpose: &'static str,
    pub id: Uuid,
    pub ext: &'static str,
}

impl MediaKey {
    /// Parses a key written by `MediaStore::put`; anything else (other separators, `..`, upper
    /// case, unknown purpose or extension) is `None`.
    pub fn parse(key: &str) -> Option<Self> {
        let mut parts = key.split('/');
        let (Some("tenants"), Some(tenant), Some(purpose), Some(file), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let (id, ext) = file.split_once('.')?;
        let parsed = Self {
            tenant_id: Uuid::try_parse(tenant).ok()?,
            purpose: PURPOSES.iter().copied().find(|p| *p == purpose)?,
            id: Uuid::try_parse(id).ok()?,
            ext: TYPES.iter().map(|(e, _)| *e).find(|e| *e == ext)?,
        };
        // Only the canonical spelling (lower-case hyphenated uuids) names a file.
        (parsed.to_string() == key).then_some(parsed)
    }

    pub fn content_type(&self) -> &'static str {
        content_type_of(self.ext).unwrap_or("application/octet-stream")
    }
}

impl std::fmt::Display for MediaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "tenants/{}/{}/{}.{}", self.tenant_id, self.purpose, self.id, self.ext)
    }
}

fn content_type_of(ext: &str) -> Option<&'static str> {
    TYPES.iter().find(|(e, _)| *e == ext).map(|(_, t)| *t)
}

fn checked(key: &str) -> Result<MediaKey, CoreError> {
    MediaKey::parse(key).ok_or_else(|| CoreError::invalid("this is not a media key"))
}

impl MediaStore {
    pub fn local(dir: impl Into<PathBuf>) -> Self {
        Self::Local { dir: dir.into() }
    }

    /// The store named by `media.store`. `s3` builds the S3 client (`echos_s3::store_from_config`)
    /// and is only called when the configuration asks for S3: `echos-core` does not link the SDK.
    pub fn from_config(
        cfg: &MediaConfig,
        s3: impl FnOnce(&MediaConfig) -> Result<Arc<dyn ObjectStore>, CoreError>,
    ) -> Result<Self, CoreError> {
        match cfg.store.as_str() {
            "local" => Ok(Self::local(&cfg.dir)),
            "s3" => Ok(Self::S3(s3(cfg)?)),
            other => Err(CoreError::invalid(format!("media.store must be `local` or `s3`, not `{other}`"))),
        }
    }

    /// Stores `bytes` under a new key of `tenant_id` and returns the key. `purpose` is one of
    /// `PURPOSES`; `ext` and `content_type` must agree (`png`/`image/png`, `jpg`/`image/jpeg`, …).
    pub async fn put(
        &self,
        tenant_id: Uuid,
        purpose: &str,
        bytes: Vec<u8>,
        ext: &str,
        content_type: &str,
    ) -> Result<String, CoreError> {
        let purpose = PURPOSES
            .iter()
            .copied()
            .find(|p| *p == purpose)
            .ok_or_else(|| CoreError::invalid(format!("unknown media purpose `{purpose}`")))?;
        let (ext, expected) = TYPES
            .iter()
            .copied()
            .find(|(e, _)| *e == ext)
            .ok_or_else(|| CoreError::invalid(format!("unsupported media extension `{ext}`")))?;
        if expected != content_type {
            return Err(CoreError::invalid(format!("`{ext}` files are {expected}, not {content_type}")));
        }
        let key = MediaKey { tenant_id, purpose, id: Uuid::new_v4(), ext }.to_string();
        match self {
            Self::Local { dir } => write_atomically(&dir.join(&key), &bytes).await?,
            Self::S3(store) => store.put(&key, bytes, content_type).await?,
        }
        Ok(key)
    }

    /// The bytes and content type stored under `key`; `None` if there is nothing there.
    pub async fn get(&self, key: &str) -> Result<Option<Stored>, CoreError> {
        let parsed = checked(key)?;
        match self {
            Self::Local { dir } => match tokio::fs::read(dir.join(key)).await {
                Ok(bytes) => Ok(Some((bytes, parsed.content_type().to_owned()))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).context("reading a media file"),
            },
            Self::S3(store) => store.get(key).await,
        }
    }

    /// Like `get`, for a request made in the region `tenant_id`: a key of another region, or one
    /// that is not a media key at all, is simply not found (never "forbidden").
    pub async fn get_for(&self, tenant_id: Uuid, key: &str) -> Result<Option<Stored>, CoreError> {
        match MediaKey::parse(key) {
            Some(k) if k.tenant_id == tenant_id => self.get(key).await,
            _ => Ok(None),
        }
    }

    /// Removes the file under `key`; removing what is not there is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), CoreError> {
        checked(key)?;
        match self {
            Self::Local { dir } => match tokio::fs::remove_file(dir.join(key)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).context("removing a media file"),
                _ => Ok(()),
            },
            Self::S3(store) => store.delete(key).await,
        }
    }

    /// Like `delete`, for a request made in the region `tenant_id`: a key of another region is
    /// `NotFound` and nothing is removed.
    pub async fn delete_for(&self, tenant_id: Uuid, key: &str) -> Result<(), CoreError> {
        match MediaKey::parse(key) {
            Some(k) if k.tenant_id == tenant_id => self.delete(key).await,
            _ => Err(CoreError::NotFound),
        }
    }
}

/// A region's archives live beside its media, under a purpose the media route never serves.
fn export_key(tenant_id: Uuid, export_id: Uuid) -> String {
    format!("tenants/{tenant_id}/exports/{export_id}.tar.gz")
}

impl MediaStore {
    /// Stores a file under a key of this region's that the caller chose (an archive's media
    /// being restored): the key is re-checked and must be `tenant_id`'s.
    pub async fn put_key(&self, tenant_id: Uuid, key: &MediaKey, bytes: Vec<u8>) -> Result<(), CoreError> {
        if key.tenant_id != tenant_id {
            return Err(CoreError::NotFound);
        }
        let key_s = key.to_string();
        match self {
            Self::Local { dir } => write_atomically(&dir.join(&key_s), &bytes).await,
            Self::S3(store) => store.put(&key_s, bytes, key.content_type()).await,
        }
    }

    /// Every media file of a region (its archives aside).
    pub async fn list_for(&self, tenant_id: Uuid) -> Result<Vec<MediaKey>, CoreError> {
        let mut keys: Vec<MediaKey> =
            self.list_raw(tenant_id).await?.iter().filter_map(|k| MediaKey::parse(k)).collect();
        keys.retain(|k| k.tenant_id == tenant_id);
        keys.sort_by_key(ToString::to_string);
        Ok(keys)
    }

    /// Removes everything stored for a region: its media and its archives.
    pub async fn delete_all_for(&self, tenant_id: Uuid) -> Result<(), CoreError> {
        for key in self.list_raw(tenant_id).await? {
            match self {
                Self::Local { dir } => match tokio::fs::remove_file(dir.join(&key)).await {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(e).context("removing a region's file");
                    }
                    _ => {}
                },
                Self::S3(store) => store.delete(&key).await?,
            }
        }
        if let Self::Local { dir } = self {
            let _ = tokio::fs::remove_dir_all(dir.join(format!("tenants/{tenant_id}"))).await;
        }
        Ok(())
    }

    /// Every key under `tenants/<tenant_id>/`, as stored.
    async fn list_raw(&self, tenant_id: Uuid) -> Result<Vec<String>, CoreError> {
        let prefix = format!("tenants/{tenant_id}/");
        match self {
            Self::Local { dir } => {
                let mut out = Vec::new();
                let root = dir.join(&prefix);
                let mut folders = match tokio::fs::read_dir(&root).await {
                    Ok(rd) => vec![(rd, prefix.clone())],
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(e).context("listing a region's files"),
                };
                while let Some((mut rd, at)) = folders.pop() {
                    while let Some(entry) = rd.next_entry().await.context("listing a region's files")? {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        let kind = entry.file_type().await.context("listing a region's files")?;
                        if kind.is_dir() {
                            let sub = tokio::fs::read_dir(entry.path()).await.context("listing a region's files")?;
                            folders.push((sub, format!("{at}{name}/")));
                        } else if kind.is_file() && !name.starts_with('.') {
                            out.push(format!("{at}{name}"));
                        }
                    }
                }
                Ok(out)
            }
            Self::S3(store) => store.list(&prefix).await,
        }
    }

    /// Stores a region's archive.
    pub async fn put_export(&self, tenant_id: Uuid, export_id: Uuid, bytes: Vec<u8>) -> Result<String, CoreError> {
        let key = export_key(tenant_id, export_id);
        match self {
            Self::Local { dir } => write_atomically(&dir.join(&key), &bytes).await?,
            Self::S3(store) => store.put(&key, bytes, "application/gzip").await?,
        }
        Ok(key)
    }

    /// Removes a region's archive (a backup past its retention).
    pub async fn delete_export(&self, tenant_id: Uuid, export_id: Uuid) -> Result<(), CoreError> {
        let key = export_key(tenant_id, export_id);
        match self {
            Self::Local { dir } => match tokio::fs::remove_file(dir.join(&key)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).context("removing an archive"),
                _ => Ok(()),
            },
            Self::S3(store) => store.delete(&key).await,
        }
    }

    /// Stores a dump of the platform schema under `platform/dumps/`.
    pub async fn put_platform_dump(&self, id: Uuid, bytes: Vec<u8>) -> Result<String, CoreError> {
        let key = format!("platform/dumps/{id}.tar.gz");
        match self {
            Self::Local { dir } => write_atomically(&dir.join(&key), &bytes).await?,
            Self::S3(store) => store.put(&key, bytes, "application/gzip").await?,
        }
        Ok(key)
    }

    /// Removes a platform dump (past its retention).
    pub async fn delete_platform_dump(&self, key: &str) -> Result<(), CoreError> {
        if !key.starts_with("platform/dumps/") || key.contains("..") {
            return Err(CoreError::invalid("not a platform dump"));
        }
        match self {
            Self::Local { dir } => match tokio::fs::remove_file(dir.join(key)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).context("removing a platform dump"),
                _ => Ok(()),
            },
            Self::S3(store) => store.delete(key).await,
        }
    }

    /// A region's archive, if it is there.
    pub async fn get_export(&self, tenant_id: Uuid, export_id: Uuid) -> Result<Option<Vec<u8>>, CoreError> {
        let key = export_key(tenant_id, export_id);
        match self {
            Self::Local { dir } => match tokio::fs::read(dir.join(&key)).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).context("reading an archive"),
            },
            Self::S3(store) => Ok(store.get(&key).await?.map(|(b, _)| b)),
        }
    }
}

/// Writes to a temporary file beside `path`, then renames it over `path`: a reader sees the whole
/// file or none of it, and a crash leaves at most a stray `.tmp`.
async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CoreError> {
    use tokio::io::AsyncWriteExt;
    let parent = path.parent().ok_or_else(|| CoreError::invalid("this is not a media key"))?;
    tokio::fs::create_dir_all(parent).await.context("creating the media directory")?;
    let tmp = parent.join(format!(".{}.tmp", Uuid::new_v4()));
    let written = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(bytes).await?;
        f.sync_all().await?;
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    written.context("writing a media file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_keys_parse() {
        let t = Uuid::new_v4();
        let id = Uuid::new_v4();
        let good = format!("tenants/{t}/avatars/{id}.png");
        assert_eq!(MediaKey::parse(&good).map(|k| k.tenant_id), Some(t));
        for bad in [
            format!("tenants/{t}/avatars/../{id}.png"),
            format!("tenants/{t}/../avatars/{id}.png"),
            format!("/tenants/{t}/avatars/{id}.png"),
            format!("tenants/{t}/avatars/{id}.png/"),
            format!("tenants/{t}//avatars/{id}.png"),
            format!("tenants/{t}/secrets/{id}.png"),
            format!("tenants/{t}/avatars/{id}.svg"),
            format!("tenants/{t}/avatars/{id}.png.html"),
            format!("tenants/{}/avatars/{id}.png", t.simple()),
            format!("tenants/{}/avatars/{id}.png", t.to_string().to_uppercase()),
            format!("tenants/{t}/avatars/..png"),
            "tenants/../../etc/passwd".to_owned(),
            String::new(),
        ] {
            assert_eq!(MediaKey::parse(&bad), None, "{bad}");
        }
    }
}
