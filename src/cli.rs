//! The command line: `serve` (the default), `web`, `worker`, `migrate`,
//! `admin create-user`, `seed-demo` and `seed-load`.

use crate::BoxError;
use crate::auth::password;
use crate::config::Config;
use crate::domain::access::Role;
use crate::domain::activity::audit::Actor;
use crate::domain::org::user::{self, Email, UserFields};
use crate::server::Runs;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "hiring-hare",
    version,
    about = "Recruitment requisitions from draft to hire"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app and run the background workers (the default).
    Serve,
    /// Serve only the web app (to scale it out: `worker` processes, here
    /// or elsewhere, do the background work).
    Web,
    /// Run only the background workers (to scale them out).
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Account administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Create (or complete) a demo organisation: departments, job levels and
    /// one user per role. Safe to run again.
    SeedDemo,
    /// Fill the database for load tests: the demo organisation, a larger
    /// one, requirements (with approvals, openings and audit rows) and
    /// candidates (with about three applications each and their stage
    /// histories) up to the numbers given. Running it again adds only what
    /// is missing.
    SeedLoad {
        /// How many requirements there should be in all.
        #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(i64).range(1..=10_000_000))]
        requirements: i64,
        /// How many candidates there should be in all (default: as many
        /// as requirements).
        #[arg(long, value_parser = clap::value_parser!(i64).range(0..=10_000_000))]
        candidates: Option<i64>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// One of: super_admin, admin, hiring_manager, approver, recruiter, interviewer, viewer. Repeat for several.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role {s:?}; use one of {}", names.join(", "))
    })
}

pub async fn run() -> Result<(), BoxError> {
    let cli = Cli::parse();
    let config = Config::from_env()?;
    crate::server::init_logging();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => crate::server::serve(config, Runs::WebAndWorkers).await,
        Command::Web => crate::server::serve(config, Runs::Web).await,
        Command::Worker => crate::server::serve(config, Runs::Workers).await,
        Command::Migrate => {
            let db = crate::db::connect(&config, 2).await?;
            crate::db::migrate(&db.pools.requests).await?;
            println!("The database is up to date.");
            stop(db).await
        }
        Command::Admin {
            command: AdminCommand::CreateUser { email, name, roles },
        } => {
            let db = crate::db::connect(&config, 2).await?;
            crate::db::migrate(&db.pools.requests).await?;
            let result = create_user(&db.pools.requests, &email, &name, roles).await;
            stop(db).await?;
            result
        }
        Command::SeedDemo => {
            let db = crate::db::connect(&config, 2).await?;
            crate::db::migrate(&db.pools.requests).await?;
            let mail = crate::mail::MailRenderer::new(&config);
            let result = crate::seed::demo(&db.pools.requests, &mail).await;
            stop(db).await?;
            result
        }
        Command::SeedLoad {
            requirements,
            candidates,
        } => {
            let db = crate::db::connect(&config, 2).await?;
            crate::db::migrate(&db.pools.requests).await?;
            let mail = crate::mail::MailRenderer::new(&config);
            let candidates = candidates.unwrap_or(requirements);
            let result =
                crate::seed_load::load(&db.pools.requests, &mail, requirements, candidates).await;
            stop(db).await?;
            result
        }
    }
}

async fn stop(db: crate::db::Database) -> Result<(), BoxError> {
    db.pools.close().await;
    if let Some(pg) = db.embedded {
        pg.stop().await?;
    }
    Ok(())
}

async fn create_user(
    pool: &sqlx::PgPool,
    email: &str,
    name: &str,
    roles: Vec<Role>,
) -> Result<(), BoxError> {
    let email = Email::parse(email)?;
    eprintln!(
        "Password for {} (one line on standard input):",
        email.as_str()
    );
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let pw = line.trim_end_matches(['\r', '\n']);
    crate::domain::org::password_policy::check_policy(pw, email.as_str())?;
    let hash = password::hash(pw.to_owned()).await?;
    let fields = UserFields {
        email: email.clone(),
        full_name: name.trim().to_owned(),
        roles,
        department_id: None,
        manager_id: None,
        time_zone: "UTC".into(),
    };
    let mut tx = pool.begin().await?;
    let id = match user::create(&mut tx, &Actor::system(), &fields, Some(&hash)).await {
        Ok(id) => id,
        Err(crate::domain::Error::Invalid(e)) if e.get("email").is_some() => {
            return Err(format!("{} has an account already", email.as_str()).into());
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    println!("Created {} ({id}).", email.as_str());
    Ok(())
}
