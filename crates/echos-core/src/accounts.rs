//! Accounts (the platform's: one identity for every region) and members (an account's profile
//! and role in one region). A region sees an account only once it has joined there.

use echos_domain::job::JobKind;
use echos_domain::member::{DisplayName, Email, MemberKind, Role};
use serde::Serialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{Context, CoreError};
use crate::jobs;
use crate::secrets::{new_token, token_hash};

/// What a member shows of themselves in a region.
#[derive(Debug, Clone)]
pub struct Profile {
    pub display_name: DisplayName,
    pub kind: MemberKind,
    /// One of `echos_domain::member::AUDIENCES`, for a person.
    pub audience: Option<&'static str>,
}

/// An account's profile and role in one region.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: i64,
    pub account_id: Uuid,
    pub handle: String,
    pub display_name: String,
    pub kind: MemberKind,
    pub audience: Option<String>,
    pub role: Role,
    pub bio: String,
    pub website: Option<String>,
    pub location: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
    pub avatar_key: Option<String>,
    /// Reads but may not write until then (a sanction of the region's admins).
    #[serde(with = "time::serde::rfc3339::option")]
    pub suspended_until: Option<OffsetDateTime>,
    /// Out of this region: no session here.
    pub banned: bool,
}

impl Member {
    /// Suspended now: may read, not write.
    pub fn is_suspended(&self) -> bool {
        self.suspended_until.is_some_and(|u| u > OffsetDateTime::now_utc())
    }
}

/// A `Member` from a row of `members` (its columns by name); the table's `CHECK`s
/// hold its closed sets, and the fallbacks grant the least.
macro_rules! member {
    ($r:expr) => {{
        let r = $r;
        Member {
            kind: MemberKind::parse(&r.kind).unwrap_or(MemberKind::Person),
            role: Role::parse(&r.role).unwrap_or(Role::Member),
            id: r.id,
            account_id: r.account_id,
            handle: r.handle,
            display_name: r.display_name,
            audience: r.audience,
            bio: r.bio,
            website: r.website,
            location: r.location,
            joined_at: r.joined_at,
            avatar_key: r.avatar_key,
            suspended_until: r.suspended_until,
            banned: r.banned,
        }
    }};
}

#[derive(Debug, PartialEq, Eq)]
pub enum SignUp {
    Created {
        account_id: Uuid,
    },
    /// The address already has an account: it is told so by e-mail, the requester sees the
    /// same answer as for a new account.
    AlreadyRegistered,
}

#[derive(Debug, Serialize, serde::Deserialize)]
pub struct AccountJob {
    pub account_id: Uuid,
}

/// Opens an account with its first membership, here, and queues the confirmation e-mail — or,
/// when the address is taken, queues a notice to its owner. One transaction either way.
pub async fn sign_up(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    email: &Email,
    password_hash: &str,
    profile: &Profile,
) -> Result<SignUp, CoreError> {
    let id = Uuid::new_v4();
    // The address is the only key a new id can meet. No conflict target: a region on another
    // cluster writes this row through postgres_fdw, which takes `ON CONFLICT DO NOTHING` alone.
    let created: Option<Uuid> = sqlx::query_scalar!(
        "INSERT INTO platform.accounts (id, email, password_hash, home_tenant_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING id",
        id,
        email.as_str(),
        password_hash,
        tenant_id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("creating an account")?;
    match created {
        Some(account_id) => {
            join(tx, tenant_id, account_id, profile).await?;
            jobs::enqueue(tx, Some(tenant_id), JobKind::MailConfirm, &AccountJob { account_id }).await?;
            Ok(SignUp::Created { account_id })
        }
        None => {
            let account_id = sqlx::query_scalar!("SELECT id FROM platform.accounts WHERE email = $1", email.as_str())
                .fetch_one(&mut **tx)
                .await
                .context("finding an account")?;
            jobs::enqueue(tx, Some(tenant_id), JobKind::MailAlreadyRegistered, &AccountJob { account_id }).await?;
            Ok(SignUp::AlreadyRegistered)
        }
    }
}

/// Makes an account a member of this region with a handle of its own.
pub async fn join(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    account_id: Uuid,
    profile: &Profile,
) -> Result<Member, CoreError> {
    join_on(tx, tenant_id, account_id, profile).await
}

/// Like [`join`], on a connection whose transaction has the region's schema selected (a region
/// being opened, whose first admin joins in the same transaction).
pub async fn join_on(
    tx: &mut sqlx::PgConnection,
    tenant_id: Uuid,
    account_id: Uuid,
    profile: &Profile,
) -> Result<Member, CoreError> {
    sqlx::query!(
        "INSERT INTO platform.memberships (account_id, tenant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        account_id,
        tenant_id
    )
    .execute(&mut *tx)
    .await
    .context("recording a membership")?;
    let base = profile.display_name.handle_base();
    let taken: Vec<String> =
        sqlx::query_scalar!("SELECT handle FROM members WHERE handle = $1 OR handle LIKE $1 || '-%'", base)
            .fetch_all(&mut *tx)
            .await
            .context("finding a free handle")?;
    // Two people of the same name may join at the same moment: a handle taken meanwhile is
    // skipped (`ON CONFLICT DO NOTHING` waits for the other transaction, then yields no row).
    let mut free =
        (1..).map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") }).filter(|h| !taken.contains(h));
    for _ in 0..20 {
        let handle = free.next().unwrap_or_else(|| format!("{base}-{}", Uuid::new_v4().simple()));
        let joined = sqlx::query!(
            "INSERT INTO members (account_id, handle, display_name, kind, audience) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (handle) DO NOTHING
             RETURNING id, account_id, handle, display_name, kind, audience, role, bio, website, location, joined_at, avatar_key,
                       suspended_until, banned_at IS NOT NULL AS \"banned!\"",
            account_id,
            handle,
            profile.display_name.as_str(),
            profile.kind.as_str(),
            profile.audience
        )
        .fetch_optional(&mut *tx)
        .await
        .context("joining a region")?;
        if let Some(row) = joined {
            return Ok(member!(row));
        }
    }
    Err(CoreError::conflict("no free handle for this name"))
}

pub async fn member_by_account(tx: &mut TenantTx<'_>, account_id: Uuid) -> Result<Option<Member>, CoreError> {
    let row = sqlx::query!(
        "SELECT id, account_id, handle, display_name, kind, audience, role, bio, website, location, joined_at, avatar_key,
                suspended_until, banned_at IS NOT NULL AS \"banned!\"
           FROM members WHERE account_id = $1",
        account_id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading a member")?;
    Ok(row.map(|r| member!(r)))
}

pub async fn member_by_handle(tx: &mut TenantTx<'_>, handle: &str) -> Result<Option<Member>, CoreError> {
    let row = sqlx::query!(
        "SELECT id, account_id, handle, display_name, kind, audience, role, bio, website, location, joined_at, avatar_key,
                suspended_until, banned_at IS NOT NULL AS \"banned!\"
           FROM members WHERE handle = $1",
        handle
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading a member")?;
    Ok(row.map(|r| member!(r)))
}

/// The account and password hash for an e-mail, if there is a usable account.
pub async fn credentials(pool: &PgPool, email: &Email) -> Result<Option<(Uuid, String)>, CoreError> {
    let row = sqlx::query!(
        "SELECT id, password_hash FROM platform.accounts WHERE email = $1 AND disabled_at IS NULL",
        email.as_str()
    )
    .fetch_optional(pool)
    .await
    .context("reading credentials")?;
    Ok(row.map(|r| (r.id, r.password_hash)))
}

/// The e-mail of an account. Only for messages to that account, never for display to others.
pub async fn email_of(pool: &PgPool, account_id: Uuid) -> Result<Option<String>, CoreError> {
    // A deleted account has no address any more: pending messages to it are dropped.
    sqlx::query_scalar!("SELECT email FROM platform.accounts WHERE id = $1 AND deleted_at IS NULL", account_id)
        .fetch_optional(pool)
        .await
        .context("reading an account's e-mail")
}

/// Whether the account's address is confirmed.
pub async fn is_confirmed(pool: &PgPool, account_id: Uuid) -> Result<bool, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM platform.accounts WHERE id = $1 AND confirmed_at IS NOT NULL) AS "x!""#,
        account_id
    )
    .fetch_one(pool)
    .await
    .context("reading an account's confirmation")
}

/// A single-use token for a link sent by e-mail, bound to the region it was issued for.
pub async fn issue_token(
    pool: &PgPool,
    account_id: Uuid,
    tenant_id: Uuid,
    purpose: &str,
    valid_for: time::Duration,
) -> Result<String, CoreError> {
    let token = new_token();
    let expires = OffsetDateTime::now_utc() + valid_for;
    sqlx::query!(
        "INSERT INTO platform.account_tokens (token_hash, purpose, account_id, tenant_id, expires_at) VALUES ($1, $2, $3, $4, $5)",
        token_hash(&token),
        purpose,
        account_id,
        tenant_id,
        expires
    )
    .execute(pool)
    .await
    .context("issuing a token")?;
    Ok(token)
}

/// Confirms the address behind a confirmation link of this region. False when the link is
/// unknown, of another region, expired or already used.
pub async fn confirm(pool: &PgPool, tenant_id: Uuid, token: &str) -> Result<bool, CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let account: Option<Uuid> = sqlx::query_scalar!(
        "UPDATE platform.account_tokens SET used_at = now()
          WHERE token_hash = $1 AND tenant_id = $2 AND purpose = 'confirm' AND used_at IS NULL AND expires_at > now()
        RETURNING account_id",
        token_hash(token),
        tenant_id
    )
    .fetch_optional(&mut *tx)
    .await
    .context("using a confirmation token")?;
    let Some(account) = account else { return Ok(false) };
    sqlx::query!("UPDATE platform.accounts SET confirmed_at = coalesce(confirmed_at, now()) WHERE id = $1", account)
        .execute(&mut *tx)
        .await
        .context("confirming an address")?;
    tx.commit().await.context("committing a confirmation")?;
    Ok(true)
}

/// Queues a password-reset e-mail for the account with this address, if there is one. The
/// caller answers the same way either way.
pub async fn request_reset(pool: &PgPool, tenant_id: Uuid, email: &Email) -> Result<(), CoreError> {
    let Some((account_id, _)) = credentials(pool, email).await? else { return Ok(()) };
    let mut conn = pool.acquire().await.context("waiting for a connection")?;
    jobs::enqueue(&mut conn, Some(tenant_id), JobKind::MailReset, &AccountJob { account_id }).await?;
    Ok(())
}

/// Is this a live link of this region for this purpose?
pub async fn token_is_live(pool: &PgPool, tenant_id: Uuid, token: &str, purpose: &str) -> Result<bool, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM platform.account_tokens
                          WHERE token_hash = $1 AND tenant_id = $2 AND purpose = $3
                            AND used_at IS NULL AND expires_at > now()) AS "live!""#,
        token_hash(token),
        tenant_id,
        purpose
    )
    .fetch_one(pool)
    .await
    .context("checking a link")
}

/// Sets a new password through a reset link of this region; every session of the account ends.
/// False when the link is unknown, of another region, expired or used.
pub async fn reset_password(pool: &PgPool, tenant_id: Uuid, token: &str, new_hash: &str) -> Result<bool, CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let account: Option<Uuid> = sqlx::query_scalar!(
        "UPDATE platform.account_tokens SET used_at = now()
          WHERE token_hash = $1 AND tenant_id = $2 AND purpose = 'reset' AND used_at IS NULL AND expires_at > now()
        RETURNING account_id",
        token_hash(token),
        tenant_id
    )
    .fetch_optional(&mut *tx)
    .await
    .context("using a reset link")?;
    let Some(account) = account else { return Ok(false) };
    sqlx::query!("UPDATE platform.accounts SET password_hash = $2 WHERE id = $1", account, new_hash)
        .execute(&mut *tx)
        .await
        .context("setting a password")?;
    sqlx::query!("DELETE FROM platform.sessions WHERE account_id = $1", account)
        .execute(&mut *tx)
        .await
        .context("ending sessions")?;
    // Every other link of this account dies with this one.
    void_links(&mut tx, account).await?;
    tx.commit().await.context("committing a password reset")?;
    Ok(true)
}

/// The account's password hash (to check the current password before a change).
pub async fn password_hash(pool: &PgPool, account_id: Uuid) -> Result<Option<String>, CoreError> {
    sqlx::query_scalar!("SELECT password_hash FROM platform.accounts WHERE id = $1", account_id)
        .fetch_optional(pool)
        .await
        .context("reading a password hash")
}

/// Changes the password and ends every other session of the account.
pub async fn change_password(
    pool: &PgPool,
    account_id: Uuid,
    new_hash: &str,
    keep_session: &str,
) -> Result<(), CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    sqlx::query!("UPDATE platform.accounts SET password_hash = $2 WHERE id = $1", account_id, new_hash)
        .execute(&mut *tx)
        .await
        .context("changing a password")?;
    sqlx::query!(
        "DELETE FROM platform.sessions WHERE account_id = $1 AND token_hash <> $2",
        account_id,
        token_hash(keep_session)
    )
    .execute(&mut *tx)
    .await
    .context("ending other sessions")?;
    void_links(&mut tx, account_id).await?;
    tx.commit().await.context("committing a password change")
}

/// Retires every link sent to an account that is still alive — reset, confirmation, change of
/// address, one-time sign-in: a password or address change makes them all worthless.
pub async fn void_links(conn: &mut sqlx::PgConnection, account_id: Uuid) -> Result<(), CoreError> {
    sqlx::query!(
        "UPDATE platform.account_tokens SET used_at = now() WHERE account_id = $1 AND used_at IS NULL",
        account_id
    )
    .execute(&mut *conn)
    .await
    .context("retiring an account's links")?;
    sqlx::query!(
        "UPDATE platform.signin_links SET used_at = now() WHERE account_id = $1 AND used_at IS NULL",
        account_id
    )
    .execute(&mut *conn)
    .await
    .context("retiring an account's sign-in links")?;
    Ok(())
}

/// What a member may change of their profile here.
#[derive(Debug, Clone)]
pub struct ProfileEdit {
    pub profile: Profile,
    pub bio: String,
    pub website: Option<String>,
    pub location: Option<String>,
}

pub async fn update_profile(tx: &mut TenantTx<'_>, account_id: Uuid, edit: &ProfileEdit) -> Result<(), CoreError> {
    let renamed = sqlx::query_scalar!(
        "UPDATE members SET display_name = $2, kind = $3, audience = $4, bio = $5, website = $6, location = $7
          WHERE account_id = $1
          RETURNING id",
        account_id,
        edit.profile.display_name.as_str(),
        edit.profile.kind.as_str(),
        edit.profile.audience,
        edit.bio,
        edit.website,
        edit.location
    )
    .fetch_optional(&mut **tx)
    .await
    .context("updating a profile")?;
    // The author's name is searchable: their contributions are indexed again.
    if let Some(member_id) = renamed {
        crate::search::refresh_author(tx, member_id).await?;
    }
    Ok(())
}

/// Everything the platform holds about an account, in every region it joined.
pub async fn export(db: &crate::Db, account_id: Uuid) -> Result<serde_json::Value, CoreError> {
    let account = sqlx::query!(
        "SELECT a.email, a.created_at, a.confirmed_at, t.slug AS \"home_region?\"
           FROM platform.accounts a LEFT JOIN platform.tenants t ON t.id = a.home_tenant_id
          WHERE a.id = $1",
        account_id
    )
    .fetch_one(db.platform())
    .await
    .context("reading an account")?;
    let regions: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT tenant_id FROM platform.memberships WHERE account_id = $1 ORDER BY joined_at",
        account_id
    )
    .fetch_all(db.platform())
    .await
    .context("listing memberships")?;
    let mut memberships = Vec::new();
    for tenant_id in regions {
        let tenant = crate::tenants::get_by_id(db.platform(), tenant_id).await?;
        let member = db.with_tenant(&tenant, |tx| Box::pin(member_by_account(tx, account_id))).await?;
        if let Some(m) = member {
            memberships.push(serde_json::json!({ "region": tenant.slug, "region_name": tenant.name, "profile": m }));
        }
    }
    Ok(serde_json::json!({
        "account": {
            "email": account.email,
            "created_at": rfc3339(account.created_at),
            "confirmed_at": account.confirmed_at.map(rfc3339),
            "home_region": account.home_region,
        },
        "memberships": memberships,
    }))
}

/// Closes an account at once (no sign-in, no session, no address kept) and queues the erasure of
/// its profile in every region it joined.
pub async fn delete(pool: &PgPool, account_id: Uuid) -> Result<(), CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    sqlx::query!(
        "UPDATE platform.accounts
            SET email = 'deleted-' || id || '@invalid', password_hash = '!', disabled_at = now(), deleted_at = now()
          WHERE id = $1",
        account_id
    )
    .execute(&mut *tx)
    .await
    .context("closing an account")?;
    sqlx::query!("DELETE FROM platform.sessions WHERE account_id = $1", account_id)
        .execute(&mut *tx)
        .await
        .context("ending sessions")?;
    sqlx::query!("DELETE FROM platform.account_tokens WHERE account_id = $1", account_id)
        .execute(&mut *tx)
        .await
        .context("dropping links")?;
    let regions: Vec<Uuid> =
        sqlx::query_scalar!("SELECT tenant_id FROM platform.memberships WHERE account_id = $1", account_id)
            .fetch_all(&mut *tx)
            .await
            .context("listing memberships")?;
    for tenant_id in regions {
        jobs::enqueue(&mut tx, Some(tenant_id), JobKind::EraseMember, &AccountJob { account_id }).await?;
    }
    tx.commit().await.context("committing an account's deletion")
}

/// The job's work in one region: the member's profile goes, and the membership with it.
/// Returns the member's avatar key, for the caller to delete from the media store.
pub async fn erase_member(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    account_id: Uuid,
) -> Result<Option<String>, CoreError> {
    let avatar: Option<String> =
        sqlx::query_scalar!("DELETE FROM members WHERE account_id = $1 RETURNING avatar_key", account_id)
            .fetch_optional(&mut **tx)
            .await
            .context("erasing a member")?
            .flatten();
    sqlx::query!("DELETE FROM platform.memberships WHERE account_id = $1 AND tenant_id = $2", account_id, tenant_id)
        .execute(&mut **tx)
        .await
        .context("erasing a membership")?;
    Ok(avatar)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[derive(Debug, Serialize, serde::Deserialize)]
pub struct EmailChangeJob {
    pub account_id: Uuid,
    /// The new address (for the link) or the old one (for the notice).
    pub email: String,
}

/// Asks to move an account to a new address: a link goes to the new address. Nothing changes
/// until it is followed. A taken address gets the same answer and no message.
pub async fn request_email_change(
    pool: &PgPool,
    tenant_id: Uuid,
    account_id: Uuid,
    new_email: &Email,
) -> Result<(), CoreError> {
    let taken: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM platform.accounts WHERE email = $1) AS "taken!""#,
        new_email.as_str()
    )
    .fetch_one(pool)
    .await
    .context("checking an address")?;
    if taken {
        return Ok(());
    }
    let mut conn = pool.acquire().await.context("waiting for a connection")?;
    let job = EmailChangeJob { account_id, email: new_email.as_str().to_owned() };
    jobs::enqueue(&mut conn, Some(tenant_id), JobKind::MailEmailChange, &job).await?;
    Ok(())
}

/// A link for the new address, carrying it.
pub async fn issue_email_token(
    pool: &PgPool,
    account_id: Uuid,
    tenant_id: Uuid,
    new_email: &str,
    valid_for: time::Duration,
) -> Result<String, CoreError> {
    let token = new_token();
    let expires = OffsetDateTime::now_utc() + valid_for;
    sqlx::query!(
        "INSERT INTO platform.account_tokens (token_hash, purpose, account_id, tenant_id, expires_at, new_email)
         VALUES ($1, 'email', $2, $3, $4, $5)",
        token_hash(&token),
        account_id,
        tenant_id,
        expires,
        new_email
    )
    .execute(pool)
    .await
    .context("issuing an e-mail change link")?;
    Ok(token)
}

/// Follows an e-mail change link of this region: the account moves to the new address, and the
/// old one is told. False when the link is dead or the address was taken meanwhile.
pub async fn confirm_email_change(pool: &PgPool, tenant_id: Uuid, token: &str) -> Result<bool, CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let row = sqlx::query!(
        "UPDATE platform.account_tokens SET used_at = now()
          WHERE token_hash = $1 AND tenant_id = $2 AND purpose = 'email' AND used_at IS NULL AND expires_at > now()
        RETURNING account_id, new_email",
        token_hash(token),
        tenant_id
    )
    .fetch_optional(&mut *tx)
    .await
    .context("using an e-mail change link")?;
    let Some(row) = row else { return Ok(false) };
    let Some(new_email) = row.new_email else { return Ok(false) };
    let old: Option<String> =
        sqlx::query_scalar!("SELECT email FROM platform.accounts WHERE id = $1 AND deleted_at IS NULL", row.account_id)
            .fetch_optional(&mut *tx)
            .await
            .context("reading the old address")?;
    let Some(old) = old else { return Ok(false) };
    let moved = sqlx::query!(
        "UPDATE platform.accounts SET email = $2, confirmed_at = coalesce(confirmed_at, now()) WHERE id = $1",
        row.account_id,
        new_email
    )
    .execute(&mut *tx)
    .await;
    if let Err(e) = moved {
        if crate::error::db_violation(&e).is_some_and(|(code, _)| code == crate::error::UNIQUE_VIOLATION) {
            return Ok(false);
        }
        return Err(CoreError::Unexpected(anyhow::Error::from(e).context("changing an address")));
    }
    // Links sent to the old address (a reset, say) open nothing any more.
    void_links(&mut tx, row.account_id).await?;
    jobs::enqueue(
        &mut tx,
        Some(tenant_id),
        JobKind::MailEmailChanged,
        &EmailChangeJob { account_id: row.account_id, email: old },
    )
    .await?;
    tx.commit().await.context("committing an address change")?;
    Ok(true)
}

/// The account's preferred language (`None`: the region's).
pub async fn set_locale(
    pool: impl sqlx::PgExecutor<'_>,
    account_id: Uuid,
    locale: Option<echos_domain::Locale>,
) -> Result<(), CoreError> {
    sqlx::query!("UPDATE platform.accounts SET locale = $2 WHERE id = $1", account_id, locale.map(|l| l.code()))
        .execute(pool)
        .await
        .context("saving a language")?;
    Ok(())
}

pub async fn locale(pool: &PgPool, account_id: Uuid) -> Result<Option<echos_domain::Locale>, CoreError> {
    let code: Option<String> = sqlx::query_scalar!("SELECT locale FROM platform.accounts WHERE id = $1", account_id)
        .fetch_optional(pool)
        .await
        .context("reading a language")?
        .flatten();
    Ok(code.as_deref().and_then(echos_domain::Locale::parse))
}

/// Sets a member's avatar; returns the key it replaces, for the caller to delete.
pub async fn set_avatar(tx: &mut TenantTx<'_>, account_id: Uuid, key: &str) -> Result<Option<String>, CoreError> {
    let old = sqlx::query_scalar!("SELECT avatar_key FROM members WHERE account_id = $1 FOR UPDATE", account_id)
        .fetch_one(&mut **tx)
        .await
        .context("reading an avatar")?;
    sqlx::query!("UPDATE members SET avatar_key = $2 WHERE account_id = $1", account_id, key)
        .execute(&mut **tx)
        .await
        .context("setting an avatar")?;
    Ok(old)
}
