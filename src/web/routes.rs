//! Every route the app serves, and who may use it: one table.
//!
//! The router is built from it: an area names each handler's entry with
//! [`route!`], which looks the entry up while compiling, so a route missing
//! from the table does not build; and a unit test below fails when an
//! entry is served by no area (or twice). The walk test in
//! `tests/app/routes.rs` requests every entry as every role and as a
//! stranger, and checks each answer against [`Access`].
//!
//! The table says who may use a route; the handlers still check it
//! themselves (`me.require(..)`, the row rules of the domain), and the walk
//! proves that they agree.

use super::AppState;
use crate::domain::access::Permission;
use axum::Router;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::routing::{get, post};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    Get,
    Post,
}

/// Who may use a route. Refused, a stranger (not signed in) is sent to sign
/// in and back: a 303 to `/sign-in?next=…` (for a POST, `next` is the page
/// the form was on), or for an htmx request a 204 with `HX-Redirect` there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not: the pages that come before signing in (a
    /// mailed token stands in for it), health, and static files.
    Anyone,
    /// Anyone who sends `Authorization: Bearer <METRICS_TOKEN>` (401 to
    /// others); served only when the token is configured.
    MetricsToken,
    /// The mail server, which signs what it posts with
    /// `INBOUND_MAIL_SECRET` (401 to others); served only when the secret
    /// is configured.
    MailServer,
    /// Anyone signed in.
    SignedIn,
    /// Someone signed in whose role allows it (the role × permission table
    /// in `crate::domain::access`); others get 403.
    Permission(Permission),
    /// Someone signed in whose role allows any one of these; others get 403.
    AnyPermission(&'static [Permission]),
    /// Someone signed in whom the domain allows for this row.
    Row(Rule),
}

/// A rule about one row, decided by the domain when the row is loaded.
/// "Not found" (404) where telling a refusal apart would reveal that the row
/// exists (a confidential requirement); 403 where the row is not a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Sees the requirement (`Requirement::visible_to`: not confidential,
    /// or named on it, or an admin); 404 to others.
    SeesRequirement,
    /// Sees it, then may edit it now (`Requirement::editable_by`: its own
    /// hiring manager or creator while it is a draft or sent back, its
    /// recruiter's sourcing fields once approved, admins); 403.
    EditsRequirement,
    /// Sees it, then may ask for the posted action
    /// (`Requirement::may`: submit and cancel are its owner's and admins',
    /// open and hold its people's and admins'); 403.
    ActsOnRequirement,
    /// Sees it, then runs its recruiting (`Requirement::recruited_by`); 403.
    RecruitsFor,
    /// Sees what the thread is on, a requirement or a candidate (404), then
    /// has the `Comment` permission (403).
    CommentsOn,
    /// Sees what `/mentions` is asked about: the `requirement` or the
    /// `candidate` of its query; 404.
    SeesCommented,
    /// The comment's requirement is seen (404), then the comment is theirs
    /// or they moderate (`Comment::editable_by`); 403.
    ChangesComment,
    /// Sees the task's requirement, or is the task's approver; 404.
    SeesApproval,
    /// The task's named approver or their stand-in today
    /// (`approval::may_decide`), neither of them one of the subject's own
    /// people; 403. A stranger's session holding the
    /// mailed link's grant for that task decides as the approver.
    DecidesApproval,
    /// Their own notification; 404 to others.
    OwnNotification,
    /// Sees the candidate (`recruiting::Reach`: recruiters and admins all,
    /// a hiring manager those of their requirements); 404 to others.
    SeesCandidate,
    /// Sees the candidate (404), then manages candidates (403).
    ManagesCandidate,
    /// Sees the requirement (404), then its pipeline
    /// (`recruiting::sees_pipeline`); 403.
    SeesPipeline,
    /// Sees the requirement (404), then manages candidates (403).
    ManagesPipeline,
    /// Sees the application's requirement (404), then manages it
    /// (`Application::managed_by`); 403.
    ManagesApplication,
    /// Sees the file's candidate; a file given to nobody yet, its uploader
    /// alone; 404 to others.
    SeesFile,
    /// Sees the requirement (404), then may publish it
    /// (`careers::may_publish`: its recruiter and admins); 403.
    PublishesJob,
    /// Sees the application's requirement (404), then manages interviews
    /// (recruiters, admins); 403.
    SchedulesInterview,
    /// Has a seat at the interview (`Interview::seat`: its panel, its
    /// requirement's hiring manager, recruiters and admins who see it);
    /// 404 to others.
    SeesInterview,
    /// Has a seat (404), then manages it (recruiters and admins); 403.
    ManagesInterview,
    /// Has a seat (404), then is on its panel; 403.
    ScoresInterview,
    /// Sees the application's requirement (404), then manages offers
    /// (recruiters, admins); 403.
    DraftsOffer,
    /// Sees the offer (`Offer::visible_to`: recruiters and admins who see
    /// its requirement, its hiring manager and requester); 404.
    SeesOffer,
    /// Sees the offer (404), then manages it (`Offer::managed_by`); 403.
    ManagesOffer,
    /// Sees the onboarding (`onboarding::seen_by`: who sees its offer, and
    /// its tasks' owners); 404.
    SeesOnboarding,
    /// Sees the task's onboarding (404), then may tick it
    /// (`onboarding::tick`: its owners, the offer's managers, the hiring
    /// manager); 403.
    TicksOnboardingTask,
}

impl Rule {
    /// How the row's rule says no.
    pub fn refusal(self) -> StatusCode {
        match self {
            Rule::SeesRequirement
            | Rule::SeesApproval
            | Rule::OwnNotification
            | Rule::SeesCandidate
            | Rule::SeesCommented
            | Rule::SeesFile
            | Rule::SeesInterview
            | Rule::SeesOffer
            | Rule::SeesOnboarding => StatusCode::NOT_FOUND,
            Rule::EditsRequirement
            | Rule::ActsOnRequirement
            | Rule::RecruitsFor
            | Rule::CommentsOn
            | Rule::ChangesComment
            | Rule::DecidesApproval
            | Rule::ManagesCandidate
            | Rule::SeesPipeline
            | Rule::ManagesPipeline
            | Rule::ManagesApplication
            | Rule::PublishesJob
            | Rule::SchedulesInterview
            | Rule::ManagesInterview
            | Rule::ScoresInterview
            | Rule::DraftsOffer
            | Rule::ManagesOffer
            | Rule::TicksOnboardingTask => StatusCode::FORBIDDEN,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    /// The path as axum matches it (`/requirements/{id}`).
    pub path: &'static str,
    pub access: Access,
}

const fn r(method: Method, path: &'static str, access: Access) -> Route {
    Route {
        method,
        path,
        access,
    }
}

/// The table, by area.
pub const TABLE: &[Route] = {
    use crate::domain::access::Permission as P;
    use Access::*;
    use Method::*;
    use Rule::*;
    &[
        r(Get, "/", SignedIn),
        // Signing in, out, and the mailed account links.
        r(Get, "/sign-in", Anyone),
        r(Post, "/sign-in", Anyone),
        r(Post, "/sign-out", Anyone),
        r(Get, "/password-reset", Anyone),
        r(Post, "/password-reset", Anyone),
        r(Get, "/password-reset/{token}", Anyone),
        r(Post, "/password-reset/{token}", Anyone),
        r(Get, "/invitation/{token}", Anyone),
        r(Post, "/invitation/{token}", Anyone),
        // One's own profile.
        r(Get, "/profile", SignedIn),
        r(Post, "/profile", SignedIn),
        r(Post, "/profile/password", SignedIn),
        r(Post, "/profile/delegation", SignedIn),
        r(Post, "/profile/calendar", SignedIn),
        r(Get, "/profile/notifications", SignedIn),
        r(Post, "/profile/notifications", SignedIn),
        // Requirements.
        r(Get, "/requirements", SignedIn),
        r(Post, "/requirements", Permission(P::CreateRequirement)),
        r(Get, "/requirements/new", Permission(P::CreateRequirement)),
        r(Get, "/requirements.csv", SignedIn),
        // `?part=status|history`: that live region alone.
        r(Get, "/requirements/{id}", Row(SeesRequirement)),
        r(Post, "/requirements/{id}", Row(EditsRequirement)),
        r(Get, "/requirements/{id}/edit", Row(EditsRequirement)),
        r(
            Post,
            "/requirements/{id}/transitions",
            Row(ActsOnRequirement),
        ),
        r(
            Post,
            "/requirements/{id}/openings/{opening}",
            Row(RecruitsFor),
        ),
        r(
            Post,
            "/requirements/{id}/deletion",
            Permission(P::AdministerRequirements),
        ),
        // Candidates and the pipeline.
        r(Get, "/candidates", Permission(P::ViewCandidates)),
        r(Post, "/candidates", Permission(P::ManageCandidates)),
        r(Get, "/candidates/new", Permission(P::ManageCandidates)),
        r(
            Get,
            "/candidates/requirements",
            Permission(P::ManageCandidates),
        ),
        r(Get, "/candidates.csv", Permission(P::ViewCandidates)),
        r(Get, "/candidates/{id}", Row(SeesCandidate)),
        r(Post, "/candidates/{id}", Row(ManagesCandidate)),
        r(Get, "/candidates/{id}/edit", Row(ManagesCandidate)),
        r(Get, "/candidates/{id}/history", Row(SeesCandidate)),
        r(Post, "/candidates/{id}/applications", Row(ManagesCandidate)),
        r(Post, "/candidates/{id}/comments", Row(CommentsOn)),
        // Files: multipart forms whose CSRF token is their first field.
        r(Post, "/candidates/resume", Permission(P::ManageCandidates)),
        r(Post, "/candidates/{id}/files", Row(ManagesCandidate)),
        r(Get, "/candidates/{id}/merge", Row(ManagesCandidate)),
        r(Post, "/candidates/{id}/merge", Row(ManagesCandidate)),
        r(Post, "/candidates/{id}/split", Row(ManagesCandidate)),
        r(
            Get,
            "/candidates/{id}/export",
            Permission(P::HandlePersonalData),
        ),
        r(
            Get,
            "/candidates/{id}/erasure",
            Permission(P::HandlePersonalData),
        ),
        r(
            Post,
            "/candidates/{id}/erasure",
            Permission(P::HandlePersonalData),
        ),
        r(
            Post,
            "/candidates/{id}/legal-hold",
            Permission(P::HandlePersonalData),
        ),
        r(Get, "/files/{id}", Row(SeesFile)),
        // `?part=columns`: the columns alone, for their live update.
        r(Get, "/requirements/{id}/board", Row(SeesPipeline)),
        // The board's bulk form: move, reject or tag the cards chosen.
        r(Post, "/requirements/{id}/board", Row(ManagesPipeline)),
        r(Get, "/requirements/{id}/posting", Row(PublishesJob)),
        r(Post, "/requirements/{id}/posting", Row(PublishesJob)),
        r(
            Post,
            "/requirements/{id}/posting/deletion",
            Row(PublishesJob),
        ),
        r(Get, "/requirements/{id}/pipeline", Row(ManagesPipeline)),
        r(Post, "/requirements/{id}/pipeline", Row(ManagesPipeline)),
        r(
            Post,
            "/requirements/{id}/pipeline/stages",
            Row(ManagesPipeline),
        ),
        r(
            Post,
            "/requirements/{id}/pipeline/stages/{stage}",
            Row(ManagesPipeline),
        ),
        r(
            Post,
            "/requirements/{id}/pipeline/stages/{stage}/archive",
            Row(ManagesPipeline),
        ),
        r(Post, "/applications/{id}/stage", Row(ManagesApplication)),
        r(
            Post,
            "/applications/{id}/rejection",
            Row(ManagesApplication),
        ),
        r(
            Post,
            "/applications/{id}/rejection/deletion",
            Row(ManagesApplication),
        ),
        r(
            Post,
            "/applications/{id}/rejection-mail/deletion",
            Row(ManagesApplication),
        ),
        // Interviews and scorecards.
        r(
            Get,
            "/applications/{id}/interviews/new",
            Row(SchedulesInterview),
        ),
        r(
            Post,
            "/applications/{id}/interviews",
            Row(SchedulesInterview),
        ),
        r(Get, "/interviews/{id}", Row(SeesInterview)),
        r(Post, "/interviews/{id}", Row(ManagesInterview)),
        r(Get, "/interviews/{id}/edit", Row(ManagesInterview)),
        r(Post, "/interviews/{id}/cancellation", Row(ManagesInterview)),
        r(Post, "/interviews/{id}/status", Row(ManagesInterview)),
        r(Post, "/interviews/{id}/scorecard", Row(ScoresInterview)),
        r(
            Get,
            "/requirements/{id}/interview-plan",
            Row(ManagesPipeline),
        ),
        r(
            Post,
            "/requirements/{id}/interview-plan",
            Row(ManagesPipeline),
        ),
        // Offers and onboarding.
        r(Get, "/applications/{id}/offers/new", Row(DraftsOffer)),
        r(Post, "/applications/{id}/offers", Row(DraftsOffer)),
        r(Get, "/offers/{id}", Row(SeesOffer)),
        r(Post, "/offers/{id}", Row(ManagesOffer)),
        r(Get, "/offers/{id}/edit", Row(ManagesOffer)),
        r(Post, "/offers/{id}/submission", Row(ManagesOffer)),
        r(Post, "/offers/{id}/sending", Row(ManagesOffer)),
        r(Post, "/offers/{id}/withdrawal", Row(ManagesOffer)),
        r(Post, "/offers/{id}/answer", Row(ManagesOffer)),
        r(Get, "/offers/{id}/letter", Row(SeesOffer)),
        r(Get, "/offers/{id}/letter.pdf", Row(SeesOffer)),
        r(Get, "/onboarding", SignedIn),
        r(Get, "/onboarding/{id}", Row(SeesOnboarding)),
        r(Post, "/onboarding/tasks/{id}", Row(TicksOnboardingTask)),
        // A person's calendar feed: its token is the key (404 otherwise).
        r(Get, "/calendar/{user}/{token}", Anyone),
        // Calendar replies the mail server posts.
        r(Post, "/hooks/calendar-replies", MailServer),
        // Comments.
        r(Post, "/requirements/{id}/comments", Row(CommentsOn)),
        r(Post, "/comments/{id}", Row(ChangesComment)),
        r(Post, "/comments/{id}/deletion", Row(ChangesComment)),
        r(Get, "/mentions", Row(SeesCommented)),
        // Approvals.
        // `?part=inbox` on the inbox, `?part=decisions` on an approval: that
        // live region alone.
        r(Get, "/approvals", SignedIn),
        r(Get, "/approvals/{id}", Row(SeesApproval)),
        r(Post, "/approvals/{id}/decision", Row(DecidesApproval)),
        r(
            Post,
            "/approvals/{id}/reassignment",
            Permission(P::ManageWorkflows),
        ),
        // The mailed link's token is the key: a wrong one is a 410 page.
        r(Post, "/approvals/{id}/link", Anyone),
        // Notifications, and their live stream.
        r(Get, "/notifications", SignedIn),
        r(Get, "/notifications/bell", SignedIn),
        r(Post, "/notifications/read", SignedIn),
        r(Post, "/notifications/{id}/read", Row(OwnNotification)),
        r(Get, "/events", SignedIn),
        // Person fields' suggestions: for whoever fills in a form with one.
        r(
            Get,
            "/people",
            AnyPermission(&[
                P::CreateRequirement,
                P::AdministerRequirements,
                P::DecideApprovals,
                P::ManageUsers,
                P::ManageOrganisation,
                P::ManageWorkflows,
            ]),
        ),
        // Administration.
        r(Get, "/admin/users", Permission(P::ManageUsers)),
        r(Post, "/admin/users", Permission(P::ManageUsers)),
        r(Get, "/admin/users/new", Permission(P::ManageUsers)),
        r(Get, "/admin/users/{id}", Permission(P::ManageUsers)),
        r(Post, "/admin/users/{id}", Permission(P::ManageUsers)),
        r(
            Post,
            "/admin/users/{id}/deactivate",
            Permission(P::ManageUsers),
        ),
        r(
            Post,
            "/admin/users/{id}/reactivate",
            Permission(P::ManageUsers),
        ),
        r(
            Post,
            "/admin/users/{id}/invitation",
            Permission(P::ManageUsers),
        ),
        r(Get, "/admin/departments", Permission(P::ManageOrganisation)),
        r(
            Post,
            "/admin/departments",
            Permission(P::ManageOrganisation),
        ),
        r(
            Get,
            "/admin/departments/{id}",
            Permission(P::ManageOrganisation),
        ),
        r(
            Post,
            "/admin/departments/{id}",
            Permission(P::ManageOrganisation),
        ),
        r(
            Post,
            "/admin/departments/{id}/archive",
            Permission(P::ManageOrganisation),
        ),
        r(Get, "/admin/levels", Permission(P::ManageOrganisation)),
        r(Post, "/admin/levels", Permission(P::ManageOrganisation)),
        r(Get, "/admin/levels/{id}", Permission(P::ManageOrganisation)),
        r(
            Post,
            "/admin/levels/{id}",
            Permission(P::ManageOrganisation),
        ),
        r(
            Get,
            "/admin/levels/{id}/edit",
            Permission(P::ManageOrganisation),
        ),
        r(
            Post,
            "/admin/levels/{id}/archive",
            Permission(P::ManageOrganisation),
        ),
        r(Get, "/admin/pipeline", Permission(P::ConfigureRecruiting)),
        r(Get, "/admin/careers", Permission(P::ConfigureRecruiting)),
        r(Post, "/admin/careers", Permission(P::ConfigureRecruiting)),
        r(
            Post,
            "/admin/careers/logo",
            Permission(P::ConfigureRecruiting),
        ),
        r(
            Post,
            "/admin/careers/logo/deletion",
            Permission(P::ConfigureRecruiting),
        ),
        r(
            Post,
            "/admin/pipeline/stages",
            Permission(P::ConfigureRecruiting),
        ),
        r(
            Post,
            "/admin/pipeline/stages/{id}",
            Permission(P::ConfigureRecruiting),
        ),
        r(
            Post,
            "/admin/pipeline/stages/{id}/archive",
            Permission(P::ConfigureRecruiting),
        ),
        r(
            Post,
            "/admin/pipeline/reasons",
            Permission(P::ConfigureRecruiting),
        ),
        r(
            Post,
            "/admin/pipeline/reasons/{id}",
            Permission(P::ConfigureRecruiting),
        ),
        r(
            Post,
            "/admin/pipeline/reasons/{id}/archive",
            Permission(P::ConfigureRecruiting),
        ),
        r(
            Get,
            "/admin/offer-letter",
            Permission(P::ConfigureRecruiting),
        ),
        r(
            Post,
            "/admin/offer-letter",
            Permission(P::ConfigureRecruiting),
        ),
        r(Get, "/admin/onboarding", Permission(P::ConfigureRecruiting)),
        r(
            Post,
            "/admin/onboarding",
            Permission(P::ConfigureRecruiting),
        ),
        r(
            Get,
            "/admin/onboarding/{id}",
            Permission(P::ConfigureRecruiting),
        ),
        r(
            Post,
            "/admin/onboarding/{id}",
            Permission(P::ConfigureRecruiting),
        ),
        r(Get, "/admin/privacy", Permission(P::HandlePersonalData)),
        r(Post, "/admin/privacy", Permission(P::HandlePersonalData)),
        r(Get, "/admin/audit", Permission(P::ViewAuditLog)),
        r(Get, "/admin/outbox", Permission(P::ViewAuditLog)),
        r(Get, "/admin/workflows", Permission(P::ManageWorkflows)),
        r(Post, "/admin/workflows", Permission(P::ManageWorkflows)),
        r(Get, "/admin/workflows/new", Permission(P::ManageWorkflows)),
        r(Get, "/admin/workflows/{id}", Permission(P::ManageWorkflows)),
        r(
            Post,
            "/admin/workflows/{id}",
            Permission(P::ManageWorkflows),
        ),
        r(
            Get,
            "/admin/workflows/{id}/edit",
            Permission(P::ManageWorkflows),
        ),
        r(
            Post,
            "/admin/workflows/{id}/archive",
            Permission(P::ManageWorkflows),
        ),
        r(
            Post,
            "/admin/workflows/{id}/default",
            Permission(P::ManageWorkflows),
        ),
        // Outside the session: for operators, and files.
        r(Get, "/careers", Anyone),
        r(Get, "/careers/{slug}", Anyone),
        r(Post, "/careers/{slug}/application", Anyone),
        r(Get, "/careers/{slug}/applied", Anyone),
        r(Get, "/your-data", Anyone),
        r(Post, "/your-data", Anyone),
        r(Get, "/your-data/{token}", Anyone),
        r(Get, "/your-data/{token}/export", Anyone),
        r(Post, "/your-data/{token}/withdrawal", Anyone),
        r(Post, "/your-data/{token}/erasure", Anyone),
        // A candidate's offer: the mailed token is the key (404 otherwise).
        r(Get, "/offer/{token}", Anyone),
        r(Post, "/offer/{token}", Anyone),
        r(Get, "/offer/{token}/letter.pdf", Anyone),
        r(Get, "/consent/{token}", Anyone),
        r(Post, "/consent/{token}", Anyone),
        r(Get, "/logo/{name}", Anyone),
        r(Get, "/careers.rss", Anyone),
        r(Get, "/careers.xml", Anyone),
        r(Get, "/sitemap.xml", Anyone),
        r(Get, "/health", Anyone),
        r(Get, "/health/live", Anyone),
        r(Get, "/health/ready", Anyone),
        r(Get, "/metrics", MetricsToken),
        r(Get, "/static/{name}", Anyone),
        r(Get, "/favicon.ico", Anyone),
    ]
};

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The table's entry for `method` and `path`. Called through [`route!`],
/// which evaluates it while compiling.
#[allow(clippy::panic)] // Only ever evaluated at compile time: it stops the build.
pub(crate) const fn entry(method: Method, path: &str) -> &'static Route {
    let mut i = 0;
    while i < TABLE.len() {
        if TABLE[i].method as u8 == method as u8 && same(TABLE[i].path, path) {
            return &TABLE[i];
        }
        i += 1;
    }
    panic!("a route that is not in web::routes::TABLE")
}

/// `route!(GET "/path")`: the table's entry, found while compiling.
macro_rules! route {
    (GET $path:literal) => {
        const { $crate::web::routes::entry($crate::web::routes::Method::Get, $path) }
    };
    (POST $path:literal) => {
        const { $crate::web::routes::entry($crate::web::routes::Method::Post, $path) }
    };
}
pub(crate) use route;

/// An area's routes as it builds them: the router, and which entries it
/// serves.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    served: Vec<&'static Route>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    /// Serves `route` (from [`route!`]) with `handler`.
    pub fn serve<H, T>(mut self, route: &'static Route, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let method_router = match route.method {
            Method::Get => get(handler),
            Method::Post => post(handler),
        };
        self.router = self.router.route(route.path, method_router);
        self.served.push(route);
        self
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.served.extend(other.served);
        self
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_router_serves_every_entry_once() {
        let all = super::super::session_routes().merge(super::super::plain_routes(true));
        let mut served: Vec<(Method, &str)> =
            all.served.iter().map(|r| (r.method, r.path)).collect();
        served.sort();
        let mut table: Vec<(Method, &str)> = TABLE.iter().map(|r| (r.method, r.path)).collect();
        table.sort();
        let mut unique = table.clone();
        unique.dedup();
        assert_eq!(unique, table, "an entry is in the table twice");
        assert_eq!(served, table);
    }

    #[test]
    fn metrics_are_not_routed_without_a_token() {
        let plain = super::super::plain_routes(false);
        assert!(plain.served.iter().all(|r| r.path != "/metrics"));
    }
}
