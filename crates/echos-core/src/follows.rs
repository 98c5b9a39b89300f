//! Following a member (a person or a structure) or a tag. What they publish fills the
//! follower's feed, and each first publication notifies them ("X a publié …").

use echos_domain::contribution::Kind;
use uuid::Uuid;

use crate::contributions::Contribution;
use crate::db::TenantTx;
use crate::error::{Context, CoreError};
use crate::notifications;

/// Follows a member, or stops; returns whether they are now followed. Following oneself is
/// refused (`Invalid`).
pub async fn toggle_member(tx: &mut TenantTx<'_>, follower: i64, followed: i64) -> Result<bool, CoreError> {
    if follower == followed {
        return Err(CoreError::invalid("one cannot follow oneself"));
    }
    let removed =
        sqlx::query!("DELETE FROM member_follows WHERE follower_id = $1 AND followed_id = $2", follower, followed)
            .execute(&mut **tx)
            .await
            .context("unfollowing a member")?;
    if removed.rows_affected() > 0 {
        return Ok(false);
    }
    sqlx::query!(
        "INSERT INTO member_follows (follower_id, followed_id) SELECT $1, id FROM members WHERE id = $2
         ON CONFLICT DO NOTHING",
        follower,
        followed
    )
    .execute(&mut **tx)
    .await
    .context("following a member")?;
    Ok(true)
}

/// Follows a tag (it must be in use), or stops; returns whether it is now followed.
pub async fn toggle_tag(tx: &mut TenantTx<'_>, follower: i64, tag: &str) -> Result<bool, CoreError> {
    let tag_id = sqlx::query_scalar!("SELECT id FROM tags WHERE name = $1", tag)
        .fetch_optional(&mut **tx)
        .await
        .context("finding a tag")?
        .ok_or(CoreError::NotFound)?;
    let removed = sqlx::query!("DELETE FROM tag_follows WHERE follower_id = $1 AND tag_id = $2", follower, tag_id)
        .execute(&mut **tx)
        .await
        .context("unfollowing a tag")?;
    if removed.rows_affected() > 0 {
        return Ok(false);
    }
    sqlx::query!(
        "INSERT INTO tag_follows (follower_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        follower,
        tag_id
    )
    .execute(&mut **tx)
    .await
    .context("following a tag")?;
    Ok(true)
}

pub async fn follows_member(tx: &mut TenantTx<'_>, follower: i64, followed: i64) -> Result<bool, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM member_follows WHERE follower_id = $1 AND followed_id = $2) AS "x!""#,
        follower,
        followed
    )
    .fetch_one(&mut **tx)
    .await
    .context("reading a follow")
}

pub async fn follows_tag(tx: &mut TenantTx<'_>, follower: i64, tag: &str) -> Result<bool, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM tag_follows f JOIN tags t ON t.id = f.tag_id
                           WHERE f.follower_id = $1 AND t.name = $2) AS "x!""#,
        follower,
        tag
    )
    .fetch_one(&mut **tx)
    .await
    .context("reading a follow")
}

/// How many members follow this one.
pub async fn follower_count(tx: &mut TenantTx<'_>, member_id: i64) -> Result<i64, CoreError> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM member_follows WHERE followed_id = $1"#, member_id)
        .fetch_one(&mut **tx)
        .await
        .context("counting followers")
}

/// What a member follows: (handles with names, tags), for "my space".
pub async fn followed(tx: &mut TenantTx<'_>, follower: i64) -> Result<(Vec<(String, String)>, Vec<String>), CoreError> {
    let members = sqlx::query!(
        "SELECT m.handle, m.display_name FROM member_follows f JOIN members m ON m.id = f.followed_id
          WHERE f.follower_id = $1 ORDER BY m.display_name",
        follower
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing followed members")?;
    let tags = sqlx::query_scalar!(
        "SELECT t.name FROM tag_follows f JOIN tags t ON t.id = f.tag_id WHERE f.follower_id = $1 ORDER BY t.name",
        follower
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing followed tags")?;
    Ok((members.into_iter().map(|m| (m.handle, m.display_name)).collect(), tags))
}

/// The member's feed: published contributions of the members and tags they follow, newest first.
pub async fn feed(
    tx: &mut TenantTx<'_>,
    follower: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<Contribution>, CoreError> {
    let ids: Vec<i64> = sqlx::query_scalar!(
        "SELECT c.id FROM contributions c
          WHERE c.status = 'published' AND c.author_id <> $1
            AND (c.author_id IN (SELECT followed_id FROM member_follows WHERE follower_id = $1)
                 OR EXISTS (SELECT 1 FROM contribution_tags ct JOIN tag_follows f ON f.tag_id = ct.tag_id
                             WHERE ct.contribution_id = c.id AND f.follower_id = $1))
          ORDER BY c.published_at DESC, c.id DESC
          LIMIT $2 OFFSET $3",
        follower,
        limit,
        offset
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading a feed")?;
    crate::contributions::by_ids(tx, &ids).await
}

/// Tells the followers of a contribution's author and of its tags that it is out — each once,
/// never the author. Runs as a job after the first publication; returns how many were told.
pub async fn notify_published(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    contribution_id: i64,
) -> Result<usize, CoreError> {
    let Some(c) = sqlx::query!(
        "SELECT c.kind, c.title, c.slug, c.author_id, c.community_id, m.display_name
           FROM contributions c JOIN members m ON m.id = c.author_id
          WHERE c.id = $1 AND c.status = 'published'",
        contribution_id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading what was published")?
    else {
        return Ok(0);
    };
    let followers: Vec<i64> = sqlx::query_scalar!(
        r#"SELECT follower_id AS "id!" FROM member_follows WHERE followed_id = $1
           UNION
           SELECT f.follower_id FROM tag_follows f JOIN contribution_tags ct ON ct.tag_id = f.tag_id
            WHERE ct.contribution_id = $2
           EXCEPT SELECT $1"#,
        c.author_id,
        contribution_id
    )
    .fetch_all(&mut **tx)
    .await
    .context("finding followers")?;
    let link = Kind::from_code(&c.kind).unwrap_or(Kind::Article).url(contribution_id, &c.slug);
    let message = format!("{} a publié « {} »", c.display_name, c.title);
    let about = notifications::About { contribution: Some(contribution_id), comment: None };
    for follower in &followers {
        notifications::notify_about(tx, tenant_id, *follower, "published_by_followed", &message, Some(&link), about)
            .await?;
    }
    // The members of its community (those not told already as followers).
    let mut told = followers.len();
    if let Some(community) = c.community_id {
        let members: Vec<(i64, String)> = sqlx::query!(
            "SELECT cm.member_id, co.name FROM community_members cm JOIN communities co ON co.id = cm.community_id
              WHERE cm.community_id = $1 AND cm.status = 'active' AND cm.member_id <> $2 AND co.status = 'active'",
            community,
            c.author_id
        )
        .fetch_all(&mut **tx)
        .await
        .context("finding a community's members")?
        .into_iter()
        .map(|r| (r.member_id, r.name))
        .collect();
        for (member, name) in members.into_iter().filter(|(m, _)| !followers.contains(m)) {
            let message = format!("{} a publié « {} » dans {name}", c.display_name, c.title);
            notifications::notify_about(tx, tenant_id, member, "community", &message, Some(&link), about).await?;
            told += 1;
        }
    }
    Ok(told)
}
