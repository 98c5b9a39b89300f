//! The S3 media store: `echos_core::ObjectStore` over any S3-compatible service, in a leaf crate
//! because the AWS SDK is slow to build. TLS is rustls on ring, like every other client of the
//! platform. Keys arrive already checked by `MediaStore`.

use std::sync::Arc;
use std::time::Duration;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::provider_config::ProviderConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation, SharedHttpClient,
};
use aws_sdk_s3::config::{ProvideCredentials, SharedCredentialsProvider};
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
/// `media.s3_secret_access_key`, else AWS's default chain (`AWS_ACCESS_KEY_ID`…, profile files,
/// web identity — IRSA, EKS Pod Identity, ECS and instance roles), asked at the first request.
/// Nothing is contacted here.
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
        let http =
            aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
        let region = Region::new(cfg.s3_region.clone());
        // An empty value (an empty Secret in a chart) is no value.
        let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let credentials = match (set(&cfg.s3_access_key_id), set(&cfg.s3_secret_access_key)) {
            (Some(id), Some(secret)) => {
                SharedCredentialsProvider::new(Credentials::new(&id, &secret, None, None, "echosciences.toml"))
            }
            (None, None) => SharedCredentialsProvider::new(DefaultChain {
                chain: Arc::new(tokio::sync::OnceCell::new()),
                http: http.clone(),
                region: region.clone(),
            }),
            _ => {
                return Err(CoreError::invalid(
                    "media.s3_access_key_id and media.s3_secret_access_key go together: set both, or neither \
                     (AWS's default credential chain)",
                ));
            }
        };
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http)
            .region(region)
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

/// AWS's default credential chain, built at its first use (building it reads profile files, so
/// it is async), on the store's own HTTP client.
#[derive(Debug)]
struct DefaultChain {
    chain: Arc<tokio::sync::OnceCell<DefaultCredentialsChain>>,
    http: SharedHttpClient,
    region: Region,
}

impl ProvideCredentials for DefaultChain {
    fn provide_credentials<'a>(&'a self) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            let chain = self
                .chain
                .get_or_init(|| async {
                    let conf = ProviderConfig::default()
                        .with_http_client(self.http.clone())
                        .with_region(Some(self.region.clone()));
                    DefaultCredentialsChain::builder().configure(conf).build().await
                })
                .await;
            chain.provide_credentials().await
        })
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
