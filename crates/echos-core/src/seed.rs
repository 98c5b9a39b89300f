//! Demo content for `echos demo`: `tenants/seed/<slug>.toml` holds a few articles that the
//! region's editorial team publishes, once, into a region that has none yet.

use std::path::Path;

use echos_domain::contribution::Kind;
use echos_domain::member::{DisplayName, MemberKind};
use serde::Deserialize;
use uuid::Uuid;

use crate::accounts::{self, Profile};
use crate::contributions::{self, Draft};
use crate::db::{Db, TenantTx};
use crate::error::{Context, CoreError};
use crate::secrets;
use crate::tenants::Tenant;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    pub team: String,
    #[serde(default)]
    pub articles: Vec<SeedArticle>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedArticle {
    pub title: String,
    #[serde(default)]
    pub summary: String,
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Reads `<dir>/seed/<slug>.toml`, if there is one.
pub fn read(dir: &Path, slug: &str) -> Result<Option<SeedFile>, CoreError> {
    let path = dir.join("seed").join(format!("{slug}.toml"));
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
    toml::from_str(&text).map(Some).map_err(|e| CoreError::invalid(format_args!("{}: {}", path.display(), e.message())))
}

/// Publishes the seed into an empty region; returns how many articles were written (0 when the
/// region already has content).
pub async fn apply(db: &Db, tenant: &Tenant, seed: &SeedFile) -> Result<usize, CoreError> {
    let mut tx = TenantTx::begin(db, tenant).await?;
    let existing: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM contributions"#)
        .fetch_one(&mut *tx)
        .await
        .context("counting contributions")?;
    if existing > 0 {
        return Ok(0);
    }
    // The team's account cannot sign in: its password is a random secret nobody knows.
    let account_id = Uuid::new_v4();
    let email = format!("equipe-{}@{}", &account_id.simple().to_string()[..8], tenant.primary_host);
    let hash = secrets::hash_password(&secrets::new_token())?;
    sqlx::query!(
        "INSERT INTO platform.accounts (id, email, password_hash, home_tenant_id, confirmed_at) VALUES ($1, $2, $3, $4, now())",
        account_id,
        email,
        hash,
        tenant.id
    )
    .execute(&mut *tx)
    .await
    .context("creating the team's account")?;
    let name = DisplayName::parse(&seed.team)
        .ok_or_else(|| CoreError::invalid("the seed's team name is not a valid display name"))?;
    let member = accounts::join(
        &mut tx,
        tenant.id,
        account_id,
        &Profile { display_name: name, kind: MemberKind::Structure, audience: None },
    )
    .await?;
    for a in &seed.articles {
        let draft = Draft::new(
            Kind::Article,
            echos_domain::contribution::title(&a.title)
                .ok_or_else(|| CoreError::invalid(format_args!("seed title “{}”", a.title)))?,
            echos_domain::contribution::summary(&a.summary).unwrap_or_default(),
            echos_domain::contribution::body(&a.body).ok_or_else(|| CoreError::invalid("an empty seed body"))?,
            echos_domain::contribution::tags(&a.tags.join(",")).unwrap_or_default(),
            true,
        );
        contributions::create(&mut tx, tenant.id, member.id, &draft)
            .await?
            .map_err(|r| CoreError::invalid(format_args!("seed refused: {r:?}")))?;
    }
    tx.commit().await?;
    Ok(seed.articles.len())
}
