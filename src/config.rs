//! Configuration, read once from the environment into a typed [`Config`].
//!
//! Environment variables only (twelve-factor): every setting has a default
//! that works on a developer machine, so `cargo run` needs none of them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A setting that is present but unusable.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    name: &'static str,
    problem: String,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// External PostgreSQL; `None` runs the embedded cluster under `data_dir`.
    pub database_url: Option<String>,
    /// Connections this process keeps to PostgreSQL. Requests beyond it wait
    /// in the app rather than in the database: on 2 cores, 8 answered the
    /// bench's 16 clients with half the p95 latency of 32 (`just bench`).
    pub database_pool_size: u32,
    pub bind: SocketAddr,
    /// Base of the links we put in mail, without a trailing slash.
    pub public_url: String,
    /// Keys token digests; generated once into `data_dir` when unset so that
    /// tokens survive restarts.
    pub secret_key: Vec<u8>,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// The ORGANIZER of interview invitations, where calendar replies go
    /// (`SCHEDULING_ADDRESS`, default `MAIL_FROM`).
    pub scheduling_address: String,
    /// Signs what the mail server posts to the calendar-reply hook
    /// (`INBOUND_MAIL_SECRET`; unset, the hook is off).
    pub inbound_mail_secret: Option<String>,
    /// Holds the embedded cluster, the file-transport mail and the secret.
    pub data_dir: PathBuf,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// Honour `X-Forwarded-For` for the client address (only behind a proxy
    /// we trust; otherwise anyone could pick their own address).
    pub trust_proxy_headers: bool,
    /// How many trusted proxies stand in front of the app: the client
    /// address is the entry this many places from the right of
    /// `X-Forwarded-For`, the one our outermost proxy appended. Entries
    /// left of it were written by the client and are ignored.
    pub trusted_proxy_hops: usize,
    /// `/metrics` answers only a request bearing this token
    /// (`Authorization: Bearer …`); unset, `/metrics` is not served at all.
    pub metrics_token: Option<String>,
    /// Where uploaded files live: a directory, or `s3://bucket[/prefix]`
    /// (`crate::storage`). `data_dir/files` when unset.
    pub file_store: String,
    /// The largest file accepted, in bytes (`FILE_MAX_MB`, 10 by default).
    pub file_max_bytes: usize,
    /// How long a rejection mail waits before it goes, so that it can be
    /// cancelled (`REJECTION_MAIL_DELAY_MINUTES`, 10 by default).
    pub rejection_mail_delay: Duration,
    /// For an S3 file store: the `AWS_*` variables (endpoint, credentials,
    /// region, `AWS_ALLOW_HTTP`), names lower-cased.
    pub file_store_options: Vec<(String, String)>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "data".into()));
        let bind: SocketAddr = parse(
            "BIND",
            var("BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
        )?;
        let public_url = var("PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_owned();
        let secret_key = match var("SECRET_KEY") {
            Some(key) if key.len() >= 32 => key.into_bytes(),
            Some(_) => return Err(problem("SECRET_KEY", "must be at least 32 characters")),
            None => stored_secret(&data_dir)?,
        };
        let file_store = var("FILE_STORE")
            .unwrap_or_else(|| data_dir.join("files").to_string_lossy().into_owned());
        Ok(Self {
            database_url: var("DATABASE_URL"),
            database_pool_size: match var("DATABASE_POOL_SIZE") {
                Some(v) => match parse("DATABASE_POOL_SIZE", v)? {
                    n if n >= 2 => n,
                    _ => return Err(problem("DATABASE_POOL_SIZE", "must be at least 2")),
                },
                None => default_pool_size(),
            },
            bind,
            public_url,
            secret_key,
            smtp_url: var("SMTP_URL"),
            scheduling_address: var("SCHEDULING_ADDRESS")
                .or_else(|| var("MAIL_FROM"))
                .unwrap_or_else(|| "Hiring Hare <no-reply@hiringhare.test>".into()),
            inbound_mail_secret: var("INBOUND_MAIL_SECRET"),
            mail_from: var("MAIL_FROM")
                .unwrap_or_else(|| "Hiring Hare <no-reply@hiringhare.test>".into()),
            data_dir,
            session_idle: minutes("SESSION_IDLE_MINUTES", 8 * 60)?,
            session_absolute: minutes("SESSION_ABSOLUTE_MINUTES", 7 * 24 * 60)?,
            trust_proxy_headers: matches!(
                var("TRUST_PROXY_HEADERS").as_deref(),
                Some("1" | "true" | "yes")
            ),
            trusted_proxy_hops: match var("TRUSTED_PROXY_HOPS") {
                Some(v) => match parse("TRUSTED_PROXY_HOPS", v)? {
                    n if n >= 1 => n,
                    _ => return Err(problem("TRUSTED_PROXY_HOPS", "must be at least 1")),
                },
                None => 1,
            },
            metrics_token: match var("METRICS_TOKEN") {
                Some(t) if t.len() >= 16 => Some(t),
                Some(_) => return Err(problem("METRICS_TOKEN", "must be at least 16 characters")),
                None => None,
            },
            file_store,
            file_max_bytes: match var("FILE_MAX_MB") {
                Some(v) => match parse::<usize>("FILE_MAX_MB", v)? {
                    n @ 1..=100 => n * 1_000_000,
                    _ => return Err(problem("FILE_MAX_MB", "must be between 1 and 100")),
                },
                None => 10_000_000,
            },
            rejection_mail_delay: match var("REJECTION_MAIL_DELAY_MINUTES") {
                Some(v) => match parse::<u64>("REJECTION_MAIL_DELAY_MINUTES", v)? {
                    n @ 0..=1440 => Duration::from_secs(n * 60),
                    _ => {
                        return Err(problem(
                            "REJECTION_MAIL_DELAY_MINUTES",
                            "must be between 0 and 1440",
                        ));
                    }
                },
                None => Duration::from_secs(10 * 60),
            },
            file_store_options: std::env::vars()
                .filter(|(k, _)| k.starts_with("AWS_"))
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        })
    }

    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn problem(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        problem: problem.into(),
    }
}

fn parse<T: std::str::FromStr>(name: &'static str, value: String) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| problem(name, format!("{value:?}: {e}")))
}

fn minutes(name: &'static str, default: u64) -> Result<Duration, ConfigError> {
    let minutes: u64 = match var(name) {
        Some(v) => parse(name, v)?,
        None => default,
    };
    if minutes == 0 {
        return Err(problem(name, "must be at least 1"));
    }
    Ok(Duration::from_secs(minutes * 60))
}

/// PostgreSQL's rule of thumb for a pool: twice the cores, plus one
/// (<https://wiki.postgresql.org/wiki/Number_Of_Database_Connections>),
/// this machine's cores standing in for the database's. More connections
/// than that do not add throughput on a busy database, only backends
/// waiting their turn for its cores: at 16 clients on 2 cores, a pool of 8
/// gave the candidate search a p95 of 28-30 ms, one of 5 gave 25.
fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
    cores * 2 + 1
}

/// Reads `data_dir/secret_key`, creating it with 64 random bytes (hex) the
/// first time. Generating a fresh secret at each boot would invalidate every
/// emailed link on restart.
fn stored_secret(data_dir: &std::path::Path) -> Result<Vec<u8>, ConfigError> {
    let path = data_dir.join("secret_key");
    let io =
        |e: std::io::Error| problem("SECRET_KEY", format!("cannot use {}: {e}", path.display()));
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().as_bytes().to_vec()),
        Ok(_) => {
            return Err(problem(
                "SECRET_KEY",
                format!("{} is too short", path.display()),
            ));
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        Err(_) => {}
    }
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let secret = crate::tokens::random_token(48);
    std::fs::write(&path, &secret).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(secret.into_bytes())
}
