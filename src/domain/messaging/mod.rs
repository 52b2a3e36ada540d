//! Mail as the domain sees it: the outbox a change writes its messages into,
//! and [`Letters`], through which it asks for a message without knowing how
//! one is written (the mail module implements it with its templates).

pub mod outbox;

use crate::domain::approval::subject::About;
use outbox::Mail;
use uuid::Uuid;

/// A letter that could not be written (a template failed to render).
#[derive(Debug, thiserror::Error)]
#[error("the letter could not be written: {0}")]
pub struct LetterError(pub Box<dyn std::error::Error + Send + Sync>);

/// One method per letter the domain sends; each returns the message for
/// the outbox, its links' tokens already sealed.
pub trait Letters: Send + Sync {
    /// The key (from `SECRET_KEY`) under which the tokens these letters carry
    /// are digested where they are stored, so the domain can issue and check
    /// them.
    fn token_key(&self) -> &[u8];

    /// A local path as a link in mail (and in calendar objects): what the
    /// delivering process makes a full address.
    fn link(&self, path: &str) -> String;

    /// Who sends interview invitations (the iCalendar ORGANIZER): the
    /// scheduling address, where replies go.
    fn organizer(&self) -> crate::domain::interviewing::calendar::Person;

    /// An interview invitation (or its update, or cancellation) to one
    /// panel member or the candidate, with its calendar object.
    fn interview(
        &self,
        to: &str,
        name: &str,
        invitation: &crate::domain::interviewing::schedule::Invitation,
    ) -> Result<Mail, LetterError>;

    /// To an approver whose step has started; `token` opens the approval
    /// page once without a password.
    fn approval_pending(
        &self,
        to: &str,
        name: &str,
        s: &About,
        task: Uuid,
        token: &str,
    ) -> Result<Mail, LetterError>;

    /// To the approver past the SLA, or (escalation) to their manager and
    /// the admins after a second SLA.
    #[allow(clippy::too_many_arguments)] // one field per fact the mail states
    fn approval_overdue(
        &self,
        to: &str,
        name: &str,
        s: &About,
        task: Uuid,
        approver: &str,
        escalation: bool,
        days: i64,
    ) -> Result<Mail, LetterError>;

    /// To the requester, on each decision on their subject.
    fn approval_decided(
        &self,
        to: &str,
        name: &str,
        s: &About,
        outcome: &str,
        comment: &str,
        by: &str,
    ) -> Result<Mail, LetterError>;

    /// Notifications by mail: one at once (`digest` false), or the day's in
    /// the daily digest. `items` are (text, local path).
    fn notices(
        &self,
        to: &str,
        name: &str,
        items: &[(String, String)],
        digest: bool,
    ) -> Result<Mail, LetterError>;

    /// An invitation to set a password and sign in.
    fn invitation(
        &self,
        to: &str,
        name: &str,
        inviter: &str,
        token: &str,
    ) -> Result<Mail, LetterError>;

    /// A password reset link.
    fn password_reset(&self, to: &str, name: &str, token: &str) -> Result<Mail, LetterError>;

    /// To the address an account had before an admin changed it.
    fn email_changed(&self, to: &str, name: &str, new_email: &str) -> Result<Mail, LetterError>;

    /// To a candidate who applied for `job` on the careers site: it
    /// arrived.
    fn application_received(
        &self,
        to: &str,
        name: &str,
        job: &str,
        company: &str,
    ) -> Result<Mail, LetterError>;

    /// To a candidate whose application for `job` ended: we rejected them,
    /// or (`withdrawn`) they withdrew.
    fn rejection(
        &self,
        to: &str,
        name: &str,
        job: &str,
        withdrawn: bool,
    ) -> Result<Mail, LetterError>;

    /// To a candidate whose consent to be kept lapses on `until`: a link
    /// to renew it.
    fn consent_renewal(
        &self,
        to: &str,
        name: &str,
        company: &str,
        until: chrono::NaiveDate,
        token: &str,
    ) -> Result<Mail, LetterError>;

    /// To a candidate: their offer for `job` (or, with `reminder`, word
    /// that it expires soon), with a link to read and answer it.
    #[allow(clippy::too_many_arguments)] // the letter's parts
    fn offer(
        &self,
        to: &str,
        name: &str,
        job: &str,
        company: &str,
        expires: chrono::NaiveDate,
        token: &str,
        reminder: bool,
    ) -> Result<Mail, LetterError>;

    /// To a candidate who answered their offer: it is recorded.
    fn offer_answered(
        &self,
        to: &str,
        name: &str,
        job: &str,
        company: &str,
        accepted: bool,
        start: chrono::NaiveDate,
    ) -> Result<Mail, LetterError>;

    /// To a candidate whose sent offer was withdrawn.
    fn offer_withdrawn(
        &self,
        to: &str,
        name: &str,
        job: &str,
        company: &str,
    ) -> Result<Mail, LetterError>;

    /// To whoever asked on the "your data" page: a link (valid a day) to
    /// what is held about them, or (`held` None) that nothing is.
    fn your_data(
        &self,
        to: &str,
        company: &str,
        held: Option<(&str, &str)>,
    ) -> Result<Mail, LetterError>;
}
