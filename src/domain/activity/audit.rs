//! The audit trail: who did what to which entity, with the fields' values
//! before and after, written in the transaction of the change itself.

use crate::domain::approval::SubjectKind;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgConnection;
use std::collections::BTreeMap;
use std::net::IpAddr;
use uuid::Uuid;

/// What an audit row is about. Every kind written is here, so the audit
/// page's filter offers each of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Requirement,
    Opening,
    Offer,
    ApprovalTask,
    ApprovalWorkflow,
    Comment,
    User,
    Department,
    JobLevel,
    Candidate,
    Application,
    PipelineStage,
    RejectionReason,
    CareersSettings,
    PrivacySettings,
    Interview,
    Scorecard,
    OfferLetter,
    OnboardingTemplate,
    OnboardingTask,
}

impl Entity {
    pub const ALL: [Entity; 20] = [
        Entity::Requirement,
        Entity::Opening,
        Entity::Offer,
        Entity::ApprovalTask,
        Entity::ApprovalWorkflow,
        Entity::Comment,
        Entity::User,
        Entity::Department,
        Entity::JobLevel,
        Entity::Candidate,
        Entity::Application,
        Entity::PipelineStage,
        Entity::RejectionReason,
        Entity::CareersSettings,
        Entity::PrivacySettings,
        Entity::Interview,
        Entity::Scorecard,
        Entity::OfferLetter,
        Entity::OnboardingTemplate,
        Entity::OnboardingTask,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Requirement => "requirement",
            Entity::Opening => "opening",
            Entity::Offer => "offer",
            Entity::ApprovalTask => "approval_task",
            Entity::ApprovalWorkflow => "approval_workflow",
            Entity::Comment => "comment",
            Entity::User => "user",
            Entity::Department => "department",
            Entity::JobLevel => "job_level",
            Entity::Candidate => "candidate",
            Entity::Application => "application",
            Entity::PipelineStage => "pipeline_stage",
            Entity::RejectionReason => "rejection_reason",
            Entity::CareersSettings => "careers_settings",
            Entity::PrivacySettings => "privacy_settings",
            Entity::Interview => "interview",
            Entity::Scorecard => "scorecard",
            Entity::OfferLetter => "offer_letter",
            Entity::OnboardingTemplate => "onboarding_template",
            Entity::OnboardingTask => "onboarding_task",
        }
    }

    pub fn parse(s: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

crate::text_enum!(Entity);

/// The subject of an approval step is audited as itself.
impl From<SubjectKind> for Entity {
    fn from(kind: SubjectKind) -> Self {
        match kind {
            SubjectKind::Requirement => Entity::Requirement,
            SubjectKind::Offer => Entity::Offer,
            SubjectKind::Candidate => Entity::Candidate,
        }
    }
}

/// The person (and request) behind a change.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// None for changes nobody signed in made (a password reset by token).
    pub user_id: Option<Uuid>,
    /// Set when acting as someone's delegate.
    pub on_behalf_of: Option<Uuid>,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    /// Changes made by the application itself (command line, jobs).
    pub fn system() -> Self {
        Actor::default()
    }
}

/// The fields a change touched: `{"field": {"before": x, "after": y}}`.
#[derive(Debug, Default, Serialize)]
pub struct Changes(BTreeMap<&'static str, Value>);

impl Changes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the field only if its value changed.
    pub fn field<T: Serialize + PartialEq>(
        mut self,
        name: &'static str,
        before: &T,
        after: &T,
    ) -> Self {
        if before != after {
            self.0
                .insert(name, json!({ "before": before, "after": after }));
        }
        self
    }

    /// A field of a new entity (nothing before).
    pub fn created<T: Serialize>(mut self, name: &'static str, value: &T) -> Self {
        self.0
            .insert(name, json!({ "before": null, "after": value }));
        self
    }

    /// A field holding a candidate's personal data (their name, contacts,
    /// what is said about them): the log records that it changed, never
    /// its values, so anonymising the person leaves nothing of them in a
    /// log that refuses updates.
    pub fn personal(mut self, name: &'static str, changed: bool) -> Self {
        if changed {
            self.0.insert(name, json!({ "personal": true }));
        }
        self
    }
}

/// How a log entry shows a value it did not keep (see [`Changes::personal`]).
pub const NOT_KEPT: &str = "(personal data, not kept in the log)";

/// Whether a recorded change is one of [`Changes::personal`]'s.
pub fn is_personal(change: &Value) -> bool {
    change.get("personal").is_some()
}

/// Defines [`Action`]: each variant and the text the audit log keeps.
macro_rules! actions {
    ($($variant:ident = $text:literal,)*) => {
        /// What an audit row says was done, written `<thing>.<what>`: every
        /// action the app records is one of these.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            pub const ALL: &[Action] = &[$(Action::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Action::$variant => $text,)*
                }
            }
        }
    };
}

actions! {
    UserSignedIn = "user.signed_in",
    UserSignedOut = "user.signed_out",
    UserCreated = "user.created",
    UserUpdated = "user.updated",
    UserProfileUpdated = "user.profile_updated",
    UserPasswordChanged = "user.password_changed",
    UserDelegationSet = "user.delegation_set",
    UserDeactivated = "user.deactivated",
    UserReactivated = "user.reactivated",
    UserPasswordResetSent = "user.password_reset_sent",
    UserInvitationSent = "user.invitation_sent",
    DepartmentCreated = "department.created",
    DepartmentUpdated = "department.updated",
    DepartmentArchived = "department.archived",
    JobLevelCreated = "job_level.created",
    JobLevelUpdated = "job_level.updated",
    JobLevelArchived = "job_level.archived",
    RequirementCreated = "requirement.created",
    RequirementUpdated = "requirement.updated",
    RequirementDeleted = "requirement.deleted",
    RequirementSubmitted = "requirement.submit",
    RequirementApproved = "requirement.approve",
    RequirementRejected = "requirement.reject",
    RequirementChangesRequested = "requirement.request_changes",
    RequirementOpened = "requirement.open",
    RequirementHeld = "requirement.hold",
    RequirementResumed = "requirement.resume",
    RequirementCancelled = "requirement.cancel",
    RequirementFilled = "requirement.fill",
    RequirementChangeSubmitted = "requirement.submit_change",
    RequirementChangeDeclined = "requirement.decline_change",
    OpeningFilled = "opening.filled",
    OpeningClosed = "opening.closed",
    CommentCreated = "comment.created",
    CommentEdited = "comment.edited",
    CommentDeleted = "comment.deleted",
    ApprovalApproved = "approval.approved",
    ApprovalRejected = "approval.rejected",
    ApprovalChangesRequested = "approval.changes_requested",
    ApprovalStepSkipped = "approval.step_skipped",
    ApprovalStepPassedUp = "approval.step_passed_up",
    ApprovalStandInSkipped = "approval.stand_in_skipped",
    ApprovalReassigned = "approval.reassigned",
    ApprovalCancelled = "approval.cancelled",
    ApprovalReminder = "approval.reminder",
    ApprovalEscalation = "approval.escalation",
    WorkflowCreated = "workflow.created",
    WorkflowUpdated = "workflow.updated",
    WorkflowArchived = "workflow.archived",
    WorkflowMadeDefault = "workflow.made_default",
    RequirementPublished = "requirement.published",
    RequirementUnpublished = "requirement.unpublished",
    CareersSettingsUpdated = "careers_settings.updated",
    CandidateCreated = "candidate.created",
    CandidateUpdated = "candidate.updated",
    CandidateFileAdded = "candidate.file_added",
    CandidateMerged = "candidate.merged",
    CandidateMergedAway = "candidate.merged_away",
    CandidateSplit = "candidate.split",
    CandidateAnonymised = "candidate.anonymised",
    CandidateExported = "candidate.exported",
    CandidateHoldSet = "candidate.hold_set",
    CandidateConsentRenewed = "candidate.consent_renewed",
    CandidateConsentWithdrawn = "candidate.consent_withdrawn",
    CandidateDataRequested = "candidate.data_requested",
    PrivacySettingsUpdated = "privacy_settings.updated",
    ApplicationCreated = "application.created",
    ApplicationMoved = "application.moved",
    ApplicationRejected = "application.rejected",
    ApplicationUnrejected = "application.unrejected",
    ApplicationMailCancelled = "application.mail_cancelled",
    PipelineCopied = "pipeline.copied",
    StageAdded = "pipeline.stage_added",
    StageRenamed = "pipeline.stage_renamed",
    StageArchived = "pipeline.stage_archived",
    ReasonAdded = "pipeline.reason_added",
    ReasonRenamed = "pipeline.reason_renamed",
    ReasonArchived = "pipeline.reason_archived",
    InterviewScheduled = "interview.scheduled",
    InterviewChanged = "interview.changed",
    InterviewCancelled = "interview.cancelled",
    InterviewAnswered = "interview.answered",
    ScorecardSubmitted = "scorecard.submitted",
    ScorecardAmended = "scorecard.amended",
    CalendarFeedReset = "user.calendar_feed_reset",
    InterviewPlanSaved = "requirement.interview_plan_saved",
    OfferCreated = "offer.created",
    OfferChanged = "offer.changed",
    OfferSubmitted = "offer.submitted",
    OfferApproved = "offer.approved",
    OfferReturned = "offer.returned",
    OfferSent = "offer.sent",
    OfferAccepted = "offer.accepted",
    OfferDeclined = "offer.declined",
    OfferExpired = "offer.expired",
    OfferWithdrawn = "offer.withdrawn",
    OfferLetterSaved = "offer_letter.saved",
    OnboardingTemplateSaved = "onboarding_template.saved",
    OnboardingStarted = "onboarding.started",
    OnboardingTaskDone = "onboarding_task.done",
    OnboardingTaskReopened = "onboarding_task.reopened",
}

pub async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    action: Action,
    entity: Entity,
    entity_id: Option<Uuid>,
    changes: Changes,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into audit_logs (actor_id, on_behalf_of_id, action, entity_type, entity_id, changes, ip, user_agent, request_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(actor.user_id)
    .bind(actor.on_behalf_of)
    .bind(action.as_str())
    .bind(entity)
    .bind(entity_id)
    .bind(sqlx::types::Json(&changes))
    .bind(actor.ip)
    .bind(actor.user_agent.as_deref())
    .bind(actor.request_id.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// One row as the audit pages show it.
#[derive(Debug, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_name: Option<String>,
    pub on_behalf_of_name: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub changes: sqlx::types::Json<BTreeMap<String, Value>>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl Entry {
    /// `(field, before, after)` for display.
    pub fn changed_fields(&self) -> Vec<(String, String, String)> {
        self.changes
            .0
            .iter()
            .map(|(k, v)| {
                let after = if is_personal(v) {
                    NOT_KEPT.to_owned()
                } else {
                    show(v.get("after"))
                };
                (k.clone(), show(v.get("before")), after)
            })
            .collect()
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Filters of the admin audit search; every one optional.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Search {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub entity_type: String,
    #[serde(default)]
    pub entity_id: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// Keyset pagination: rows with a smaller id than this.
    pub before: Option<i64>,
}

pub const PAGE_SIZE: i64 = 50;

/// The select shared by the audit queries (a macro so `concat!` can build
/// `&'static str` SQL from it).
macro_rules! entry_select {
    () => {
        "select a.id, a.at, actor.full_name as actor_name, behalf.full_name as on_behalf_of_name,
        a.action, a.entity_type, a.entity_id, a.changes, host(a.ip) as ip, a.user_agent, a.request_id
   from audit_logs a
   left join users actor on actor.id = a.actor_id
   left join users behalf on behalf.id = a.on_behalf_of_id "
    };
}

/// Newest first, one page (plus one row to tell whether more exist).
pub async fn search(conn: &mut PgConnection, s: &Search) -> Result<Vec<Entry>, sqlx::Error> {
    // PostgreSQL refuses NUL in text; in a filter it can only be noise.
    let opt = |v: &str| Some(v.replace('\0', "").trim().to_owned()).filter(|v| !v.is_empty());
    let date = |v: &str| chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
    let sql = concat!(
        entry_select!(),
        "where ($1::text is null or actor.email ilike '%' || $1 || '%' or actor.full_name ilike '%' || $1 || '%')
           and ($2::text is null or a.action like $2 || '%')
           and ($3::text is null or a.entity_type = $3)
           and ($4::uuid is null or a.entity_id = $4)
           and ($5::date is null or a.at >= $5)
           and ($6::date is null or a.at < $6 + 1)
           and ($7::bigint is null or a.id < $7)
         order by a.id desc limit $8"
    );
    let pattern = |v: &str| opt(v).map(|v| crate::domain::kernel::like_escaped(&v));
    sqlx::query_as(sql)
        .bind(pattern(&s.actor))
        .bind(pattern(&s.action))
        .bind(opt(&s.entity_type))
        .bind(s.entity_id.trim().parse::<Uuid>().ok())
        .bind(date(&s.from))
        .bind(date(&s.to))
        .bind(s.before)
        .bind(PAGE_SIZE + 1)
        .fetch_all(conn)
        .await
}

/// The changes made to an entity after `version` (recorded by updates that
/// bump it), for the conflict page of a stale edit.
pub async fn changes_since(
    conn: &mut PgConnection,
    entity: Entity,
    entity_id: Uuid,
    key: &str,
    version: i32,
) -> Result<Vec<Entry>, sqlx::Error> {
    let sql = concat!(
        entry_select!(),
        "where a.entity_type = $1 and a.entity_id = $2
           and coalesce((a.changes -> $4 ->> 'after')::int, 0) > $3
         order by a.id"
    );
    sqlx::query_as(sql)
        .bind(entity.as_str())
        .bind(entity_id)
        .bind(version)
        .bind(key)
        .fetch_all(conn)
        .await
}
