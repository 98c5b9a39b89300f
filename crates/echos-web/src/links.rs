//! Absolute links the platform writes (e-mails): always the region's registered primary host,
//! never the request's `Host`.

use echos_core::{Config, Tenant};

pub fn region_url(config: &Config, tenant: &Tenant, path: &str) -> String {
    let port = config.platform.public_port.map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}{path}", config.platform.public_scheme, tenant.primary_host)
}
