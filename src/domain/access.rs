//! Roles and the role × permission table from DOMAIN.md, in one place.
//!
//! A permission here is what a *role* allows. Rules that depend on the row
//! as well (a hiring manager editing *their own* draft, an interviewer seeing
//! *their* panels) are checked by the domain function that loads the row,
//! after this coarse check has passed.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SuperAdmin,
    Admin,
    HiringManager,
    Approver,
    Recruiter,
    Interviewer,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::SuperAdmin,
        Role::Admin,
        Role::HiringManager,
        Role::Approver,
        Role::Recruiter,
        Role::Interviewer,
        Role::Viewer,
    ];

    /// The name stored in `users.roles` and used in URLs and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::Admin => "admin",
            Role::HiringManager => "hiring_manager",
            Role::Approver => "approver",
            Role::Recruiter => "recruiter",
            Role::Interviewer => "interviewer",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::SuperAdmin => "Super admin",
            Role::Admin => "Admin",
            Role::HiringManager => "Hiring manager",
            Role::Approver => "Approver",
            Role::Recruiter => "Recruiter",
            Role::Interviewer => "Interviewer",
            Role::Viewer => "Viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something a role may do. Named after the DOMAIN.md matrix rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Invite, edit and deactivate users; assign roles other than admin.
    ManageUsers,
    /// Grant or remove the admin and super-admin roles.
    GrantAdmin,
    /// Departments and job levels.
    ManageOrganisation,
    /// Read the audit log and the mail outbox.
    ViewAuditLog,
    CreateRequirement,
    /// Edit any live requirement, see confidential ones, delete (soft).
    AdministerRequirements,
    ManageWorkflows,
    /// Approve, reject or ask for changes on an approval step naming you.
    DecideApprovals,
    /// Add candidates, move them through the stages, reject them.
    ManageCandidates,
    /// Keep the pipeline's stages and the reasons applications end.
    ConfigureRecruiting,
    /// See candidates: all with `ManageCandidates`, else those of one's own
    /// requirements (the row rule of `domain::recruiting::Reach`).
    ViewCandidates,
    ManageInterviews,
    ManageOffers,
    ViewCompanyReports,
    /// Write in the comment thread of something one may see. Viewers only
    /// read: the matrix gives them no write anywhere.
    Comment,
    /// Edit or delete anyone's comment (authors may always change their own).
    ModerateComments,
    /// Candidates' personal data: export, erase, legal holds, their
    /// requests, and how long data is kept.
    HandlePersonalData,
}

/// The table. `super_admin` is handled in [`allows`]: it may do everything.
const TABLE: &[(Permission, &[Role])] = {
    use Role::*;
    &[
        (Permission::ManageUsers, &[Admin]),
        (Permission::GrantAdmin, &[]),
        (Permission::ManageOrganisation, &[Admin]),
        (Permission::ViewAuditLog, &[Admin]),
        (Permission::CreateRequirement, &[HiringManager, Admin]),
        (Permission::AdministerRequirements, &[Admin]),
        (Permission::ManageWorkflows, &[Admin]),
        (Permission::DecideApprovals, &[Approver, Admin]),
        (Permission::ManageCandidates, &[Recruiter, Admin]),
        (Permission::ConfigureRecruiting, &[Admin]),
        (
            Permission::ViewCandidates,
            &[Recruiter, HiringManager, Interviewer, Admin],
        ),
        (Permission::ManageInterviews, &[Recruiter, Admin]),
        (Permission::ManageOffers, &[Recruiter, Admin]),
        (
            Permission::ViewCompanyReports,
            &[Viewer, Approver, Recruiter, HiringManager, Admin],
        ),
        (
            Permission::Comment,
            &[Interviewer, Approver, Recruiter, HiringManager, Admin],
        ),
        (Permission::ModerateComments, &[Admin]),
        (Permission::HandlePersonalData, &[Admin]),
    ]
};

pub fn allows(roles: &[Role], permission: Permission) -> bool {
    if roles.contains(&Role::SuperAdmin) {
        return true;
    }
    TABLE
        .iter()
        .find(|(p, _)| *p == permission)
        .is_some_and(|(_, allowed)| roles.iter().any(|r| allowed.contains(r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn super_admin_alone_grants_admin() {
        assert!(allows(&[Role::SuperAdmin], Permission::GrantAdmin));
        assert!(!allows(&[Role::Admin], Permission::GrantAdmin));
        assert!(allows(&[Role::Admin], Permission::ManageUsers));
        assert!(!allows(
            &[Role::HiringManager, Role::Recruiter],
            Permission::ManageUsers
        ));
        assert!(!allows(&[], Permission::ViewCompanyReports));
    }
}
