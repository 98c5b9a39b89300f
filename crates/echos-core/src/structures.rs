//! Acting for a structure: a structure's account names the people who publish on its behalf.
//! They may sign a contribution with the structure's name and edit what the structure signed.

use crate::db::TenantTx;
use crate::error::{Context, CoreError};
use crate::notifications;

/// A member as the structure pages list them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Named {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AddRefusal {
    /// No member of this region has that handle.
    Unknown,
    /// A structure cannot act for a structure, nor for itself.
    NotAPerson,
}

/// Names a person (by handle) to publish on behalf of this structure; they are told so.
pub async fn add_manager(
    tx: &mut TenantTx<'_>,
    tenant_id: uuid::Uuid,
    structure_id: i64,
    handle: &str,
) -> Result<Result<(), AddRefusal>, CoreError> {
    let Some(person) = sqlx::query!("SELECT id, kind FROM members WHERE handle = $1", handle)
        .fetch_optional(&mut **tx)
        .await
        .context("finding a member by handle")?
    else {
        return Ok(Err(AddRefusal::Unknown));
    };
    if person.kind != "person" || person.id == structure_id {
        return Ok(Err(AddRefusal::NotAPerson));
    }
    let named = sqlx::query_scalar!(
        "INSERT INTO structure_managers (structure_id, member_id)
         SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM members WHERE id = $1 AND kind = 'structure')
         ON CONFLICT DO NOTHING
         RETURNING (SELECT display_name FROM members WHERE id = $1)",
        structure_id,
        person.id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("naming a structure's manager")?
    .flatten();
    if let Some(structure) = named {
        let message = format!("{structure} vous a nommé·e pour publier en son nom");
        notifications::notify(tx, tenant_id, person.id, "acting_for", &message, Some("/mon-espace#au-nom-de")).await?;
    }
    Ok(Ok(()))
}

pub async fn remove_manager(tx: &mut TenantTx<'_>, structure_id: i64, member_id: i64) -> Result<(), CoreError> {
    sqlx::query!("DELETE FROM structure_managers WHERE structure_id = $1 AND member_id = $2", structure_id, member_id)
        .execute(&mut **tx)
        .await
        .context("removing a structure's manager")?;
    Ok(())
}

/// The people who publish on behalf of this structure.
pub async fn managers(tx: &mut TenantTx<'_>, structure_id: i64) -> Result<Vec<Named>, CoreError> {
    sqlx::query_as!(
        Named,
        "SELECT m.id, m.handle, m.display_name FROM structure_managers s JOIN members m ON m.id = s.member_id
          WHERE s.structure_id = $1 ORDER BY m.display_name",
        structure_id
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing a structure's managers")
}

/// The structures this member publishes for.
pub async fn managed_by(tx: &mut TenantTx<'_>, member_id: i64) -> Result<Vec<Named>, CoreError> {
    sqlx::query_as!(
        Named,
        "SELECT m.id, m.handle, m.display_name FROM structure_managers s JOIN members m ON m.id = s.structure_id
          WHERE s.member_id = $1 AND m.kind = 'structure' ORDER BY m.display_name",
        member_id
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing the structures a member acts for")
}

/// Whether this member acts for that structure.
pub async fn acts_for(tx: &mut TenantTx<'_>, member_id: i64, structure_id: i64) -> Result<bool, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM structure_managers s JOIN members m ON m.id = s.structure_id
                           WHERE s.member_id = $1 AND s.structure_id = $2 AND m.kind = 'structure') AS "x!""#,
        member_id,
        structure_id
    )
    .fetch_one(&mut **tx)
    .await
    .context("checking who acts for a structure")
}
