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

    /// The lane the job runs in: each lane has workers of its own, so a slow kind (a link
    /// preview waits up to 8 s on another site) never holds back another (a sign-up's mail).
    pub fn lane(self) -> Lane {
        match self {
            Self::MailConfirm
            | Self::MailAlreadyRegistered
            | Self::MailReset
            | Self::MailEmailChange
            | Self::MailEmailChanged
            | Self::MailNotification
            | Self::MailNewsletter
            | Self::MailRegionOpened
            | Self::MailOperatorLink
            | Self::MailBilling
            | Self::Published => Lane::Mail,
            Self::LinkPreview | Self::VerifyDomain => Lane::Fetch,
            Self::EraseMember | Self::RegionExport => Lane::Heavy,
            Self::StripeEvent => Lane::Platform,
        }
    }

    /// A suspended (or closed) region's jobs of this kind wait until it is resumed: it sends no
    /// mail to its members and fetches nothing. What its admins need to pay or leave — billing
    /// mail, an archive, a password reset — and an account's erasure still run.
    pub fn waits_while_suspended(self) -> bool {
        !matches!(
            self,
            Self::MailBilling
                | Self::RegionExport
                | Self::MailReset
                | Self::EraseMember
                | Self::StripeEvent
                | Self::MailOperatorLink
                | Self::MailRegionOpened
        )
    }

    /// Every kind of a lane, by code.
    pub fn codes_of(lane: Lane) -> Vec<&'static str> {
        Self::ALL.into_iter().filter(|k| k.lane() == lane).map(Self::code).collect()
    }
}

/// Where a job runs, and how many of the lane run at once in one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    Mail,
    Fetch,
    Heavy,
    Platform,
}

impl Lane {
    pub const ALL: [Lane; 4] = [Lane::Mail, Lane::Fetch, Lane::Heavy, Lane::Platform];

    pub fn concurrency(self) -> usize {
        match self {
            Self::Mail => 4,
            Self::Fetch => 4,
            Self::Heavy => 1,
            Self::Platform => 2,
        }
    }

    /// A lease long enough for the lane's slowest job; it is renewed while the job runs.
    pub fn lease_secs(self) -> f64 {
        match self {
            Self::Mail | Self::Fetch | Self::Platform => 120.0,
            Self::Heavy => 600.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Mail => "mail",
            Self::Fetch => "fetch",
            Self::Heavy => "heavy",
            Self::Platform => "platform",
        }
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

    #[test]
    fn slow_kinds_have_lanes_of_their_own_and_every_kind_has_one() {
        assert_ne!(JobKind::LinkPreview.lane(), JobKind::MailConfirm.lane());
        assert_ne!(JobKind::RegionExport.lane(), JobKind::MailNotification.lane());
        let all: usize = Lane::ALL.iter().map(|l| JobKind::codes_of(*l).len()).sum();
        assert_eq!(all, JobKind::ALL.len());
        assert!(JobKind::MailNewsletter.waits_while_suspended());
        assert!(!JobKind::MailBilling.waits_while_suspended());
    }
}
