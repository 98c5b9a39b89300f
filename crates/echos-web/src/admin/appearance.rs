//! The region's look (`/admin/apparence`): name, tagline, colours — each checked against WCAG AA
//! with the measured ratio and a darker shade suggested —, footer links, and the logo, favicon and
//! home page cover (uploaded images, checked by content: no SVG, no HTML). "Preview" shows the
//! typed look without saving it; saving reaches every replica through the region's `NOTIFY`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::TenantTx;
use echos_core::admin::branding::{self, Image, Look};
use echos_core::tenants::{FooterLink, Tenant};
use echos_domain::colour::Rgb;
use echos_domain::region;
use serde::{Deserialize, Serialize};

use super::render;
use crate::error::WebError;
use crate::forms::FormState;
use crate::gate::{CsrfForm, CsrfMultipart, RegionAdmin};
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;
use crate::uploads::{Upload, image_refusal};

/// Footer links the form offers.
const FOOTER_ROWS: usize = 6;

#[derive(Serialize)]
struct Appearance<'a> {
    form: &'a FormState,
    /// The look as typed (shown in the preview), or as saved.
    look: Preview,
    footer: Vec<(String, String)>,
    contrast: Vec<ContrastView>,
    logo_url: Option<String>,
    favicon_url: Option<String>,
    cover_url: Option<String>,
    saved: bool,
    previewing: bool,
    image_error: Option<String>,
}

#[derive(Serialize)]
struct Preview {
    name: String,
    tagline: String,
    primary: String,
    accent: String,
    on_primary: String,
    on_accent: String,
}

#[derive(Serialize)]
struct ContrastView {
    field: &'static str,
    ratio: String,
    passes: bool,
    suggestion: Option<String>,
}

fn preview(look: &Look) -> (Preview, Vec<ContrastView>) {
    let p = Rgb::parse(&look.color_primary).unwrap_or(Rgb::INK);
    let a = Rgb::parse(&look.color_accent).unwrap_or(Rgb::INK);
    let report = |field, c: Rgb| {
        let r = region::contrast(c);
        ContrastView {
            field,
            ratio: format!("{:.2}", r.ratio),
            passes: r.passes_aa,
            suggestion: r.suggestion.map(Rgb::hex),
        }
    };
    (
        Preview {
            name: look.name.clone(),
            tagline: look.tagline.clone(),
            primary: p.hex(),
            accent: a.hex(),
            on_primary: p.text_on().hex(),
            on_accent: a.text_on().hex(),
        },
        vec![report("color_primary", p), report("color_accent", a)],
    )
}

fn values(look: &Look) -> FormState {
    FormState::default()
        .value("name", &look.name)
        .value("tagline", &look.tagline)
        .value("color_primary", &look.color_primary)
        .value("color_accent", &look.color_accent)
}

fn footer_rows(links: &[(String, String)]) -> Vec<(String, String)> {
    let mut rows = links.to_vec();
    rows.resize(FOOTER_ROWS.max(links.len()), (String::new(), String::new()));
    rows
}

#[allow(clippy::too_many_arguments)]
fn show(
    app: &AppState,
    page: &Page,
    tenant: &Tenant,
    status: StatusCode,
    form: &FormState,
    look: &Look,
    footer: &[(String, String)],
    saved: bool,
    previewing: bool,
    image_error: Option<String>,
) -> Result<Response, WebError> {
    let (look, contrast) = preview(look);
    let media = |k: &Option<String>| k.as_ref().map(|k| format!("/media/{k}"));
    let ctx = Appearance {
        form,
        look,
        footer: footer_rows(footer),
        contrast,
        logo_url: tenant.logo(),
        favicon_url: media(&tenant.favicon_key),
        cover_url: media(&tenant.cover_key),
        saved,
        previewing,
        image_error,
    };
    render(app, "admin/appearance.html", status, page, "appearance", ctx)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Saved {
    ok: String,
}

pub(super) async fn form(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Query(q): Query<Saved>,
) -> Result<Response, WebError> {
    let look = Look::of(&me.tenant);
    let footer: Vec<_> = look.footer_links.iter().map(|l| (l.label.clone(), l.url.clone())).collect();
    show(&app, &page, &me.tenant, StatusCode::OK, &values(&look), &look, &footer, q.ok == "1", false, None)
}

/// Parses the look as typed; the refusals go to `form`.
fn parse(pairs: &[(String, String)], page: &Page, form: &mut FormState) -> (Look, Vec<(String, String)>) {
    let field =
        |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let all = |name: &str| pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let l = page.locale;
    let name = field("name").split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 120 {
        form.field_error("name", t(l, "admin.appearance.errors.name", &[]));
    }
    let tagline = field("tagline").split_whitespace().collect::<Vec<_>>().join(" ");
    if tagline.chars().count() > 200 {
        form.field_error("tagline", t(l, "admin.appearance.errors.tagline", &[]));
    }
    let mut colour = |key: &'static str| match Rgb::parse(&field(key)) {
        Some(c) => c.hex(),
        None => {
            form.field_error(key, t(l, "admin.appearance.errors.colour", &[]));
            field(key)
        }
    };
    let (primary, accent) = (colour("color_primary"), colour("color_accent"));
    let typed: Vec<(String, String)> = all("footer_label")
        .into_iter()
        .zip(all("footer_url"))
        .filter(|(a, b)| !a.trim().is_empty() || !b.trim().is_empty())
        .collect();
    let mut links = Vec::new();
    for (label, url) in &typed {
        match region::FooterLink::parse(label, url) {
            Some(link) => links.push(FooterLink { label: link.label, url: link.url }),
            None => form.field_error("footer", t(l, "admin.appearance.errors.footer", &[("label", label.clone())])),
        }
    }
    if typed.len() > 8 {
        form.field_error("footer", t(l, "admin.appearance.errors.footer_count", &[]));
    }
    *form = std::mem::take(form)
        .value("name", &name)
        .value("tagline", &tagline)
        .value("color_primary", &primary)
        .value("color_accent", &accent);
    (Look { name, tagline, color_primary: primary, color_accent: accent, footer_links: links }, typed)
}

pub(super) async fn save(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let mut form = FormState::default();
    let (look, typed) = parse(&pairs, &page, &mut form);
    let previewing = pairs.iter().any(|(k, _)| k == "apercu");
    if !form.is_ok() {
        return show(
            &app,
            &page,
            &me.tenant,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &Look::of(&me.tenant),
            &typed,
            false,
            false,
            None,
        );
    }
    if previewing {
        return show(&app, &page, &me.tenant, StatusCode::OK, &form, &look, &typed, false, true, None);
    }
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    branding::save_look(&mut tx, &me.tenant, &me.member, &look).await?;
    tx.commit().await?;
    // The NOTIFY reaches every process; this one forgets at once, for the next page.
    app.directory.invalidate_all();
    Ok(Redirect::to("/admin/apparence?ok=1").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ImageForm {
    /// `logo`, `favicon` or `cover`.
    which: String,
    /// `1`: remove it instead.
    remove: String,
}

pub(super) async fn images(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    CsrfMultipart { form: f, mut files }: CsrfMultipart<ImageForm>,
) -> Result<Response, WebError> {
    let (image, side) = match f.which.as_str() {
        "logo" => (Image::Logo, 480),
        "favicon" => (Image::Favicon, 180),
        "cover" => (Image::Cover, 1920),
        _ => return Err(WebError::BadRequest),
    };
    let tenant = me.tenant.clone();
    let key = if f.remove == "1" {
        None
    } else {
        let max = app.config.media.max_upload_bytes;
        let processed = match files.take("file") {
            Some(Upload::Bytes(bytes)) => crate::uploads::process(&app, bytes, side).await?,
            Some(Upload::TooLarge) => Err(echos_core::images::ImageError::TooLarge { max_bytes: max }),
            None => Err(echos_core::images::ImageError::NotAnImage),
        };
        match processed {
            Ok(img) => Some(app.media.put(tenant.id, "brand", img.bytes, img.ext, img.content_type).await?),
            Err(e) => {
                let (status, key) = image_refusal(&e);
                let look = Look::of(&tenant);
                let footer: Vec<_> = look.footer_links.iter().map(|l| (l.label.clone(), l.url.clone())).collect();
                let message = Some(t(page.locale, key, &[]));
                return show(&app, &page, &tenant, status, &values(&look), &look, &footer, false, false, message);
            }
        }
    };
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    let old = match branding::set_image(&mut tx, &tenant, &me.member, image, key.as_deref()).await {
        Ok(old) => old,
        Err(e) => {
            if let Some(k) = &key {
                let _ = app.media.delete_for(tenant.id, k).await;
            }
            return Err(e.into());
        }
    };
    tx.commit().await?;
    app.directory.invalidate_all();
    if let Some(old) = old
        && let Err(e) = app.media.delete_for(tenant.id, &old).await
    {
        tracing::warn!(error = ?e, "deleting a replaced image failed");
    }
    Ok(Redirect::to("/admin/apparence?ok=1#images").into_response())
}
