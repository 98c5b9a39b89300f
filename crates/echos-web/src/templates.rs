//! Templates (minijinja, auto-escaped). Embedded in the binary; with `dev.reload_templates` they
//! are read from `crates/echos-web/templates/` on every render, for quick edits.

use std::path::PathBuf;
use std::sync::Arc;

use echos_domain::Locale;
use minijinja::value::Kwargs;
use minijinja::{Environment, Error, ErrorKind, State, Value};
use serde::Serialize;

use crate::i18n;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// Every template, by name. A new page adds its line here.
const TEMPLATES: &[(&str, &str)] = embedded![
    "layouts/base.html",
    "layouts/status.html",
    "macros/icons.html",
    "macros/forms.html",
    "macros/members.html",
    "macros/contributions.html",
    "macros/comments.html",
    "errors/error.html",
    "platform/home.html",
    "region/home.html",
    "auth/sign_up.html",
    "auth/sign_up_done.html",
    "auth/sign_in.html",
    "auth/join.html",
    "auth/confirmed.html",
    "auth/forgot.html",
    "auth/forgot_done.html",
    "auth/reset.html",
    "auth/reset_done.html",
    "members/edit.html",
    "members/account.html",
    "members/deleted.html",
    "members/notifications.html",
    "mail/email_change.html",
    "mail/email_change.txt",
    "mail/email_changed.html",
    "mail/email_changed.txt",
    "mail/notification.html",
    "mail/notification.txt",
    "mail/reset.html",
    "mail/reset.txt",
    "members/profile.html",
    "members/my_space.html",
    "contributions/list.html",
    "contributions/show.html",
    "contributions/form.html",
    "contributions/comment_edit.html",
    "contributions/delete.html",
    "contributions/choose.html",
    "search/results.html",
    "admin/layout.html",
    "admin/dashboard.html",
    "admin/appearance.html",
    "admin/settings.html",
    "admin/pages.html",
    "admin/page_form.html",
    "admin/domains.html",
    "admin/home.html",
    "admin/members.html",
    "admin/member.html",
    "admin/participation.html",
    "admin/journal.html",
    "admin/newsletters.html",
    "admin/newsletter_form.html",
    "admin/newsletter.html",
    "pages/legal.html",
    "pages/unsubscribe.html",
    "mail/newsletter.html",
    "mail/newsletter.txt",
    "mail/layout.html",
    "mail/layout.txt",
    "mail/macros.html",
    "mail/confirm.html",
    "mail/confirm.txt",
    "mail/already_registered.html",
    "mail/already_registered.txt",
    "macros/format.html",
    "macros/billing.html",
    "platform/signup.html",
    "platform/signup_done.html",
    "platform/terms.html",
    "auth/signin_link.html",
    "platform/console/layout.html",
    "platform/console/sign_in.html",
    "platform/console/regions.html",
    "platform/console/region.html",
    "platform/console/participation.html",
    "platform/console/jobs.html",
    "platform/console/migrations.html",
    "platform/console/journal.html",
    "admin/billing.html",
    "macros/moderation.html",
    "macros/events.html",
    "communities/list.html",
    "communities/propose.html",
    "communities/show.html",
    "communities/manage.html",
    "moderation/report.html",
    "moderation/queue.html",
    "admin/communities.html",
    "admin/moderation.html",
    "events/agenda.html",
    "events/map.html",
    "projects/list.html",
    "projects/calls.html",
    "projects/call.html",
    "admin/calls.html",
    "mail/region_opened.html",
    "mail/region_opened.txt",
    "mail/export_ready.html",
    "mail/export_ready.txt",
    "mail/billing_past_due.html",
    "mail/billing_past_due.txt",
    "mail/billing_suspended.html",
    "mail/billing_suspended.txt",
    "mail/billing_resumed.html",
    "mail/billing_resumed.txt",
    "mail/billing_archived.html",
    "mail/billing_archived.txt",
    "mail/operator_link.html",
    "mail/operator_link.txt",
];

#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
    reload_from: Option<PathBuf>,
}

impl Templates {
    pub fn new(reload: bool) -> Result<Self, Error> {
        let mut env = base_env();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        let reload_from = reload.then(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates"));
        Ok(Self { env: Arc::new(env), reload_from })
    }

    /// Renders a page. `ctx` must carry `locale` (the `t()` function reads it).
    pub fn render<S: Serialize>(&self, name: &str, ctx: S) -> Result<String, Error> {
        match &self.reload_from {
            None => self.env.get_template(name)?.render(minijinja::value::Serde(&ctx)),
            Some(dir) => {
                let dir = dir.clone();
                let mut env = base_env();
                env.set_loader(move |name| match std::fs::read_to_string(dir.join(name)) {
                    Ok(source) => Ok(Some(source)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(Error::new(ErrorKind::InvalidOperation, "cannot read template").with_source(e)),
                });
                env.get_template(name)?.render(minijinja::value::Serde(&ctx))
            }
        }
    }
}

fn base_env() -> Environment<'static> {
    let mut env = Environment::new();
    // Plain-text e-mails are not HTML: no escaping there.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".txt") { minijinja::AutoEscape::None } else { minijinja::AutoEscape::Html }
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_function("t", translate);
    // `{{ asset("site.css") }}`: an embedded file's address by its content (`assets::url`).
    env.add_function("asset", |name: &str| Value::from_safe_string(crate::assets::url(name)));
    env
}

/// `{{ t("key", name=value) }}` in the page's locale.
fn translate(state: &State, key: &str, kwargs: Kwargs) -> Result<String, Error> {
    let locale = state.lookup("locale").and_then(|v| v.as_str().and_then(Locale::parse)).unwrap_or_default();
    let mut args = Vec::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        args.push((name, value.to_string()));
    }
    kwargs.assert_all_used()?;
    Ok(i18n::t(locale, key, &args))
}
