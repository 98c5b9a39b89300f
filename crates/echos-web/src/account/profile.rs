//! The member's profile in this region (`/mon-espace/profil`): name, kind, audience, bio, web
//! site, place — and the avatar, checked by its content (PNG, JPEG, WebP or GIF; never SVG),
//! scaled down and re-encoded without metadata, stored under the region's id.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::TenantTx;
use echos_core::accounts::{self, Member, ProfileEdit};
use serde::Deserialize;

use crate::auth::ProfileForm;
use crate::error::WebError;
use crate::forms::{Empty, FormState, NoExtra, render_form};
use crate::gate::{CsrfForm, CsrfMultipart, CsrfRefused, SignedIn};
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;
use crate::uploads::{Upload, image_refusal};

/// Avatars are stored at most this wide and high.
const AVATAR_SIDE: u32 = 512;

/// A member's profile as the edit form's values (a structure's address and point from `place`).
fn profile_values(m: &Member, place: (String, Option<f64>, Option<f64>)) -> FormState {
    let number = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    FormState::default()
        .value("address", &place.0)
        .value("lat", &number(place.1))
        .value("lon", &number(place.2))
        .value("display_name", &m.display_name)
        .value("kind", m.kind.as_str())
        .value("audience", m.audience.as_deref().unwrap_or_default())
        .value("bio", &m.bio)
        .value("website", m.website.as_deref().unwrap_or_default())
        .value("location", m.location.as_deref().unwrap_or_default())
}

/// A member's address and point.
async fn place_of(app: &AppState, me: &SignedIn) -> Result<(String, Option<f64>, Option<f64>), WebError> {
    let id = me.member.id;
    Ok(app
        .db
        .with_tenant(&me.tenant, |tx| Box::pin(async move { echos_core::events::member_place(tx, id).await }))
        .await?)
}

pub(super) async fn edit_profile_form(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
) -> Result<Response, WebError> {
    let values = profile_values(&me.member, place_of(&app, &me).await?);
    render_form(&app, "members/edit.html", StatusCode::OK, &page, &values, NoExtra {})
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct EditForm {
    #[serde(flatten)]
    profile: ProfileForm,
    bio: String,
    website: String,
    location: String,
    /// A structure's address and point on the map.
    address: String,
    lat: String,
    lon: String,
}

pub(super) async fn edit_profile(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    CsrfForm(f): CsrfForm<EditForm>,
) -> Result<Response, WebError> {
    let mut form = f
        .profile
        .keep(FormState::default())
        .value("bio", &f.bio)
        .value("website", &f.website)
        .value("location", &f.location)
        .value("address", &f.address)
        .value("lat", &f.lat)
        .value("lon", &f.lon);
    let profile = f.profile.parse(&page, &mut form);
    let bio = f.bio.trim().replace("\r\n", "\n");
    if bio.chars().count() > 4000 {
        form.field_error("bio", t(page.locale, "members.errors.bio", &[]));
    }
    let website = f.website.trim();
    let website = if website.is_empty() {
        None
    } else if (website.starts_with("https://") || website.starts_with("http://"))
        && website.len() <= 300
        && !website.chars().any(char::is_whitespace)
    {
        Some(website.to_owned())
    } else {
        form.field_error("website", t(page.locale, "members.errors.website", &[]));
        None
    };
    let location = f.location.split_whitespace().collect::<Vec<_>>().join(" ");
    if location.chars().count() > 120 {
        form.field_error("location", t(page.locale, "members.errors.location", &[]));
    }
    let address = f.address.split_whitespace().collect::<Vec<_>>().join(" ");
    if address.chars().count() > 300 {
        form.field_error("address", t(page.locale, "events.errors.address", &[]));
    }
    let point = match echos_domain::geo::Point::parse(&f.lat, &f.lon) {
        Ok(p) => p,
        Err(echos_domain::geo::PointError::NotNumbers) => {
            form.field_error("lat", t(page.locale, "events.errors.point_numbers", &[]));
            None
        }
        Err(echos_domain::geo::PointError::OutOfRange) => {
            form.field_error("lat", t(page.locale, "events.errors.point_range", &[]));
            None
        }
    };
    let (Some(profile), true) = (profile, form.is_ok()) else {
        return render_form(&app, "members/edit.html", StatusCode::UNPROCESSABLE_ENTITY, &page, &form, NoExtra {});
    };
    let edit = ProfileEdit { profile, bio, website, location: (!location.is_empty()).then_some(location) };
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    accounts::update_profile(&mut tx, me.account_id, &edit).await?;
    // Only a structure has a place on the map.
    let structure = edit.profile.kind == echos_domain::member::MemberKind::Structure;
    let (address, point) = if structure { (address.as_str(), point) } else { ("", None) };
    echos_core::events::set_member_place(&mut tx, me.member.id, address, point).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/membres/{}", me.member.handle)).into_response())
}

/// Uploads an avatar; the previous one is deleted.
pub(super) async fn upload_avatar(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    axum::Extension(address): axum::Extension<crate::session::ClientAddress>,
    form: Result<CsrfMultipart<Empty>, CsrfRefused<Empty>>,
) -> Result<Response, WebError> {
    let mut state = profile_values(&me.member, place_of(&app, &me).await?);
    let mut files = match form {
        Ok(CsrfMultipart { files, .. }) => files,
        Err(_) => {
            state.error = Some(t(page.locale, "auth.errors.csrf", &[]));
            return render_form(&app, "members/edit.html", StatusCode::FORBIDDEN, &page, &state, NoExtra {});
        }
    };
    let account = me.account_id.to_string();
    if let Err(wait) = app.limiter.check(crate::limits::Action::Upload, &me.tenant.slug, &address.0, Some(&account)) {
        state.error = Some(t(page.locale, "auth.errors.rate_limited", &[]));
        return crate::forms::too_many(
            render_form(&app, "members/edit.html", StatusCode::TOO_MANY_REQUESTS, &page, &state, NoExtra {}),
            wait,
        );
    }
    let max = app.config.media.max_upload_bytes;
    let processed = match files.take("avatar") {
        Some(Upload::TooLarge) => Err(echos_core::images::ImageError::TooLarge { max_bytes: max }),
        None => Err(echos_core::images::ImageError::NotAnImage),
        Some(Upload::Bytes(bytes)) => crate::uploads::process(&app, bytes, AVATAR_SIDE).await?,
    };
    let image = match processed {
        Ok(i) => i,
        Err(e) => {
            let (status, key) = image_refusal(&e);
            state.field_error("avatar", t(page.locale, key, &[]));
            return render_form(&app, "members/edit.html", status, &page, &state, NoExtra {});
        }
    };
    let tenant = &me.tenant;
    let key = app.media.put(tenant.id, "avatars", image.bytes, image.ext, image.content_type).await?;
    let mut tx = TenantTx::begin(&app.db, tenant).await?;
    let old = match accounts::set_avatar(&mut tx, me.account_id, &key).await {
        Ok(old) => {
            tx.commit().await?;
            old
        }
        Err(e) => {
            // Nothing points at the new file: remove it rather than leave it behind.
            let _ = app.media.delete_for(tenant.id, &key).await;
            return Err(e.into());
        }
    };
    if let Some(old) = old
        && let Err(e) = app.media.delete_for(tenant.id, &old).await
    {
        tracing::warn!(error = ?e, "deleting the previous avatar failed");
    }
    Ok(Redirect::to("/mon-espace/profil").into_response())
}
