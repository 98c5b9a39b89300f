//! The kinds of job in the queue (`platform.jobs.kind`). A job row names its kind by `code`;
//! the worker parses it here and refuses (fails) a kind it does not know.

/// Every kind of job, and the lane it runs in (see `Lane`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    MailConfirm,
    MailAlreadyRegistered,
    MailReset,
    MailEmailChange,
    MailEmailChanged,
    MailNotification,
    EraseMember,
    Published,
    LinkPreview,
    /// One newsletter to one member.
    MailNewsletter,
    /// A domain's verification (DNS TXT or the file at `/.well-known/`).
    VerifyDomain,
    /// A Stripe event stored by the webhook, applied (no region: it finds its own).
    StripeEvent,
    /// The e-mail that hands a new region to its first admin: a one-time sign-in link.
    MailRegionOpened,
    /// A one-time sign-in link to the operator's console (no region).
    MailOperatorLink,
    /// A region's archive, made then mailed as a link to whoever asked.
    RegionExport,
    /// A region's admins told of its billing state (payment late, suspension, resumption).
    MailBilling,
}

impl JobKind {
    pub const ALL: [JobKind; 16] = [
        JobKind::MailConfirm,
        JobKind::MailAlreadyRegistered,
        JobKind::MailReset,
        JobKind::MailEmailChange,
        JobKind::MailEmailChanged,
        JobKind::MailNotification,
        JobKind::EraseMember,
        JobKind::Published,
        JobKind::LinkPreview,
        JobKind::MailNewsletter,
        JobKind::VerifyDomain,
        JobKind::StripeEvent,
        JobKind::MailRegionOpened,
        JobKind::MailOperatorLink,
        JobKind::RegionExport,
        JobKind::MailBilling,
    ];

    /// The value stored in `platform.jobs.kind`.
    pub fn code(self) -> &'static str {
        match self {
            Self::MailConfirm => "mail.confirm",
            Self::MailAlreadyRegistered => "mail.already_registered",
            Self::MailReset => "mail.reset",
            Self::MailEmailChange => "mail.email_change",
            Self::MailEmailChanged => "mail.email_changed",
            Self::MailNotification => "mail.notification",
            Self::EraseMember => "member.erase",
            Self::Published => "contribution.published",
            Self::LinkPreview => "link.preview",
            Self::MailNewsletter => "mail.newsletter",
            Self::VerifyDomain => "domain.verify",
            Self::StripeEvent => "stripe.event",
            Self::MailRegionOpened => "mail.region_opened",
            Self::MailOperatorLink => "mail.operator_link",
            Self::RegionExport => "region.export",
            Self::MailBilling => "mail.billing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_code_and_codes_are_distinct() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.code()), Some(k));
        }
        let mut codes: Vec<_> = JobKind::ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), JobKind::ALL.len());
        assert_eq!(JobKind::parse("mail.unknown"), None);
    }
}
