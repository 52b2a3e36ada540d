//! Two records of one person made one. The recruiter picks, field by
//! field, whose value stays; both records' addresses, links, tags and
//! skills are kept, and their applications, files and comments move to the
//! record kept. The merge remembers what it moved and overwrote, so it can
//! be split back exactly while neither record has changed since.

use super::candidate::{self, Candidate, CandidateId};
use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes, Entity};
use crate::domain::id::Id;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Whose value a field keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pick {
    #[default]
    Kept,
    Merged,
}

impl Pick {
    fn parse(s: &str) -> Pick {
        if s == "merged" {
            Pick::Merged
        } else {
            Pick::Kept
        }
    }
}

/// The merge form as posted: the other record, the pick of each field
/// ("kept" or "merged") and both records' versions as the preview showed
/// them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MergeForm {
    pub with: String,
    pub full_name: String,
    pub phone: String,
    pub location: String,
    pub source: String,
    pub owner: String,
    pub consent: String,
    pub kept_version: i32,
    pub merged_version: i32,
}

/// The picks of the fields only one value can stay in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Picks {
    pub full_name: Pick,
    pub phone: Pick,
    pub location: Pick,
    /// Source, referrer and its detail, together.
    pub source: Pick,
    pub owner: Pick,
    /// Given at and until, together.
    pub consent: Pick,
}

impl MergeForm {
    pub fn picks(&self) -> Picks {
        Picks {
            full_name: Pick::parse(&self.full_name),
            phone: Pick::parse(&self.phone),
            location: Pick::parse(&self.location),
            source: Pick::parse(&self.source),
            owner: Pick::parse(&self.owner),
            consent: Pick::parse(&self.consent),
        }
    }
}

/// The record as the merge would leave it: the picked values, and both
/// records' lists together (each value once, ignoring case).
pub fn preview(kept: &Candidate, merged: &Candidate, p: Picks) -> Candidate {
    let of = |pick: Pick| if pick == Pick::Merged { merged } else { kept };
    let mut c = kept.clone();
    c.full_name = of(p.full_name).full_name.clone();
    c.phone = of(p.phone).phone.clone();
    c.location = of(p.location).location.clone();
    let source = of(p.source);
    c.source = source.source;
    c.referrer_id = source.referrer_id;
    c.referrer_name = source.referrer_name.clone();
    c.source_detail = source.source_detail.clone();
    let owner = of(p.owner);
    c.owner_id = owner.owner_id;
    c.owner_name = owner.owner_name.clone();
    let consent = of(p.consent);
    c.consent_given_at = consent.consent_given_at;
    c.consent_until = consent.consent_until;
    c.emails = union(&kept.emails, &merged.emails);
    c.links = union(&kept.links, &merged.links);
    c.tags = union(&kept.tags, &merged.tags);
    c.skills = union(&kept.skills, &merged.skills);
    c
}

fn union(a: &[String], b: &[String]) -> Vec<String> {
    let mut all = a.to_vec();
    for v in b {
        if !all.iter().any(|x| x.to_lowercase() == v.to_lowercase()) {
            all.push(v.clone());
        }
    }
    all
}

/// A requirement both records are in the pipeline of. A person holds one
/// application per requirement: the other record's stays with it, hidden
/// (`applications.hidden`), when it has ended; while it is active, the
/// merge waits.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Shared {
    pub requirement: String,
    /// The other record's application there is still in the pipeline.
    pub active: bool,
}

pub async fn shared(
    conn: &mut PgConnection,
    kept: CandidateId,
    merged: CandidateId,
) -> Result<Vec<Shared>, sqlx::Error> {
    sqlx::query_as(
        "select r.reference || ' ' || r.title as requirement, s.kind not in ('rejected', 'withdrawn') as active
           from applications m
           join applications k on k.requirement_id = m.requirement_id and k.candidate_id = $1
           join requirements r on r.id = m.requirement_id
           join pipeline_stages s on s.id = m.stage_id
          where m.candidate_id = $2
          order by r.reference",
    )
    .bind(kept)
    .bind(merged)
    .fetch_all(conn)
    .await
}

pub type MergeId = Id<Merge>;

/// A merge not split back, as the kept record's profile lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Merge {
    pub id: MergeId,
    pub merged_id: CandidateId,
    pub merged_name: String,
    pub by_name: Option<String>,
    pub at: DateTime<Utc>,
    /// Neither record changed since: it can be split back.
    pub can_split: bool,
}

/// The merges into `kept` that stand, newest first.
pub async fn into(conn: &mut PgConnection, kept: CandidateId) -> Result<Vec<Merge>, sqlx::Error> {
    sqlx::query_as(
        "select m.id, m.merged_id, c.full_name as merged_name, u.full_name as by_name, m.merged_at as at,
                (k.version = m.kept_version and c.version = m.merged_version) as can_split
           from candidate_merges m
           join candidates k on k.id = m.kept_id
           join candidates c on c.id = m.merged_id
           left join users u on u.id = m.merged_by
          where m.kept_id = $1 and m.split_at is null
          order by m.merged_at desc",
    )
    .bind(kept)
    .fetch_all(conn)
    .await
}

/// Locks both records (in id order, so two merges of the same pair wait
/// for each other instead of deadlocking) and checks each is at the
/// version given: otherwise who changed what since.
async fn lock_both(
    conn: &mut PgConnection,
    a: (CandidateId, i32),
    b: (CandidateId, i32),
    deleted_b: bool,
) -> Result<(), Error> {
    let rows: Vec<(CandidateId, i32, bool)> = sqlx::query_as(
        "select id, version, deleted_at is not null from candidates
          where id = any($1) order by id for update",
    )
    .bind([a.0.uuid(), b.0.uuid()])
    .fetch_all(&mut *conn)
    .await?;
    for (id, version) in [a, b] {
        let Some(&(_, now, deleted)) = rows.iter().find(|r| r.0 == id) else {
            return Err(Error::NotFound);
        };
        if deleted != (deleted_b && id == b.0) {
            return Err(Error::NotFound);
        }
        if now != version {
            return Err(Error::stale(conn, Entity::Candidate, id.uuid(), version).await);
        }
    }
    Ok(())
}

/// Merges `merged` into `kept` with the form's picks, both as the preview
/// showed them (their versions in the form). Returns the merge.
pub async fn merge(
    conn: &mut PgConnection,
    actor: &Actor,
    kept: &Candidate,
    merged: &Candidate,
    form: &MergeForm,
) -> Result<MergeId, Error> {
    if kept.id == merged.id {
        return Err(Error::field("with", "Choose another record to merge."));
    }
    lock_both(
        &mut *conn,
        (kept.id, form.kept_version),
        (merged.id, form.merged_version),
        false,
    )
    .await?;
    if let Some(s) = shared(&mut *conn, kept.id, merged.id)
        .await?
        .into_iter()
        .find(|s| s.active)
    {
        return Err(Error::refused(format!(
            "Both are in the pipeline of {}, and a person holds one application per requirement: \
             reject or withdraw {}'s application there first, then merge.",
            s.requirement, merged.full_name
        )));
    }
    let after = preview(kept, merged, form.picks());
    let id: MergeId = sqlx::query_scalar(
        "insert into candidate_merges (kept_id, merged_id, kept_before, moved_emails, moved_applications,
                                       moved_files, moved_comments, kept_version, merged_version, merged_by)
         select $1, $2, to_jsonb(c) - 'search', '{}', '{}', '{}', '{}', 0, 0, $3
           from candidates c where c.id = $1
         returning id",
    )
    .bind(kept.id)
    .bind(merged.id)
    .bind(actor.user_id)
    .fetch_one(&mut *conn)
    .await?;
    // What moves: every address; the applications to requirements the kept
    // record is not in; the files it does not hold already; every comment.
    sqlx::query(
        "with emails as (
            update candidate_emails set candidate_id = $2,
                   position = position + (select coalesce(max(position), 0) from candidate_emails where candidate_id = $2)
             where candidate_id = $3 returning email),
          apps as (
            update applications set candidate_id = $2
             where candidate_id = $3
               and requirement_id not in (select requirement_id from applications where candidate_id = $2)
            returning id),
          files as (
            update file_attachments set candidate_id = $2
             where candidate_id = $3 and deleted_at is null
               and sha256 not in (select sha256 from file_attachments where candidate_id = $2 and deleted_at is null)
            returning id),
          comments as (
            update comments set subject_id = $2
             where subject_type = 'candidate' and subject_id = $3 returning id),
          -- The ended applications it shared a requirement with stay, hidden.
          hidden as (
            update applications set hidden = true
             where candidate_id = $3
               and requirement_id in (select requirement_id from applications where candidate_id = $2))
         update candidate_merges set
                moved_emails = array(select email from emails),
                moved_applications = array(select id from apps),
                moved_files = array(select id from files),
                moved_comments = array(select id from comments)
          where id = $1",
    )
    .bind(id)
    .bind(kept.id)
    .bind(merged.id)
    .execute(&mut *conn)
    .await?;
    let (kept_version, merged_version): (i32, i32) = sqlx::query_as(
        "with k as (
            update candidates set full_name = $3, phone = $4, location = $5, links = $6, source = $7,
                   referrer_id = $8, source_detail = $9, tags = $10, skills = $11, owner_id = $12,
                   consent_given_at = $13, consent_until = $14, version = version + 1, updated_at = now()
             where id = $1 returning version),
          m as (
            update candidates set deleted_at = now(), merged_into = $1, version = version + 1, updated_at = now()
             where id = $2 returning version)
         select k.version, m.version from k, m",
    )
    .bind(kept.id)
    .bind(merged.id)
    .bind(&after.full_name)
    .bind(&after.phone)
    .bind(&after.location)
    .bind(&after.links)
    .bind(after.source)
    .bind(after.referrer_id)
    .bind(&after.source_detail)
    .bind(&after.tags)
    .bind(&after.skills)
    .bind(after.owner_id)
    .bind(after.consent_given_at)
    .bind(after.consent_until)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("update candidate_merges set kept_version = $2, merged_version = $3 where id = $1")
        .bind(id)
        .bind(kept_version)
        .bind(merged_version)
        .execute(&mut *conn)
        .await?;
    candidate::reindex(&mut *conn, kept.id).await?;
    let changes = Changes::new()
        .created("merged", &merged.id)
        .personal("full_name", kept.full_name != after.full_name)
        .personal("emails", kept.emails != after.emails)
        .personal("phone", kept.phone != after.phone)
        .personal("location", kept.location != after.location)
        .personal("links", kept.links != after.links)
        .field("source", &kept.source.as_str(), &after.source.as_str())
        .field("referrer_id", &kept.referrer_id, &after.referrer_id)
        .personal("source_detail", kept.source_detail != after.source_detail)
        .field("tags", &kept.tags, &after.tags)
        .field("skills", &kept.skills, &after.skills)
        .field("owner_id", &kept.owner_id, &after.owner_id)
        .field("consent_until", &kept.consent_until, &after.consent_until)
        .field("version", &form.kept_version, &kept_version);
    audit::record(
        &mut *conn,
        actor,
        audit::Action::CandidateMerged,
        Entity::Candidate,
        Some(kept.id.uuid()),
        changes,
    )
    .await?;
    audit::record(
        conn,
        actor,
        audit::Action::CandidateMergedAway,
        Entity::Candidate,
        Some(merged.id.uuid()),
        Changes::new().created("merged_into", &kept.id).field(
            "version",
            &form.merged_version,
            &merged_version,
        ),
    )
    .await?;
    Ok(id)
}

/// Splits merge `id` of `kept` back into the two records as they were
/// before it, while neither has changed since. Returns the record split
/// off.
pub async fn split(
    conn: &mut PgConnection,
    actor: &Actor,
    kept: CandidateId,
    id: MergeId,
) -> Result<CandidateId, Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        merged_id: CandidateId,
        kept_version: i32,
        merged_version: i32,
        split_at: Option<DateTime<Utc>>,
    }
    let m: Row = sqlx::query_as(
        "select merged_id, kept_version, merged_version, split_at from candidate_merges
          where id = $1 and kept_id = $2 for update",
    )
    .bind(id)
    .bind(kept)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::refused("This record has no such merge to split back."))?;
    if m.split_at.is_some() {
        return Err(Error::refused("This merge has been split back already."));
    }
    lock_both(
        &mut *conn,
        (kept, m.kept_version),
        (m.merged_id, m.merged_version),
        true,
    )
    .await?;
    sqlx::query(
        "with m as (select * from candidate_merges where id = $1),
          emails as (
            update candidate_emails e set candidate_id = m.merged_id from m
             where e.candidate_id = m.kept_id and e.email = any(m.moved_emails)),
          apps as (
            update applications a set candidate_id = m.merged_id from m where a.id = any(m.moved_applications)),
          files as (
            update file_attachments f set candidate_id = m.merged_id from m where f.id = any(m.moved_files)),
          comments as (
            update comments c set subject_id = m.merged_id from m where c.id = any(m.moved_comments)),
          kept as (
            update candidates c
               set (full_name, phone, location, links, source, referrer_id, source_detail, tags, skills,
                    owner_id, consent_given_at, consent_until)
                 = (select b.full_name, b.phone, b.location, b.links, b.source, b.referrer_id, b.source_detail,
                           b.tags, b.skills, b.owner_id, b.consent_given_at, b.consent_until
                      from jsonb_populate_record(null::candidates, m.kept_before) b),
                   version = c.version + 1, updated_at = now()
              from m where c.id = m.kept_id),
          merged as (
            update candidates c set deleted_at = null, merged_into = null, version = c.version + 1, updated_at = now()
              from m where c.id = m.merged_id),
          shown as (
            update applications a set hidden = false from m where a.candidate_id = m.merged_id and a.hidden)
         update candidate_merges set split_at = now(), split_by = $2 where id = $1",
    )
    .bind(id)
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await?;
    candidate::reindex(&mut *conn, kept).await?;
    candidate::reindex(&mut *conn, m.merged_id).await?;
    for (entity, other, version) in [
        (kept, m.merged_id, m.kept_version),
        (m.merged_id, kept, m.merged_version),
    ] {
        audit::record(
            &mut *conn,
            actor,
            audit::Action::CandidateSplit,
            Entity::Candidate,
            Some(entity.uuid()),
            Changes::new()
                .created("split_from", &other)
                .field("version", &version, &(version + 1)),
        )
        .await?;
    }
    Ok(m.merged_id)
}

/// The record a merged-away one became part of, if it was.
pub async fn merged_into(
    conn: &mut PgConnection,
    id: CandidateId,
) -> Result<Option<CandidateId>, sqlx::Error> {
    sqlx::query_scalar(
        "select merged_into from candidates where id = $1 and merged_into is not null",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Uuid of the record named by the form's `with`, if it reads as one.
pub fn other(form: &MergeForm) -> Option<CandidateId> {
    form.with.trim().parse::<Uuid>().ok().map(CandidateId::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recruiting::candidate::Source;

    fn person(name: &str, email: &str, tags: &[&str]) -> Candidate {
        Candidate {
            id: CandidateId::new(Uuid::new_v4()),
            full_name: name.into(),
            emails: vec![email.into()],
            phone: String::new(),
            location: String::new(),
            links: Vec::new(),
            source: Source::Sourced,
            referrer_id: None,
            referrer_name: None,
            source_detail: String::new(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            skills: Vec::new(),
            owner_id: None,
            owner_name: None,
            consent_given_at: None,
            consent_until: None,
            legal_hold: None,
            anonymised_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 1,
        }
    }

    #[test]
    fn the_preview_takes_the_picked_values_and_both_lists() {
        let kept = person("Ana Costa", "ana@example.com", &["rust", "remote"]);
        let mut merged = person("Ana M. Costa", "ana.costa@mail.test", &["Rust", "go"]);
        merged.phone = "+44 20 7946 0958".into();
        let form = MergeForm {
            full_name: "merged".into(),
            phone: "merged".into(),
            location: "nonsense".into(),
            ..MergeForm::default()
        };
        let after = preview(&kept, &merged, form.picks());
        assert_eq!(after.id, kept.id);
        assert_eq!(after.full_name, "Ana M. Costa");
        assert_eq!(after.phone, "+44 20 7946 0958");
        assert_eq!(after.emails, ["ana@example.com", "ana.costa@mail.test"]);
        assert_eq!(after.tags, ["rust", "remote", "go"]);
        assert_eq!(form.picks().location, Pick::Kept);
    }
}
