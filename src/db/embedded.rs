//! Embedded default PostgreSQL cluster, used when `DATABASE_URL` is unset.
//!
//! Why: the app needs PostgreSQL, but `cargo run` and `cargo test` should work
//! without anyone provisioning a server, role and database first. So we run a
//! private cluster from the locally installed server binaries, kept under the
//! data root (`<data_root>/postgres`) so that it persists between runs.
//!
//! The server listens on no TCP port, only on a Unix socket inside its own
//! mode-0700 data directory. That is why `trust` authentication is safe (only
//! the owning user, and root, can reach the socket) and why it never collides
//! with a system PostgreSQL on port 5432.
//!
//! PostgreSQL refuses to run as root, so when we are root (containers, CI) the
//! server tools run as the `postgres` system user through `runuser`.
//!
//! Several processes (parallel test binaries, `cargo run` next to
//! `cargo test`) may share one data root. An exclusive lock file serialises
//! initdb, start and stop, and every user holds a shared "users" lock for as
//! long as it uses the server: the process that started the server stops it
//! only when no other process still uses it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::{Mutex, PoisonError};

use sqlx::{Connection, PgConnection};
use tokio::process::Command;

/// Names the socket file (`.s.PGSQL.5432`); the server opens no TCP port.
const PORT: u16 = 5432;
/// `sockaddr_un.sun_path` holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH_BYTES: usize = 107;
/// The binaries a bin directory must hold for us to run a server from it.
const SERVER_TOOLS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];
/// The account PostgreSQL runs as when we are root; also the superuser role.
const POSTGRES_USER: &str = "postgres";
/// Where Debian's `postgresql-<major>` packages install their binaries.
const DEBIAN_VERSIONS_DIR: &str = "/usr/lib/postgresql";

/// A running embedded PostgreSQL server; see the module docs.
///
/// Dropping it without calling [`EmbeddedPostgres::stop`] leaves the server
/// running; the next [`EmbeddedPostgres::ensure_running`] reuses it.
pub struct EmbeddedPostgres {
    cluster: Cluster,
    started_by_us: bool,
    /// Shared lock telling other processes we still use the server; `None`
    /// once `stop` has run.
    users_lock: Mutex<Option<File>>,
}

/// Why the embedded server could not be provided. Every message is one line
/// that says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "no PostgreSQL server binaries found (PG_BIN, `pg_config --bindir`, {DEBIAN_VERSIONS_DIR}/*/bin): install the Debian package `postgresql` or set DATABASE_URL"
    )]
    BinariesNotFound,
    #[error(
        "PG_BIN={0} lacks initdb, pg_ctl or postgres: point PG_BIN at PostgreSQL's bin directory or unset it"
    )]
    BadPgBin(PathBuf),
    #[error(
        "data directory {0} must be valid UTF-8 without quotes, backslashes, `$` or backticks (pg_ctl passes it through a shell): choose another data directory or set DATABASE_URL"
    )]
    UnsupportedPath(PathBuf),
    #[error(
        "socket path {path} is {len} bytes, over the {MAX_SOCKET_PATH_BYTES}-byte Unix socket limit: choose a shorter data directory or set DATABASE_URL"
    )]
    SocketPathTooLong { path: String, len: usize },
    #[error(
        "running as root but there is no `{POSTGRES_USER}` system user to run PostgreSQL as: install the Debian package `postgresql` or set DATABASE_URL"
    )]
    NoPostgresUser,
    #[error(
        "the `{POSTGRES_USER}` user cannot traverse {0} (PostgreSQL refuses to run as root, so it runs as `{POSTGRES_USER}`): run `chmod o+x {0}` or choose another data directory"
    )]
    NotTraversable(PathBuf),
    #[error(
        "{0} exists but holds no PostgreSQL cluster (no PG_VERSION): move it away or choose another data directory"
    )]
    ForeignDirectory(PathBuf),
    #[error("PostgreSQL did not start: {reason} (full log: {log})")]
    StartFailed { reason: String, log: PathBuf },
    #[error(
        "a PostgreSQL server is registered in {dir}/postmaster.pid but does not accept connections on its socket ({reason}): stop that server, or delete postmaster.pid if no server is running"
    )]
    Unreachable { dir: PathBuf, reason: String },
    #[error("could not run `{command}`: {source}")]
    Spawn { command: String, source: io::Error },
    #[error("`{command}` failed: {detail}")]
    CommandFailed { command: String, detail: String },
    #[error("{action}: {source}")]
    Io { action: String, source: io::Error },
}

impl EmbeddedPostgres {
    /// Ensure a cluster at `data_root/postgres` exists and runs; reuse a running one.
    pub async fn ensure_running(data_root: &Path) -> Result<Self, EmbeddedError> {
        let cluster = Cluster::locate(data_root).await?;
        let _setup = lock(cluster.setup_lock_path(), LockKind::Exclusive).await?;
        if !cluster.is_initialized().await? {
            cluster.init().await?;
        }
        let started_by_us = if cluster.is_running().await? {
            cluster.probe().await?;
            false
        } else {
            cluster.start().await?;
            true
        };
        let users = lock(cluster.users_lock_path(), LockKind::Shared).await?;
        Ok(Self {
            cluster,
            started_by_us,
            users_lock: Mutex::new(Some(users)),
        })
    }

    /// Connection URL for `database` over the Unix socket, user `postgres`, e.g. `postgres://postgres@localhost:5432/DB?host=%2Fabs%2Fpath`.
    pub fn url(&self, database: &str) -> String {
        self.cluster.url(database)
    }

    /// Stop the server if this process started it (pg_ctl stop -m fast). Idempotent.
    ///
    /// If another process still uses the server, it is left running for that
    /// process (and reused by the next `ensure_running`) rather than pulled
    /// from under it.
    pub async fn stop(&self) -> Result<(), EmbeddedError> {
        let Some(users) = self.take_users_lock() else {
            return Ok(());
        };
        if !self.started_by_us {
            drop(users);
            return Ok(());
        }
        let _setup = lock(self.cluster.setup_lock_path(), LockKind::Exclusive).await?;
        if is_only_user(&users, &self.cluster.users_lock_path())? {
            self.cluster.stop_server().await
        } else {
            tracing::info!(dir = %self.cluster.dir.display(), "leaving embedded PostgreSQL running: someone else still uses it");
            Ok(())
        }
    }

    fn take_users_lock(&self) -> Option<File> {
        self.users_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Where the cluster lives and how to run its tools.
struct Cluster {
    /// Absolute data root; holds the lock files and the cluster directory.
    root: PathBuf,
    /// `<root>/postgres`: the PostgreSQL data directory and socket directory.
    dir: PathBuf,
    bin: PathBuf,
    /// True when we are root and must run the tools as `postgres`.
    as_postgres_user: bool,
}

impl Cluster {
    /// Resolve paths and binaries and check everything we can before touching the cluster.
    async fn locate(data_root: &Path) -> Result<Self, EmbeddedError> {
        let root = std::path::absolute(data_root)
            .map_err(io_error(format!("resolving {}", data_root.display())))?;
        let dir = root.join("postgres");
        check_socket_dir(&dir)?;
        let bin = find_bin_dir().await?;
        let as_postgres_user = is_root().await?;
        tokio::fs::create_dir_all(&root)
            .await
            .map_err(io_error(format!("creating {}", root.display())))?;
        let cluster = Self {
            root,
            dir,
            bin,
            as_postgres_user,
        };
        if as_postgres_user {
            cluster.check_postgres_user_access().await?;
        }
        Ok(cluster)
    }

    fn setup_lock_path(&self) -> PathBuf {
        self.root.join("postgres.lock")
    }

    fn users_lock_path(&self) -> PathBuf {
        self.root.join("postgres.users.lock")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    fn url(&self, database: &str) -> String {
        format!(
            "postgres://{POSTGRES_USER}@localhost:{PORT}/{}?host={}",
            percent_encode(database),
            percent_encode(&self.dir.to_string_lossy()),
        )
    }

    /// A tool from the bin directory, run as `postgres` when we are root.
    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        let mut command = if self.as_postgres_user {
            let mut runuser = Command::new("runuser");
            runuser.args(["-u", POSTGRES_USER, "--"]).arg(program);
            runuser
        } else {
            Command::new(program)
        };
        // The caller's working directory (e.g. /root) may be closed to `postgres`.
        command.current_dir(&self.root);
        command
    }

    /// Fail with one clear line now rather than with an obscure initdb or
    /// pg_ctl error later.
    async fn check_postgres_user_access(&self) -> Result<(), EmbeddedError> {
        let mut id = Command::new("id");
        id.args(["-u", POSTGRES_USER]);
        if !output(id).await?.status.success() {
            return Err(EmbeddedError::NoPostgresUser);
        }
        if self.postgres_user_can_traverse(&self.root).await? {
            return Ok(());
        }
        let mut ancestors: Vec<&Path> = self.root.ancestors().collect();
        ancestors.reverse();
        for dir in ancestors {
            if !self.postgres_user_can_traverse(dir).await? {
                return Err(EmbeddedError::NotTraversable(dir.to_path_buf()));
            }
        }
        Err(EmbeddedError::NotTraversable(self.root.clone()))
    }

    async fn postgres_user_can_traverse(&self, dir: &Path) -> Result<bool, EmbeddedError> {
        let mut test = Command::new("runuser");
        test.args(["-u", POSTGRES_USER, "--", "test", "-x"])
            .arg(dir)
            .current_dir("/");
        Ok(output(test).await?.status.success())
    }

    async fn is_initialized(&self) -> Result<bool, EmbeddedError> {
        let marker = self.dir.join("PG_VERSION");
        tokio::fs::try_exists(&marker)
            .await
            .map_err(io_error(format!("checking {}", marker.display())))
    }

    /// Run initdb in a staging directory and move it into place, so an
    /// interrupted initdb never leaves a half-made cluster at `dir`.
    async fn init(&self) -> Result<(), EmbeddedError> {
        self.remove_empty_dir().await?;
        let staging = self.root.join("postgres.initdb");
        remove_dir_if_present(&staging).await?;
        tokio::fs::create_dir(&staging)
            .await
            .map_err(io_error(format!("creating {}", staging.display())))?;
        if self.as_postgres_user {
            let mut chown = Command::new("chown");
            chown
                .args(["-R", &format!("{POSTGRES_USER}:{POSTGRES_USER}")])
                .arg(&staging);
            run(chown).await?;
        }
        let mut initdb = self.tool("initdb");
        initdb.arg("-D").arg(&staging).args([
            "--auth=trust",
            "-U",
            POSTGRES_USER,
            "--encoding=UTF8",
            "--no-locale",
        ]);
        run(initdb).await?;
        tokio::fs::rename(&staging, &self.dir)
            .await
            .map_err(io_error(format!(
                "moving {} to {}",
                staging.display(),
                self.dir.display()
            )))
    }

    /// An empty `dir` (e.g. made by hand) is fine to replace; anything else
    /// might be someone's data.
    async fn remove_empty_dir(&self) -> Result<(), EmbeddedError> {
        match tokio::fs::remove_dir(&self.dir).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => {
                Err(EmbeddedError::ForeignDirectory(self.dir.clone()))
            }
            Err(source) => Err(EmbeddedError::Io {
                action: format!("removing empty {}", self.dir.display()),
                source,
            }),
        }
    }

    /// `pg_ctl status`: exit code 0 means running, 3 means not running.
    async fn is_running(&self) -> Result<bool, EmbeddedError> {
        let mut status = self.tool("pg_ctl");
        status.arg("status").arg("-D").arg(&self.dir);
        let command = describe(&status);
        let out = output(status).await?;
        match out.status.code() {
            Some(0) => Ok(true),
            Some(3) => Ok(false),
            _ => Err(EmbeddedError::CommandFailed {
                command,
                detail: one_line(&out),
            }),
        }
    }

    /// postmaster.pid can name a live but unrelated process (PIDs are reused
    /// after a reboot), or a server listening elsewhere: only a connection
    /// proves we can reuse it.
    async fn probe(&self) -> Result<(), EmbeddedError> {
        let unreachable = |e: sqlx::Error| EmbeddedError::Unreachable {
            dir: self.dir.clone(),
            reason: e.to_string(),
        };
        let conn = PgConnection::connect(&self.url("postgres"))
            .await
            .map_err(unreachable)?;
        conn.close().await.map_err(unreachable)
    }

    async fn start(&self) -> Result<(), EmbeddedError> {
        let log = self.log_path();
        let log_start = tokio::fs::metadata(&log).await.map_or(0, |m| m.len());
        let mut pg_ctl = self.tool("pg_ctl");
        pg_ctl
            .args(["start", "-w", "-D"])
            .arg(&self.dir)
            .arg("-l")
            .arg(&log)
            .arg("-o")
            .arg(self.server_options());
        let out = output(pg_ctl).await?;
        if !out.status.success() {
            let reason = last_problem(&log, log_start)
                .await
                .unwrap_or_else(|| one_line(&out));
            return Err(EmbeddedError::StartFailed { reason, log });
        }
        tracing::info!(dir = %self.dir.display(), "started embedded PostgreSQL");
        Ok(())
    }

    /// Socket-only server; durable defaults otherwise. pg_ctl hands this to a
    /// shell, which is why `check_socket_dir` rejects quoting characters.
    fn server_options(&self) -> String {
        format!(
            "-c listen_addresses='' -k '{}' -p {PORT} -c unix_socket_permissions=0700 -c shared_buffers=128MB",
            self.dir.display()
        )
    }

    async fn stop_server(&self) -> Result<(), EmbeddedError> {
        let mut pg_ctl = self.tool("pg_ctl");
        pg_ctl
            .args(["stop", "-w", "-m", "fast", "-D"])
            .arg(&self.dir);
        run(pg_ctl).await?;
        tracing::info!(dir = %self.dir.display(), "stopped embedded PostgreSQL");
        Ok(())
    }
}

/// The data directory doubles as the socket directory, and pg_ctl passes it
/// through `sh`, so reject what a shell or `sun_path` cannot take.
fn check_socket_dir(dir: &Path) -> Result<(), EmbeddedError> {
    let text = dir
        .to_str()
        .filter(|s| !s.contains(['\'', '"', '\\', '$', '`', '\n']))
        .ok_or_else(|| EmbeddedError::UnsupportedPath(dir.to_path_buf()))?;
    let socket = format!("{text}/.s.PGSQL.{PORT}");
    if socket.len() > MAX_SOCKET_PATH_BYTES {
        return Err(EmbeddedError::SocketPathTooLong {
            len: socket.len(),
            path: socket,
        });
    }
    Ok(())
}

/// PG_BIN, else `pg_config --bindir` (if it holds the server, which
/// libpq-dev alone does not), else the newest Debian-installed major version.
async fn find_bin_dir() -> Result<PathBuf, EmbeddedError> {
    if let Some(dir) = std::env::var_os("PG_BIN").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        return if has_server_tools(&dir) {
            Ok(dir)
        } else {
            Err(EmbeddedError::BadPgBin(dir))
        };
    }
    if let Some(dir) = pg_config_bindir().await.filter(|d| has_server_tools(d)) {
        return Ok(dir);
    }
    newest_debian_bindir().ok_or(EmbeddedError::BinariesNotFound)
}

fn has_server_tools(dir: &Path) -> bool {
    SERVER_TOOLS.iter().all(|tool| dir.join(tool).is_file())
}

async fn pg_config_bindir() -> Option<PathBuf> {
    let out = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .output()
        .await
        .ok()?;
    let dir = String::from_utf8(out.stdout).ok()?;
    out.status.success().then(|| PathBuf::from(dir.trim()))
}

fn newest_debian_bindir() -> Option<PathBuf> {
    std::fs::read_dir(DEBIAN_VERSIONS_DIR)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = parse_version(entry.file_name().to_str()?)?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_server_tools(bin))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, bin)| bin)
}

/// "9.6" -> [9, 6], so that 10 sorts above 9.6 (text order would not).
fn parse_version(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

/// We have no libc binding for geteuid, and `id` is always there.
async fn is_root() -> Result<bool, EmbeddedError> {
    let mut id = Command::new("id");
    id.arg("-u");
    let out = run(id).await?;
    Ok(String::from_utf8_lossy(&out.stdout).trim() == "0")
}

async fn remove_dir_if_present(dir: &Path) -> Result<(), EmbeddedError> {
    match tokio::fs::remove_dir_all(dir).await {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(io_error(format!("removing {}", dir.display()))(e))
        }
        _ => Ok(()),
    }
}

/// The last error the server logged since `offset`, for a one-line reason.
async fn last_problem(log: &Path, offset: u64) -> Option<String> {
    let bytes = tokio::fs::read(log).await.ok()?;
    let fresh = bytes.get(usize::try_from(offset).ok()?..)?;
    let text = String::from_utf8_lossy(fresh);
    let lines = nonblank_lines(&text);
    let problem = lines
        .iter()
        .rev()
        .find(|line| ["FATAL", "PANIC", "ERROR"].iter().any(|k| line.contains(k)));
    problem.or(lines.last()).map(|line| (*line).to_owned())
}

enum LockKind {
    Shared,
    Exclusive,
}

/// Open `path` and wait for a lock on it; the lock lasts as long as the file.
async fn lock(path: PathBuf, kind: LockKind) -> Result<File, EmbeddedError> {
    let action = format!("locking {}", path.display());
    tokio::task::spawn_blocking(move || {
        let file = open_lock_file(&path)?;
        match kind {
            LockKind::Shared => file.lock_shared()?,
            LockKind::Exclusive => file.lock()?,
        }
        Ok(file)
    })
    .await
    .unwrap_or_else(|join| Err(io::Error::other(join)))
    .map_err(io_error(action))
}

/// Whether our shared lock on the users file can become exclusive.
///
/// We upgrade our own lock (flock converts it) rather than release it and
/// lock the file anew: a child that another thread is just forking holds a
/// copy of our descriptor, and with it our shared lock, until it execs, which
/// would make a fresh lock attempt see a phantom user.
fn is_only_user(users: &File, path: &Path) -> Result<bool, EmbeddedError> {
    match users.try_lock() {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(e)) => Err(io_error(format!("locking {}", path.display()))(e)),
    }
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Run to completion; a non-zero exit is an error carrying its output.
async fn run(command: Command) -> Result<Output, EmbeddedError> {
    let description = describe(&command);
    let out = output(command).await?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(EmbeddedError::CommandFailed {
            command: description,
            detail: one_line(&out),
        })
    }
}

/// Run to completion with captured output, whatever the exit status.
async fn output(mut command: Command) -> Result<Output, EmbeddedError> {
    command.stdin(Stdio::null());
    command
        .output()
        .await
        .map_err(|source| EmbeddedError::Spawn {
            command: describe(&command),
            source,
        })
}

fn describe(command: &Command) -> String {
    let command = command.as_std();
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A tool's stderr (else stdout) folded into one line for an error message.
fn one_line(out: &Output) -> String {
    let stream = if out.stderr.iter().any(|b| !b.is_ascii_whitespace()) {
        &out.stderr
    } else {
        &out.stdout
    };
    let text = String::from_utf8_lossy(stream);
    let lines = nonblank_lines(&text);
    if lines.is_empty() {
        format!("exited with {} and no output", out.status)
    } else {
        lines.join("; ")
    }
}

fn nonblank_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
}

fn io_error(action: String) -> impl FnOnce(io::Error) -> EmbeddedError {
    move |source| EmbeddedError::Io { action, source }
}

/// Percent-encode everything but RFC 3986 unreserved characters. Encoding
/// `+` matters: URL query decoding would turn it into a space.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, Instant};

    use super::*;

    /// A short, `postgres`-traversable temp dir (TempDir is created 0700).
    fn data_root() -> tempfile::TempDir {
        let dir = tempfile::Builder::new()
            .prefix("embpg")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        dir
    }

    /// Stops the server even when an assertion fails, which would otherwise
    /// leave it running on a deleted temp dir.
    struct StopOnDrop<'a>(&'a Cluster);

    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            let mut pg_ctl = self.0.tool("pg_ctl");
            pg_ctl
                .args(["stop", "-m", "immediate", "-D"])
                .arg(&self.0.dir);
            let _ = pg_ctl.as_std_mut().output();
        }
    }

    #[tokio::test]
    async fn starts_reuses_and_stops_a_private_cluster() {
        let root = data_root();
        let pg = EmbeddedPostgres::ensure_running(root.path()).await.unwrap();
        let _cleanup = StopOnDrop(&pg.cluster);
        assert!(pg.started_by_us);
        let mut conn = PgConnection::connect(&pg.url("postgres")).await.unwrap();
        let one: i32 = sqlx::query_scalar("select 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(one, 1);
        conn.close().await.unwrap();

        let reuse_began = Instant::now();
        let reused = EmbeddedPostgres::ensure_running(root.path()).await.unwrap();
        assert!(!reused.started_by_us);
        let reuse_took = reuse_began.elapsed();
        assert!(
            reuse_took < Duration::from_secs(5),
            "reuse took {reuse_took:?}"
        );
        reused.stop().await.unwrap();
        assert!(
            pg.cluster.is_running().await.unwrap(),
            "stopped a server it did not start"
        );

        pg.stop().await.unwrap();
        assert!(!pg.cluster.is_running().await.unwrap());
        pg.stop().await.unwrap();
    }

    #[tokio::test]
    async fn stop_leaves_the_server_to_its_remaining_users() {
        let root = data_root();
        let pg = EmbeddedPostgres::ensure_running(root.path()).await.unwrap();
        let _cleanup = StopOnDrop(&pg.cluster);
        let other_user = EmbeddedPostgres::ensure_running(root.path()).await.unwrap();
        pg.stop().await.unwrap();
        assert!(pg.cluster.is_running().await.unwrap());
        PgConnection::connect(&other_user.url("postgres"))
            .await
            .unwrap()
            .close()
            .await
            .unwrap();
        other_user.stop().await.unwrap();
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(parse_version("10") > parse_version("9.6"));
        assert_eq!(parse_version("main"), None);
    }

    #[test]
    fn socket_dir_is_percent_encoded_in_the_url() {
        let cluster = Cluster {
            root: PathBuf::from("/d"),
            dir: PathBuf::from("/d+x/postgres"),
            bin: PathBuf::new(),
            as_postgres_user: false,
        };
        assert_eq!(
            cluster.url("app"),
            "postgres://postgres@localhost:5432/app?host=%2Fd%2Bx%2Fpostgres"
        );
    }

    #[test]
    fn overlong_socket_paths_are_refused() {
        let dir = PathBuf::from(format!("/{}", "x".repeat(100)));
        assert!(matches!(
            check_socket_dir(&dir),
            Err(EmbeddedError::SocketPathTooLong { .. })
        ));
    }
}
