//! The S3 media store: `echos_core::ObjectStore` over any S3-compatible service, in a leaf crate
//! because the AWS SDK is slow to build. TLS is rustls on ring, like every other client of the
//! platform. Keys arrive already checked by `MediaStore`.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use echos_core::ObjectStore;
use echos_core::config::MediaConfig;
use echos_core::error::{Context, CoreError};
use echos_core::media::Stored;
use futures::future::BoxFuture;

/// A bucket of an S3-compatible service.
#[derive(Clone, Debug)]
pub struct S3Store {
    client: aws_sdk_s3::Client,
    bucket: String,
}

/// The S3 store described by the `[media]` settings. Credentials: `media.s3_access_key_id` and
/// `media.s3_secret_access_key`, else the standard `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`
/// (and `AWS_SESSION_TOKEN`). Nothing is contacted here.
pub fn store_from_config(cfg: &MediaConfig) -> Result<Arc<dyn ObjectStore>, CoreError> {
    Ok(Arc::new(S3Store::from_config(cfg)?))
}

impl S3Store {
    pub fn from_config(cfg: &MediaConfig) -> Result<Self, CoreError> {
        let bucket = cfg
            .s3_bucket
            .clone()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| CoreError::invalid("media.s3_bucket is required with media.store = \"s3\""))?;
        let credentials = match (&cfg.s3_access_key_id, &cfg.s3_secret_access_key) {
            (Some(id), Some(secret)) => Credentials::new(id, secret, None, None, "echosciences.toml"),
            _ => match (std::env::var("AWS_ACCESS_KEY_ID"), std::env::var("AWS_SECRET_ACCESS_KEY")) {
                (Ok(id), Ok(secret)) => {
                    Credentials::new(id, secret, std::env::var("AWS_SESSION_TOKEN").ok(), None, "environment")
                }
                _ => {
                    return Err(CoreError::invalid(
                        "S3 needs credentials: media.s3_access_key_id and media.s3_secret_access_key, \
                         or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                    ));
                }
            },
        };
        let http =
            aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http)
            .region(Region::new(cfg.s3_region.clone()))
            .credentials_provider(credentials)
            .force_path_style(cfg.s3_path_style)
            // Many S3-compatible servers do not know the newer default checksums.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(endpoint) = &cfg.s3_endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Ok(Self { client: aws_sdk_s3::Client::from_conf(builder.build()), bucket })
    }
}

impl ObjectStore for S3Store {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, content_type: &'a str) -> BoxFuture<'a, Result<(), CoreError>> {
        Box::pin(async move {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .content_type(content_type)
                .body(ByteStream::from(bytes))
                .send()
                .await
                .context("storing an object in S3")?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, CoreError>> {
        Box::pin(async move {
            let out = match self.client.get_object().bucket(&self.bucket).key(key).send().await {
                Ok(out) => out,
                Err(SdkError::ServiceError(e)) if e.err().is_no_such_key() || e.raw().status().as_u16() == 404 => {
                    return Ok(None);
                }
                Err(e) => return Err(e).context("reading an object from S3"),
            };
            let content_type = out.content_type().unwrap_or("application/octet-stream").to_owned();
            let bytes = out.body.collect().await.context("reading an object's body from S3")?.into_bytes();
            Ok(Some((bytes.to_vec(), content_type)))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), CoreError>> {
        Box::pin(async move {
            // S3 answers a deletion of an absent key with success too.
            match self.client.delete_object().bucket(&self.bucket).key(key).send().await {
                Ok(_) => Ok(()),
                Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => Ok(()),
                Err(e) => Err(e).context("removing an object from S3"),
            }
        })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, CoreError>> {
        Box::pin(async move {
            let mut keys = Vec::new();
            let mut pages = self.client.list_objects_v2().bucket(&self.bucket).prefix(prefix).into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.context("listing objects in S3")?;
                keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
            }
            Ok(keys)
        })
    }
}
