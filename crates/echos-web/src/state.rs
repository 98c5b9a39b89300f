//! `AppState`: the one handle every handler gets — pools, configuration, directory, templates.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use echos_core::MediaStore;
use echos_core::directory::Directory;
use echos_core::mail::Mailer;
use echos_core::{Config, Db};
use echos_domain::HostName;

use crate::limits::Limiter;
use crate::templates::Templates;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub config: Config,
    pub platform_domain: HostName,
    pub directory: Directory,
    pub templates: Templates,
    pub mailer: Mailer,
    pub limiter: Limiter,
    pub media: MediaStore,
}

impl AppState {
    /// `media` is built by the caller: the S3 adapter lives in a crate of its own.
    pub fn new(db: Db, config: Config, media: MediaStore) -> Result<Self, anyhow::Error> {
        let directory = Directory::new(
            db.platform().clone(),
            Duration::from_secs(config.tenancy.cache_ttl_secs),
            Duration::from_secs(config.tenancy.negative_cache_ttl_secs),
        );
        let templates = Templates::new(config.dev.reload_templates)?;
        let mailer = Mailer::from_config(&config.mail).map_err(|e| anyhow::anyhow!("{e}"))?;
        let limiter = Limiter::new(config.accounts.rate_limit_scale);
        Ok(Self(Arc::new(Inner {
            platform_domain: config.platform_domain(),
            db,
            config,
            directory,
            templates,
            mailer,
            limiter,
            media,
        })))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
