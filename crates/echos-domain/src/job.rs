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
}

impl JobKind {
    pub const ALL: [JobKind; 11] = [
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
