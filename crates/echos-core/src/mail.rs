//! Sending e-mail: files in a local outbox directory (the default: a laptop, the tests) or SMTP
//! (lettre). Messages are rendered by the caller; this only builds and delivers them.

use std::path::PathBuf;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailConfig;
use crate::error::{Context, CoreError};

/// A rendered message, ready to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub to: String,
    /// Shown as the sender's name (the region's name); the address is the platform's.
    pub from_name: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// A newsletter's one-click unsubscribe address (RFC 8058): `List-Unsubscribe` and
    /// `List-Unsubscribe-Post` headers.
    pub unsubscribe: Option<String>,
}

#[derive(Clone)]
pub enum Mailer {
    Outbox(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>, String),
}

impl Mailer {
    pub fn from_config(cfg: &MailConfig) -> Result<Self, CoreError> {
        match cfg.transport.as_str() {
            "smtp" => {
                let url = cfg
                    .smtp_url
                    .as_deref()
                    .ok_or_else(|| CoreError::invalid("mail.smtp_url is required with mail.transport = \"smtp\""))?;
                let transport =
                    AsyncSmtpTransport::<Tokio1Executor>::from_url(url).context("reading mail.smtp_url")?.build();
                Ok(Self::Smtp(transport, cfg.from.clone()))
            }
            _ => Ok(Self::Outbox(cfg.outbox_dir.clone())),
        }
    }

    fn sender_address(&self) -> &str {
        match self {
            Self::Outbox(_) => "echosciences@localhost",
            Self::Smtp(_, from) => from,
        }
    }

    pub async fn send(&self, mail: &Outgoing) -> Result<(), CoreError> {
        let from: Mailbox = format!("{} <{}>", sanitize_name(&mail.from_name), self.sender_address())
            .parse()
            .context("building the sender")?;
        let to: Mailbox = mail.to.parse().context("reading the recipient")?;
        let mut builder = Message::builder().from(from).to(to).subject(mail.subject.replace(['\r', '\n'], " "));
        if let Some(url) = &mail.unsubscribe {
            let url = url.replace(['\r', '\n', '<', '>'], "");
            builder = builder
                .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{url}>")))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .context("building the message")?;
        let sent = match self {
            Self::Outbox(dir) => {
                async {
                    tokio::fs::create_dir_all(dir).await.context("creating the outbox")?;
                    AsyncFileTransport::<Tokio1Executor>::new(dir)
                        .send(message)
                        .await
                        .context("writing to the outbox")?;
                    Ok(())
                }
                .await
            }
            Self::Smtp(transport, _) => transport.send(message).await.map(|_| ()).context("sending over SMTP"),
        };
        let outcome = if sent.is_ok() { "sent" } else { "failed" };
        crate::metrics::Metrics::outcome(&crate::metrics::METRICS.mails, outcome);
        sent
    }
}

/// A display name cannot break out of its header.
fn sanitize_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control() && !matches!(c, '<' | '>' | '"' | ',' | ';' | '@')).collect()
}
