//! Mail: rendering messages from templates (HTML + text pairs under
//! `templates/emails/`) and delivering queued ones with lettre.
//!
//! Delivery is SMTP when `SMTP_URL` is set; otherwise lettre's file
//! transport writes `.eml` files into `data/mail`, so a demo with nothing
//! configured still shows every message (also on the admin Outbox page).

use crate::domain::outbox::{self, Mail};
use crate::domain::requirement::Requirement;
use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;
use std::sync::Arc;
use uuid::Uuid;

/// Renders messages; knows the public URL that links must start with.
#[derive(Clone, Debug)]
pub struct MailRenderer {
    pub public_url: Arc<str>,
    /// Keys the single-use tokens carried by links in mail.
    pub secret: Arc<[u8]>,
}

#[derive(Template)]
#[template(path = "emails/invitation.txt")]
struct InvitationText<'a> {
    name: &'a str,
    inviter: &'a str,
    link: &'a str,
    days: i64,
}

#[derive(Template)]
#[template(path = "emails/invitation.html")]
struct InvitationHtml<'a> {
    name: &'a str,
    inviter: &'a str,
    link: &'a str,
    days: i64,
}

#[derive(Template)]
#[template(path = "emails/password_reset.txt")]
struct ResetText<'a> {
    name: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "emails/password_reset.html")]
struct ResetHtml<'a> {
    name: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "emails/email_changed.txt")]
struct EmailChangedText<'a> {
    name: &'a str,
    new_email: &'a str,
}

#[derive(Template)]
#[template(path = "emails/email_changed.html")]
struct EmailChangedHtml<'a> {
    name: &'a str,
    new_email: &'a str,
}

#[derive(Template)]
#[template(path = "emails/approval_pending.txt")]
struct PendingText<'a> {
    name: &'a str,
    r: &'a Requirement,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/approval_pending.html")]
struct PendingHtml<'a> {
    name: &'a str,
    r: &'a Requirement,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/requirement_decided.txt")]
struct DecidedText<'a> {
    name: &'a str,
    r: &'a Requirement,
    outcome: &'a str,
    comment: &'a str,
    by: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/requirement_decided.html")]
struct DecidedHtml<'a> {
    name: &'a str,
    r: &'a Requirement,
    outcome: &'a str,
    comment: &'a str,
    by: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/approval_overdue.txt")]
struct OverdueText<'a> {
    name: &'a str,
    r: &'a Requirement,
    approver: &'a str,
    escalation: bool,
    days: i64,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/approval_overdue.html")]
struct OverdueHtml<'a> {
    name: &'a str,
    r: &'a Requirement,
    approver: &'a str,
    escalation: bool,
    days: i64,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/notices.txt")]
struct NoticesText<'a> {
    name: &'a str,
    intro: &'a str,
    items: &'a [(String, String)],
    preferences: &'a str,
}

#[derive(Template)]
#[template(path = "emails/notices.html")]
struct NoticesHtml<'a> {
    name: &'a str,
    subject: &'a str,
    intro: &'a str,
    items: &'a [(String, String)],
    preferences: &'a str,
}

impl MailRenderer {
    pub fn new(config: &crate::config::Config) -> Self {
        MailRenderer {
            public_url: config.public_url.clone().into(),
            secret: config.secret_key.clone().into(),
        }
    }

    /// `approval.pending`: to an approver whose step has started. `token`
    /// opens the page once without a password (see
    /// [`crate::domain::approval::use_link`]).
    pub fn approval_pending(
        &self,
        to: &str,
        name: &str,
        r: &Requirement,
        task: Uuid,
        token: &str,
    ) -> Result<Mail, askama::Error> {
        let link = self.link(&format!("/approvals/{task}?token={token}"));
        Ok(Mail {
            to: to.to_owned(),
            subject: format!("Approval needed: {} {}", r.reference, r.title),
            text: PendingText {
                name,
                r,
                link: &link,
            }
            .render()?,
            html: PendingHtml {
                name,
                r,
                link: &link,
            }
            .render()?,
            template: "approval.pending",
        })
    }

    /// `approval.reminder`: to the approver past the SLA, or (escalation) to
    /// their manager and the admins after a second SLA.
    #[allow(clippy::too_many_arguments)] // one field per fact the mail states
    pub fn approval_overdue(
        &self,
        to: &str,
        name: &str,
        r: &Requirement,
        task: Uuid,
        approver: &str,
        escalation: bool,
        days: i64,
    ) -> Result<Mail, askama::Error> {
        let link = self.link(&format!("/approvals/{task}"));
        let subject = if escalation {
            format!(
                "Overdue approval: {} has waited {days} business days on {}",
                approver, r.reference
            )
        } else {
            format!(
                "Reminder: {} {} is waiting for your approval",
                r.reference, r.title
            )
        };
        Ok(Mail {
            to: to.to_owned(),
            subject,
            text: OverdueText {
                name,
                r,
                approver,
                escalation,
                days,
                link: &link,
            }
            .render()?,
            html: OverdueHtml {
                name,
                r,
                approver,
                escalation,
                days,
                link: &link,
            }
            .render()?,
            template: "approval.reminder",
        })
    }

    /// To the requester, on each decision that moves the requirement.
    pub fn requirement_decided(
        &self,
        to: &str,
        name: &str,
        r: &Requirement,
        outcome: &str,
        comment: &str,
        by: &str,
    ) -> Result<Mail, askama::Error> {
        let link = self.link(&format!("/requirements/{}", r.id));
        Ok(Mail {
            to: to.to_owned(),
            subject: format!("{} {} was {outcome}", r.reference, r.title),
            text: DecidedText {
                name,
                r,
                outcome,
                comment,
                by,
                link: &link,
            }
            .render()?,
            html: DecidedHtml {
                name,
                r,
                outcome,
                comment,
                by,
                link: &link,
            }
            .render()?,
            template: "requirement.decided",
        })
    }

    /// Notifications by mail: one at once (`digest` false), or the day's
    /// in the daily digest. `items` are (text, local path).
    pub fn notices(
        &self,
        to: &str,
        name: &str,
        items: &[(String, String)],
        digest: bool,
    ) -> Result<Mail, askama::Error> {
        let items: Vec<(String, String)> = items
            .iter()
            .map(|(text, path)| (text.clone(), self.link(path)))
            .collect();
        let (subject, intro) = match (digest, items.first()) {
            (false, Some((text, _))) => (text.clone(), "There is news for you:".to_owned()),
            _ => (
                format!("Hiring Hare: {} since your last digest", items.len()),
                "Here is what happened since your last digest:".to_owned(),
            ),
        };
        let preferences = self.link("/profile/notifications");
        Ok(Mail {
            to: to.to_owned(),
            text: NoticesText {
                name,
                intro: &intro,
                items: &items,
                preferences: &preferences,
            }
            .render()?,
            html: NoticesHtml {
                name,
                subject: &subject,
                intro: &intro,
                items: &items,
                preferences: &preferences,
            }
            .render()?,
            subject,
            template: if digest { "digest" } else { "notice" },
        })
    }

    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    pub fn invitation(
        &self,
        to: &str,
        name: &str,
        inviter: &str,
        token: &str,
    ) -> Result<Mail, askama::Error> {
        let link = self.link(&format!("/invitation/{token}"));
        let days = crate::domain::token::Purpose::Invitation
            .lifetime()
            .num_days();
        Ok(Mail {
            to: to.to_owned(),
            subject: format!("{inviter} invited you to Hiring Hare"),
            text: InvitationText {
                name,
                inviter,
                link: &link,
                days,
            }
            .render()?,
            html: InvitationHtml {
                name,
                inviter,
                link: &link,
                days,
            }
            .render()?,
            template: "invitation",
        })
    }

    pub fn password_reset(&self, to: &str, name: &str, token: &str) -> Result<Mail, askama::Error> {
        let link = self.link(&format!("/password-reset/{token}"));
        let minutes = crate::domain::token::Purpose::PasswordReset
            .lifetime()
            .num_minutes();
        Ok(Mail {
            to: to.to_owned(),
            subject: "Reset your Hiring Hare password".into(),
            text: ResetText {
                name,
                link: &link,
                minutes,
            }
            .render()?,
            html: ResetHtml {
                name,
                link: &link,
                minutes,
            }
            .render()?,
            template: "password_reset",
        })
    }

    /// To the address an account had before an admin changed it, so its
    /// owner hears of a change they did not make.
    pub fn email_changed(
        &self,
        to: &str,
        name: &str,
        new_email: &str,
    ) -> Result<Mail, askama::Error> {
        Ok(Mail {
            to: to.to_owned(),
            subject: "Your Hiring Hare email address was changed".into(),
            text: EmailChangedText { name, new_email }.render()?,
            html: EmailChangedHtml { name, new_email }.render()?,
            template: "email_changed",
        })
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
}

/// Sends outbox messages; the mail job calls it with a message id.
pub struct Delivery {
    pool: PgPool,
    from: Mailbox,
    transport: Transport,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("MAIL_FROM is not a valid mailbox: {0}")]
    From(#[from] lettre::address::AddressError),
    #[error("SMTP_URL is not usable: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("cannot create the mail directory {0}: {1}")]
    Dir(String, std::io::Error),
}

impl Delivery {
    pub fn new(pool: PgPool, config: &crate::config::Config) -> Result<Self, MailError> {
        let transport = match &config.smtp_url {
            Some(url) => {
                Transport::Smtp(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build())
            }
            None => {
                let dir = config.data_dir.join("mail");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| MailError::Dir(dir.display().to_string(), e))?;
                Transport::File(AsyncFileTransport::new(dir))
            }
        };
        Ok(Delivery {
            pool,
            from: config.mail_from.parse()?,
            transport,
        })
    }

    fn build(
        &self,
        msg: &outbox::Message,
    ) -> Result<Message, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Message::builder()
            .from(self.from.clone())
            .to(msg.to_address.parse()?)
            .subject(msg.subject.clone())
            .message_id(Some(format!("<{}@hiringhare>", msg.id)))
            .multipart(MultiPart::alternative_plain_html(
                msg.body_text.clone(),
                msg.body_html.clone(),
            ))?)
    }

    async fn send(&self, id: Uuid) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        // No connection is held while the mail server answers: a slow one
        // would hold the pool's connections and stall the pages.
        let Some(msg) = outbox::find(&mut *self.pool.acquire().await?, id).await? else {
            // Nothing to send: the row is gone (it never committed).
            return Ok(());
        };
        if msg.sent_at.is_some() {
            // A retried job after a send that succeeded: never send twice.
            return Ok(());
        }
        let sent = match self.build(&msg) {
            Ok(email) => match &self.transport {
                Transport::Smtp(t) => t.send(email).await.map(|_| ()).map_err(|e| e.to_string()),
                Transport::File(t) => t.send(email).await.map(|_| ()).map_err(|e| e.to_string()),
            },
            // A bad address will not get better, but it is recorded like any
            // failure so the Outbox page shows why the message is stuck.
            Err(e) => Err(e.to_string()),
        };
        outbox::record_attempt(
            &mut *self.pool.acquire().await?,
            id,
            sent.as_ref().err().map(String::as_str),
        )
        .await?;
        let outcome = if sent.is_ok() { "sent" } else { "failed" };
        metrics::counter!("jobs_total", "queue" => jobs::MAIL_QUEUE, "outcome" => outcome)
            .increment(1);
        sent.map_err(Into::into)
    }
}

impl jobs::Mailer for Delivery {
    async fn deliver(
        &self,
        outbox_id: Uuid,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.send(outbox_id).await
    }
}
