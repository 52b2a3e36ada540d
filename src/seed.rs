//! `seed-demo`: a demo organisation to try the app with. Idempotent: it
//! adds what is missing and leaves what exists (passwords included) alone.

use crate::BoxError;
use crate::auth::password;
use crate::domain::access::Role;
use crate::domain::activity::audit::Actor;
use crate::domain::approval::SubjectKind;
use crate::domain::approval::workflow::{self, StepForm, WorkflowForm};
use crate::domain::approval::{self, Decision, TaskId};
use crate::domain::org::user::{self, Email, UserFields};
use crate::domain::org::{self, DepartmentFields, LevelFields};
use crate::domain::recruiting::application::{self, Who};
use crate::domain::recruiting::candidate::{self, CandidateFields, Source};
use crate::domain::recruiting::stage::{self, StageKind};
use crate::domain::requisition::form::RequirementFields;
use crate::domain::requisition::lifecycle::{self, Action};
use crate::domain::requisition::opening;
use crate::domain::requisition::requirement::{self, RequirementId};
use crate::mail::MailRenderer;
use sqlx::PgPool;
use uuid::Uuid;

pub const DEMO_DOMAIN: &str = "demo.hiringhare.test";

const PEOPLE: [(Role, &str); 7] = [
    (Role::SuperAdmin, "Sasha Sterling"),
    (Role::Admin, "Alex Morgan"),
    (Role::HiringManager, "Harper Lee"),
    (Role::Approver, "Avery Quinn"),
    (Role::Recruiter, "Riley Chen"),
    (Role::Interviewer, "Ivan Petrov"),
    (Role::Viewer, "Vera Olsen"),
];

/// (name, parent, head's role)
const DEPARTMENTS: [(&str, Option<&str>, Role); 6] = [
    ("Engineering", None, Role::Approver),
    ("Platform", Some("Engineering"), Role::HiringManager),
    ("Mobile", Some("Engineering"), Role::HiringManager),
    ("Product", None, Role::Approver),
    ("Finance", None, Role::Admin),
    ("People", None, Role::Recruiter),
];

/// (name, rank, band min, band max) in EUR.
const LEVELS: [(&str, i32, i64, i64); 6] = [
    ("Junior", 1, 42_000, 55_000),
    ("Intermediate", 2, 52_000, 68_000),
    ("Senior", 3, 65_000, 88_000),
    ("Staff", 4, 85_000, 110_000),
    ("Principal", 5, 105_000, 140_000),
    ("Director", 6, 130_000, 180_000),
];

pub async fn demo(pool: &PgPool, mail: &MailRenderer) -> Result<(), BoxError> {
    let (demo_password, generated) = match std::env::var("HH_DEMO_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (generate_password(), true),
    };
    let mut tx = pool.begin().await?;
    let actor = Actor::system();
    let mut hash = None;
    let mut created = Vec::new();
    let mut ids = Vec::new();
    for (role, name) in PEOPLE {
        let email = Email::parse(&format!("{}@{DEMO_DOMAIN}", role.as_str()))?;
        if let Some(account) = user::credentials(&mut tx, email.as_str()).await? {
            ids.push((role, account.id));
            continue;
        }
        crate::domain::org::password_policy::check_policy(&demo_password, email.as_str())
            .map_err(|e| format!("HH_DEMO_PASSWORD: {e}"))?;
        if hash.is_none() {
            hash = Some(password::hash(demo_password.clone()).await?);
        }
        let fields = UserFields {
            email: email.clone(),
            full_name: name.into(),
            roles: vec![role],
            department_id: None,
            manager_id: None,
            time_zone: "Europe/Berlin".into(),
        };
        let id = user::create(&mut tx, &actor, &fields, hash.as_deref()).await?;
        ids.push((role, id));
        created.push(email);
    }
    let id_of = |role: Role| ids.iter().find(|(r, _)| *r == role).map(|(_, id)| *id);

    let existing = org::departments(&mut tx).await?;
    let mut dept_ids: Vec<(String, Uuid)> =
        existing.iter().map(|d| (d.name.clone(), d.id)).collect();
    for (name, parent, head) in DEPARTMENTS {
        if dept_ids.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            continue;
        }
        let parent_id =
            parent.and_then(|p| dept_ids.iter().find(|(n, _)| *n == p).map(|(_, id)| *id));
        let fields = DepartmentFields {
            name: name.into(),
            parent_id,
            head_id: id_of(head),
        };
        let id = org::create_department(&mut tx, &actor, &fields).await?;
        dept_ids.push((name.to_owned(), id));
    }

    let existing_levels = org::levels(&mut tx).await?;
    for (name, rank, min, max) in LEVELS {
        if existing_levels
            .iter()
            .any(|l| l.name.eq_ignore_ascii_case(name))
        {
            continue;
        }
        let fields = LevelFields {
            name: name.into(),
            rank,
            salary_min: min,
            salary_max: max,
            currency: "EUR".into(),
        };
        org::create_level(&mut tx, &actor, &fields).await?;
    }

    // The hiring manager reports to the approver, who heads Engineering.
    if let (Some(hm), Some(approver), Some(eng)) = (
        id_of(Role::HiringManager),
        id_of(Role::Approver),
        dept_ids
            .iter()
            .find(|(n, _)| n == "Platform")
            .map(|(_, id)| *id),
    ) {
        sqlx::query("update users set manager_id = $2, department_id = $3 where id = $1 and manager_id is null")
            .bind(hm)
            .bind(approver)
            .bind(eng)
            .execute(&mut *tx)
            .await?;
    }
    above_band_workflow(&mut tx, &actor).await?;
    requirements(&mut tx, mail, &id_of, &dept_ids).await?;
    tx.commit().await?;
    crate::nudge::send(pool).await?;

    if created.is_empty() {
        println!("The demo organisation is complete already; nothing changed.");
        return Ok(());
    }
    println!("Demo users created (one per role):");
    for email in &created {
        println!("    {}", email.as_str());
    }
    if generated {
        println!(
            "Their password (shown only now; set HH_DEMO_PASSWORD to choose it): {demo_password}"
        );
    } else {
        println!("Their password is the one in HH_DEMO_PASSWORD.");
    }
    println!("Sign in as admin@{DEMO_DOMAIN} to manage users, departments and job levels.");
    Ok(())
}

/// Salaries above the level's band need an executive too, for a
/// requirement and for an offer: the default's two steps, then the super
/// admin. Made through the workflow engine, so it has its first version on
/// record like one made on the admin pages.
async fn above_band_workflow(conn: &mut sqlx::PgConnection, actor: &Actor) -> Result<(), BoxError> {
    for subject in [SubjectKind::Requirement, SubjectKind::Offer] {
        above_band_workflow_of(&mut *conn, actor, subject).await?;
    }
    Ok(())
}

async fn above_band_workflow_of(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    subject: SubjectKind,
) -> Result<(), BoxError> {
    const NAME: &str = "Above the band";
    let existing = workflow::list(&mut *conn, subject, false).await?;
    if existing.iter().any(|w| w.name == NAME) {
        return Ok(());
    }
    let step = |name: &str, kind: &str, role: &str| StepForm {
        name: name.into(),
        approver_kind: kind.into(),
        approver_role: role.into(),
        ..StepForm::blank()
    };
    let mut form = WorkflowForm {
        name: NAME.into(),
        above_band: "true".into(),
        steps: vec![
            step("Department head", "department_head", ""),
            step("Finance", "role", Role::Approver.as_str()),
            step("Executive", "role", Role::SuperAdmin.as_str()),
        ],
        ..WorkflowForm::default()
    };
    workflow::create(conn, actor, subject, &mut form).await?;
    Ok(())
}

/// (title, department, status to reach) for the demo requirements: at
/// least one in every state.
const REQUIREMENTS: [(&str, &str, &str); 10] = [
    ("Backend engineer", "Platform", "draft"),
    ("Product designer", "Product", "pending_approval"),
    ("iOS developer", "Mobile", "pending_approval"),
    ("Android developer", "Mobile", "changes_requested"),
    ("Office manager", "Finance", "rejected"),
    ("Site reliability engineer", "Platform", "approved"),
    ("Data analyst", "Product", "open"),
    ("QA engineer", "Mobile", "on_hold"),
    ("Financial controller", "Finance", "filled"),
    ("Payroll specialist", "Finance", "cancelled"),
];

/// Who the demo's filled requirement hired.
const HIRES: [&str; 3] = ["Mina Okoro", "Tomás Reyes", "Lea Vogel"];

/// A few requirements in different states, taken there through the same
/// domain functions a person's clicks use. Only when there are none yet.
async fn requirements(
    conn: &mut sqlx::PgConnection,
    mail: &MailRenderer,
    id_of: &dyn Fn(Role) -> Option<Uuid>,
    departments: &[(String, Uuid)],
) -> Result<(), BoxError> {
    let existing: i64 = sqlx::query_scalar("select count(*) from requirements")
        .fetch_one(&mut *conn)
        .await?;
    let (Some(hm), Some(approver), true) = (
        id_of(Role::HiringManager),
        id_of(Role::Approver),
        existing == 0,
    ) else {
        return Ok(());
    };
    let level: Uuid = sqlx::query_scalar("select id from job_levels where name = 'Senior'")
        .fetch_one(&mut *conn)
        .await?;
    let as_hm = Actor {
        user_id: Some(hm),
        ..Actor::system()
    };
    let as_approver = Actor {
        user_id: Some(approver),
        ..Actor::system()
    };
    for (title, department, target) in REQUIREMENTS {
        let Some((_, department_id)) = departments.iter().find(|(n, _)| n == department) else {
            continue;
        };
        let fields = RequirementFields {
            title: title.into(),
            department_id: *department_id,
            job_level_id: level,
            hiring_manager_id: hm,
            recruiter_id: id_of(Role::Recruiter),
            headcount: 1 + (title.len() % 3) as i32,
            employment_type: "full_time".into(),
            location: "Berlin".into(),
            remote_policy: "hybrid".into(),
            salary_min: 68_000,
            salary_max: 84_000,
            currency: "EUR".into(),
            reason: "new".into(),
            replaces: String::new(),
            target_start: None,
            priority: "normal".into(),
            description: format!(
                "We are looking for a **{title}** to join the team.\n\n- Work with a friendly team\n- Ship often"
            ),
            skills: vec!["Communication".into()],
            confidential: false,
        };
        let id = requirement::create(&mut *conn, &as_hm, &fields).await?;
        if target == "draft" {
            continue;
        }
        if target == "cancelled" {
            lifecycle::apply(
                &mut *conn,
                &as_hm,
                lifecycle::Asker::App,
                id,
                1,
                Action::Cancel,
                "Budget moved to next year",
            )
            .await?;
            continue;
        }
        crate::domain::requisition::approval_subject::submit(
            &mut *conn,
            &as_hm,
            lifecycle::Asker::App,
            mail,
            id,
            1,
            Action::Submit,
        )
        .await?;
        // Decide every task waiting on it, as its approver, until approved
        // (or, for the requirements that stop on the way, the first one as
        // they need).
        let stop_at = match target {
            "pending_approval" => continue,
            "changes_requested" => {
                Some((Decision::RequestChanges, "Please add the on-call duties"))
            }
            "rejected" => Some((Decision::Reject, "No budget for this role this year")),
            _ => None,
        };
        loop {
            let waiting: Vec<(TaskId, Uuid)> = sqlx::query_as(
                "select t.id, t.approver_id from approval_tasks t join approvals a on a.id = t.approval_id
                  where a.subject_type = 'requirement' and a.subject_id = $1 and t.status = 'pending'",
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
            let Some((task, who)) = waiting.first().copied() else {
                break;
            };
            let actor = Actor {
                user_id: Some(who),
                ..as_approver.clone()
            };
            let (decision, comment) = stop_at.unwrap_or((Decision::Approve, "Looks good"));
            approval::decide(&mut *conn, &actor, mail, task, decision, comment).await?;
            if stop_at.is_some() {
                break;
            }
        }
        if matches!(target, "changes_requested" | "rejected" | "approved") {
            continue;
        }
        let as_recruiter = Actor {
            user_id: id_of(Role::Recruiter),
            ..Actor::system()
        };
        act(&mut *conn, &as_hm, id, Action::Open).await?;
        match target {
            "on_hold" => act(&mut *conn, &as_recruiter, id, Action::Hold).await?,
            "filled" => {
                let openings = opening::of(&mut *conn, id).await?.len();
                for name in HIRES.iter().cycle().take(openings) {
                    hire(&mut *conn, mail, &as_recruiter, id, name).await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Adds `name` as a candidate of the requirement and hires them, as a
/// recruiter would on its board.
async fn hire(
    conn: &mut sqlx::PgConnection,
    mail: &MailRenderer,
    recruiter: &Actor,
    requirement: RequirementId,
    name: &str,
) -> Result<(), BoxError> {
    let who = Who {
        actor: recruiter,
        user: recruiter.user_id.ok_or("the demo has a recruiter")?,
        roles: &[Role::Recruiter],
    };
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let fields = CandidateFields {
        full_name: name.to_owned(),
        emails: vec![Email::parse(&email)?],
        phone: String::new(),
        location: String::new(),
        links: Vec::new(),
        source: Source::Sourced,
        referrer_id: None,
        source_detail: String::new(),
        tags: Vec::new(),
        skills: Vec::new(),
        owner_id: recruiter.user_id,
        consent: true,
        consent_until: None,
    };
    let person = candidate::add(&mut *conn, recruiter, &fields).await?.id();
    let a = application::add(&mut *conn, who, mail, person, requirement, Source::Sourced).await?;
    let hired = stage::pipeline(&mut *conn, requirement)
        .await?
        .into_iter()
        .find(|s| s.kind == StageKind::Hired)
        .ok_or("a pipeline has a hired stage")?;
    let a = application::lock(&mut *conn, who, a).await?;
    application::move_to(&mut *conn, who, mail, &a, a.stage_id, hired.id).await?;
    Ok(())
}

/// Takes the requirement on by `action`, at its current version.
async fn act(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    id: RequirementId,
    action: Action,
) -> Result<(), BoxError> {
    let version: i32 = sqlx::query_scalar("select version from requirements where id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    lifecycle::apply(conn, actor, lifecycle::Asker::App, id, version, action, "").await?;
    Ok(())
}

/// Four random words from a small list plus digits: easy to type, well
/// above the policy's minimum.
fn generate_password() -> String {
    const WORDS: [&str; 32] = [
        "amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "iris", "juniper",
        "kestrel", "lagoon", "meadow", "nectar", "orchid", "pebble", "quartz", "raven", "sable",
        "tundra", "umber", "velvet", "willow", "yarrow", "zephyr", "copper", "maple", "otter",
        "heron", "lumen", "prairie", "cobalt",
    ];
    let words: Vec<&str> = (0..4)
        .map(|_| WORDS[rand::random_range(0..WORDS.len())])
        .collect();
    format!("{}-{}", words.join("-"), rand::random_range(10..100))
}
