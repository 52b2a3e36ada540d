//! Mail: rendering messages from templates (HTML + text pairs under
//! `templates/emails/`) and delivering queued ones with lettre.
//!
//! Delivery is SMTP when `SMTP_URL` is set; otherwise each message is
//! written as an `.eml` file into `data/mail`, readable by the app's user
//! only (it holds the working link), so a demo with nothing configured
//! still gets every message.
//!
//! Delivery is at least once: a message is marked sent right after the
//! transport took it, and a crash in between sends it again on retry, with
//! the same `Message-ID` (made from its outbox row) so mail clients show it
//! once, and over the same `.eml` file.

use crate::domain::approval::subject::About;
use crate::domain::interviewing::calendar::{Method, Person};
use crate::domain::interviewing::schedule::Invitation;
use crate::domain::messaging::outbox::{self, Mail, PUBLIC_URL_MARK, TOKEN_MASK};
use crate::domain::messaging::{LetterError, Letters};
use askama::Template;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

/// Renders messages for the outbox. Their links start with
/// [`PUBLIC_URL_MARK`], not with this process's `PUBLIC_URL`: the process
/// that delivers them puts its own in, so mail queued by any command
/// (`seed-demo`, `admin`, a worker) links to the server that sends it.
#[derive(Clone, Debug)]
pub struct MailRenderer {
    /// Keys the single-use tokens carried by links in mail.
    secret: Arc<[u8]>,
    /// The ORGANIZER of interview invitations.
    organizer: Person,
}

/// A token for the outbox: the masked form for the stored bodies' links,
/// and the token sealed for the message's one recipient.
fn sealed(
    secret: &[u8],
    to: &str,
    token: &str,
) -> Result<(&'static str, Option<Vec<u8>>), askama::Error> {
    let sealed = outbox::seal(secret, to, token).map_err(|e| askama::Error::Custom(Box::new(e)))?;
    Ok((TOKEN_MASK, Some(sealed)))
}

#[derive(Template)]
#[template(path = "emails/accounts/invitation.txt")]
struct InvitationText<'a> {
    name: &'a str,
    inviter: &'a str,
    link: &'a str,
    days: i64,
}

#[derive(Template)]
#[template(path = "emails/accounts/invitation.html")]
struct InvitationHtml<'a> {
    name: &'a str,
    inviter: &'a str,
    link: &'a str,
    days: i64,
}

#[derive(Template)]
#[template(path = "emails/accounts/password_reset.txt")]
struct ResetText<'a> {
    name: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "emails/accounts/password_reset.html")]
struct ResetHtml<'a> {
    name: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "emails/accounts/email_changed.txt")]
struct EmailChangedText<'a> {
    name: &'a str,
    new_email: &'a str,
}

#[derive(Template)]
#[template(path = "emails/accounts/email_changed.html")]
struct EmailChangedHtml<'a> {
    name: &'a str,
    new_email: &'a str,
}

#[derive(Template)]
#[template(path = "emails/candidates/received.txt")]
struct ReceivedText<'a> {
    name: &'a str,
    job: &'a str,
    company: &'a str,
}

#[derive(Template)]
#[template(path = "emails/candidates/received.html")]
struct ReceivedHtml<'a> {
    name: &'a str,
    job: &'a str,
    company: &'a str,
}

/// What the consent renewal mail says, as text and as HTML.
struct RenewalPage<'a> {
    name: &'a str,
    company: &'a str,
    until: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/candidates/consent_renewal.txt")]
struct RenewalText<'a> {
    page: &'a RenewalPage<'a>,
}

#[derive(Template)]
#[template(path = "emails/candidates/consent_renewal.html")]
struct RenewalHtml<'a> {
    page: &'a RenewalPage<'a>,
}

/// A candidate's offer mail.
struct OfferPage<'a> {
    name: &'a str,
    job: &'a str,
    company: &'a str,
    expires: &'a str,
    link: &'a str,
    reminder: bool,
}

#[derive(Template)]
#[template(path = "emails/offers/offer.txt")]
struct OfferText<'a> {
    page: &'a OfferPage<'a>,
}

#[derive(Template)]
#[template(path = "emails/offers/offer.html")]
struct OfferHtml<'a> {
    page: &'a OfferPage<'a>,
}

/// A candidate's answer confirmed, or their offer withdrawn.
struct AnsweredPage<'a> {
    name: &'a str,
    job: &'a str,
    company: &'a str,
    accepted: bool,
    start: &'a str,
}

#[derive(Template)]
#[template(path = "emails/offers/answered.txt")]
struct AnsweredText<'a> {
    page: &'a AnsweredPage<'a>,
}

#[derive(Template)]
#[template(path = "emails/offers/answered.html")]
struct AnsweredHtml<'a> {
    page: &'a AnsweredPage<'a>,
}

#[derive(Template)]
#[template(path = "emails/offers/withdrawn.txt")]
struct WithdrawnText<'a> {
    page: &'a AnsweredPage<'a>,
}

#[derive(Template)]
#[template(path = "emails/offers/withdrawn.html")]
struct WithdrawnHtml<'a> {
    page: &'a AnsweredPage<'a>,
}

/// What an interview invitation says, as text and as HTML.
struct InterviewPage<'a> {
    name: &'a str,
    i: &'a Invitation,
    /// The kit's link, for the panel ("" for the candidate).
    kit: &'a str,
}

#[derive(Template)]
#[template(path = "emails/interviews/invitation.txt")]
struct InterviewText<'a> {
    page: &'a InterviewPage<'a>,
}

#[derive(Template)]
#[template(path = "emails/interviews/invitation.html")]
struct InterviewHtml<'a> {
    page: &'a InterviewPage<'a>,
}

/// What the "your data" mail says; `link` empty when nothing is held.
struct YourDataPage<'a> {
    name: &'a str,
    company: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/candidates/your_data.txt")]
struct YourDataText<'a> {
    page: &'a YourDataPage<'a>,
}

#[derive(Template)]
#[template(path = "emails/candidates/your_data.html")]
struct YourDataHtml<'a> {
    page: &'a YourDataPage<'a>,
}

#[derive(Template)]
#[template(path = "emails/candidates/rejection.txt")]
struct RejectionText<'a> {
    name: &'a str,
    job: &'a str,
    withdrawn: bool,
}

#[derive(Template)]
#[template(path = "emails/candidates/rejection.html")]
struct RejectionHtml<'a> {
    name: &'a str,
    job: &'a str,
    withdrawn: bool,
}

#[derive(Template)]
#[template(path = "emails/approvals/pending.txt")]
struct PendingText<'a> {
    name: &'a str,
    r: &'a About,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/approvals/pending.html")]
struct PendingHtml<'a> {
    name: &'a str,
    r: &'a About,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/requirements/decided.txt")]
struct DecidedText<'a> {
    name: &'a str,
    r: &'a About,
    outcome: &'a str,
    comment: &'a str,
    by: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/requirements/decided.html")]
struct DecidedHtml<'a> {
    name: &'a str,
    r: &'a About,
    outcome: &'a str,
    comment: &'a str,
    by: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/approvals/overdue.txt")]
struct OverdueText<'a> {
    name: &'a str,
    r: &'a About,
    approver: &'a str,
    escalation: bool,
    days: i64,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/approvals/overdue.html")]
struct OverdueHtml<'a> {
    name: &'a str,
    r: &'a About,
    approver: &'a str,
    escalation: bool,
    days: i64,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/notifications/notices.txt")]
struct NoticesText<'a> {
    name: &'a str,
    intro: &'a str,
    items: &'a [(String, String)],
    preferences: &'a str,
}

#[derive(Template)]
#[template(path = "emails/notifications/notices.html")]
struct NoticesHtml<'a> {
    name: &'a str,
    subject: &'a str,
    intro: &'a str,
    items: &'a [(String, String)],
    preferences: &'a str,
}

impl MailRenderer {
    pub fn new(config: &crate::config::Config) -> Self {
        // Checked at start-up with MAIL_FROM's rules; an address that does
        // not parse is used as it is.
        let organizer = match config.scheduling_address.parse::<Mailbox>() {
            Ok(m) => Person {
                name: m.name.unwrap_or_default(),
                email: m.email.to_string(),
            },
            Err(_) => Person {
                name: String::new(),
                email: config.scheduling_address.clone(),
            },
        };
        MailRenderer {
            secret: config.secret_key.clone().into(),
            organizer,
        }
    }
}

impl From<askama::Error> for LetterError {
    fn from(e: askama::Error) -> Self {
        LetterError(Box::new(e))
    }
}

impl Letters for MailRenderer {
    fn token_key(&self) -> &[u8] {
        &self.secret
    }

    /// A stored link: the delivering process puts its `PUBLIC_URL` in place
    /// of the mark.
    fn link(&self, path: &str) -> String {
        format!("{PUBLIC_URL_MARK}{path}")
    }

    fn organizer(&self) -> Person {
        self.organizer.clone()
    }

    fn interview(
        &self,
        to: &str,
        name: &str,
        invitation: &Invitation,
    ) -> Result<Mail, LetterError> {
        let kit = invitation.kit.as_deref().map(|k| self.link(k));
        let page = InterviewPage {
            name,
            i: invitation,
            kit: kit.as_deref().unwrap_or(""),
        };
        let subject = match (invitation.method, invitation.update) {
            (Method::Cancel, _) => format!("Cancelled: {}", invitation.what),
            (_, true) => format!("Updated invitation: {}", invitation.what),
            _ => format!("Invitation: {}", invitation.what),
        };
        Ok(Mail {
            to: to.to_owned(),
            subject,
            text: InterviewText { page: &page }.render()?,
            html: InterviewHtml { page: &page }.render()?,
            template: "interviews.invitation",
            sealed_token: None,
            calendar: Some((invitation.method, invitation.ics.clone())),
        })
    }

    /// `approval.pending`: to an approver whose step has started. `token`
    /// opens the page once without a password (see
    /// [`crate::domain::approval::use_link`]).
    fn approval_pending(
        &self,
        to: &str,
        name: &str,
        r: &About,
        task: Uuid,
        token: &str,
    ) -> Result<Mail, LetterError> {
        let (token, sealed_token) = sealed(&self.secret, to, token)?;
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
            sealed_token,
            calendar: None,
        })
    }

    /// `approval.reminder`: to the approver past the SLA, or (escalation) to
    /// their manager and the admins after a second SLA.
    fn approval_overdue(
        &self,
        to: &str,
        name: &str,
        r: &About,
        task: Uuid,
        approver: &str,
        escalation: bool,
        days: i64,
    ) -> Result<Mail, LetterError> {
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
            sealed_token: None,
            calendar: None,
        })
    }

    /// To the requester, on each decision on their subject.
    fn approval_decided(
        &self,
        to: &str,
        name: &str,
        r: &About,
        outcome: &str,
        comment: &str,
        by: &str,
    ) -> Result<Mail, LetterError> {
        let link = self.link(&r.path);
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
            sealed_token: None,
            calendar: None,
        })
    }

    /// Notifications by mail: one at once (`digest` false), or the day's
    /// in the daily digest. `items` are (text, local path).
    fn notices(
        &self,
        to: &str,
        name: &str,
        items: &[(String, String)],
        digest: bool,
    ) -> Result<Mail, LetterError> {
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
            sealed_token: None,
            calendar: None,
        })
    }

    fn invitation(
        &self,
        to: &str,
        name: &str,
        inviter: &str,
        token: &str,
    ) -> Result<Mail, LetterError> {
        let (token, sealed_token) = sealed(&self.secret, to, token)?;
        let link = self.link(&format!("/invitation/{token}"));
        let days = crate::domain::org::token::Purpose::Invitation
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
            sealed_token,
            calendar: None,
        })
    }

    fn password_reset(&self, to: &str, name: &str, token: &str) -> Result<Mail, LetterError> {
        let (token, sealed_token) = sealed(&self.secret, to, token)?;
        let link = self.link(&format!("/password-reset/{token}"));
        let minutes = crate::domain::org::token::Purpose::PasswordReset
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
            sealed_token,
            calendar: None,
        })
    }

    /// To the address an account had before an admin changed it, so its
    /// owner hears of a change they did not make.
    fn email_changed(&self, to: &str, name: &str, new_email: &str) -> Result<Mail, LetterError> {
        Ok(Mail {
            to: to.to_owned(),
            subject: "Your Hiring Hare email address was changed".into(),
            text: EmailChangedText { name, new_email }.render()?,
            html: EmailChangedHtml { name, new_email }.render()?,
            template: "email_changed",
            sealed_token: None,
            calendar: None,
        })
    }

    fn application_received(
        &self,
        to: &str,
        name: &str,
        job: &str,
        company: &str,
    ) -> Result<Mail, LetterError> {
        Ok(Mail {
            to: to.to_owned(),
            subject: format!("Your application for {job} at {company}"),
            text: ReceivedText { name, job, company }.render()?,
            html: ReceivedHtml { name, job, company }.render()?,
            template: "candidate.received",
            sealed_token: None,
            calendar: None,
        })
    }

    fn rejection(
        &self,
        to: &str,
        name: &str,
        job: &str,
        withdrawn: bool,
    ) -> Result<Mail, LetterError> {
        Ok(Mail {
            to: to.to_owned(),
            subject: format!("Your application for {job}"),
            text: RejectionText {
                name,
                job,
                withdrawn,
            }
            .render()?,
            html: RejectionHtml {
                name,
                job,
                withdrawn,
            }
            .render()?,
            template: "candidate.rejection",
            sealed_token: None,
            calendar: None,
        })
    }

    fn offer(
        &self,
        to: &str,
        name: &str,
        job: &str,
        company: &str,
        expires: chrono::NaiveDate,
        token: &str,
        reminder: bool,
    ) -> Result<Mail, LetterError> {
        let (link, sealed_token) = self.candidate_link(to, "/offer", token)?;
        let page = OfferPage {
            name,
            job,
            company,
            expires: &expires.format("%-d %B %Y").to_string(),
            link: &link,
            reminder,
        };
        Ok(Mail {
            to: to.to_owned(),
            subject: if reminder {
                format!("Your offer for {job} expires soon")
            } else {
                format!("Your offer from {company}: {job}")
            },
            text: OfferText { page: &page }.render()?,
            html: OfferHtml { page: &page }.render()?,
            template: "candidate.offer",
            sealed_token,
            calendar: None,
        })
    }

    fn offer_answered(
        &self,
        to: &str,
        name: &str,
        job: &str,
        company: &str,
        accepted: bool,
        start: chrono::NaiveDate,
    ) -> Result<Mail, LetterError> {
        let page = AnsweredPage {
            name,
            job,
            company,
            accepted,
            start: &start.format("%-d %B %Y").to_string(),
        };
        Ok(Mail {
            to: to.to_owned(),
            subject: if accepted {
                format!("Welcome to {company}: your acceptance is recorded")
            } else {
                format!("Your answer to the offer for {job}")
            },
            text: AnsweredText { page: &page }.render()?,
            html: AnsweredHtml { page: &page }.render()?,
            template: "candidate.offer_answered",
            sealed_token: None,
            calendar: None,
        })
    }

    fn offer_withdrawn(
        &self,
        to: &str,
        name: &str,
        job: &str,
        company: &str,
    ) -> Result<Mail, LetterError> {
        let page = AnsweredPage {
            name,
            job,
            company,
            accepted: false,
            start: "",
        };
        Ok(Mail {
            to: to.to_owned(),
            subject: format!("The offer for {job} is withdrawn"),
            text: WithdrawnText { page: &page }.render()?,
            html: WithdrawnHtml { page: &page }.render()?,
            template: "candidate.offer_withdrawn",
            sealed_token: None,
            calendar: None,
        })
    }

    fn consent_renewal(
        &self,
        to: &str,
        name: &str,
        company: &str,
        until: chrono::NaiveDate,
        token: &str,
    ) -> Result<Mail, LetterError> {
        let (link, sealed_token) = self.candidate_link(to, "/consent", token)?;
        let until = until.format("%-d %B %Y").to_string();
        let page = RenewalPage {
            name,
            company,
            until: &until,
            link: &link,
        };
        Ok(Mail {
            to: to.to_owned(),
            subject: format!("Shall {company} keep your details?"),
            text: RenewalText { page: &page }.render()?,
            html: RenewalHtml { page: &page }.render()?,
            template: "candidate.consent_renewal",
            sealed_token,
            calendar: None,
        })
    }

    fn your_data(
        &self,
        to: &str,
        company: &str,
        held: Option<(&str, &str)>,
    ) -> Result<Mail, LetterError> {
        let (name, link, sealed_token) = match held {
            Some((name, token)) => {
                let (link, sealed) = self.candidate_link(to, "/your-data", token)?;
                (name, link, sealed)
            }
            None => ("", String::new(), None),
        };
        let page = YourDataPage {
            name,
            company,
            link: &link,
        };
        Ok(Mail {
            to: to.to_owned(),
            subject: format!("Your data at {company}"),
            text: YourDataText { page: &page }.render()?,
            html: YourDataHtml { page: &page }.render()?,
            template: "candidate.your_data",
            sealed_token,
            calendar: None,
        })
    }
}

impl MailRenderer {
    fn candidate_link(
        &self,
        to: &str,
        path: &str,
        token: &str,
    ) -> Result<(String, Option<Vec<u8>>), LetterError> {
        let (token, sealed_token) = sealed(&self.secret, to, token)?;
        Ok((self.link(&format!("{path}/{token}")), sealed_token))
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The directory the `.eml` files go to.
    File(PathBuf),
}

/// Sends outbox messages; the mail job calls it with a message id.
pub struct Delivery {
    pool: PgPool,
    from: Mailbox,
    transport: Transport,
    /// Opens the tokens sealed into outbox rows.
    secret: Arc<[u8]>,
    /// What the links start with.
    public_url: String,
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
    /// `pool` is the background pool ([`crate::db::Pools::background`]).
    pub fn new(pool: PgPool, config: &crate::config::Config) -> Result<Self, MailError> {
        let transport = match &config.smtp_url {
            Some(url) => {
                Transport::Smtp(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build())
            }
            None => {
                let dir = config.data_dir.join("mail");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| MailError::Dir(dir.display().to_string(), e))?;
                Transport::File(dir)
            }
        };
        Ok(Delivery {
            pool,
            from: config.mail_from.parse()?,
            transport,
            secret: config.secret_key.clone().into(),
            public_url: config.public_url.clone(),
        })
    }

    fn build(
        &self,
        msg: &outbox::Message,
    ) -> Result<Message, Box<dyn std::error::Error + Send + Sync>> {
        let (text, html) = msg.as_sent(&self.secret, &self.public_url)?;
        Ok(Message::builder()
            .from(self.from.clone())
            .to(msg.to_address.parse()?)
            .subject(msg.subject.clone())
            .message_id(Some(format!("<{}@hiringhare>", msg.id)))
            .multipart(match msg.calendar_as_sent(&self.public_url) {
                None => MultiPart::alternative_plain_html(text, html),
                // What calendars expect of an invitation (RFC 6047): the
                // object as an alternative of the message, with its method,
                // and, for clients that only offer attachments, as a file.
                Some((method, ics)) => {
                    let calendar = ContentType::parse(&format!(
                        "text/calendar; charset=UTF-8; method={method}"
                    ))?;
                    MultiPart::mixed()
                        .multipart(
                            MultiPart::alternative()
                                .singlepart(SinglePart::plain(text))
                                .singlepart(SinglePart::html(html))
                                .singlepart(
                                    SinglePart::builder().header(calendar).body(ics.clone()),
                                ),
                        )
                        .singlepart(
                            Attachment::new("invite.ics".into())
                                .body(ics, ContentType::parse("application/ics")?),
                        )
                }
            })?)
    }

    async fn transmit(&self, id: Uuid, email: Message) -> Result<(), String> {
        match &self.transport {
            Transport::Smtp(t) => t.send(email).await.map(|_| ()).map_err(|e| e.to_string()),
            Transport::File(dir) => write_eml(&dir.join(format!("{id}.eml")), &email.formatted())
                .await
                .map_err(|e| e.to_string()),
        }
    }

    async fn send(&self, id: Uuid) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        // One connection of the background pool, from reading the row to
        // marking it sent: with it in hand, the mark follows the transport
        // at once, never after a wait for a free connection, which keeps
        // short the window in which a crash makes a duplicate. (Pages are
        // unaffected: they have a pool of their own.)
        let mut conn = self.pool.acquire().await?;
        let Some(msg) = outbox::find(&mut conn, id).await? else {
            // Nothing to send: the row is gone (it never committed).
            return Ok(());
        };
        if msg.sent_at.is_some() || msg.cancelled_at.is_some() {
            // A retried job after a send that succeeded (never send twice),
            // or a mail cancelled while it waited.
            return Ok(());
        }
        let sent = match self.build(&msg) {
            Ok(email) => self.transmit(id, email).await,
            // A bad address will not get better, but it is recorded like any
            // failure so the Outbox page shows why the message is stuck.
            Err(e) => Err(e.to_string()),
        };
        outbox::record_attempt(&mut conn, id, sent.as_ref().err().map(String::as_str)).await?;
        drop(conn);
        let outcome = if sent.is_ok() { "sent" } else { "failed" };
        metrics::counter!("jobs_total", "queue" => jobs::MAIL_QUEUE, "outcome" => outcome)
            .increment(1);
        sent.map_err(Into::into)
    }
}

/// Writes one message, readable by the app's user only: it holds the
/// working link. A repeat (a retry after a crash) overwrites the same file.
/// Written beside it and then renamed, so whoever reads the directory
/// never finds a message half written (a test read one, and failed to
/// parse it).
async fn write_eml(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt as _;
    let part = path.with_extension("eml.part");
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&part).await?;
    file.write_all(bytes).await?;
    file.flush().await?;
    tokio::fs::rename(&part, path).await
}

impl jobs::Mailer for Delivery {
    async fn deliver(
        &self,
        outbox_id: Uuid,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.send(outbox_id).await
    }
}
