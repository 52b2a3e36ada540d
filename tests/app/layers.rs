//! The domain knows no HTTP, templates, mail transport or sessions: no file
//! under `src/domain` may name axum, askama, lettre, tower-sessions or the
//! crate's `web`, `mail` and `auth` modules. Arrows only point down.

use std::path::Path;

const FORBIDDEN: &[&str] = &[
    "axum",
    "askama",
    "lettre",
    "tower_sessions",
    "crate::web",
    "crate::mail",
    "crate::auth",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The words of a line that is code: comments say what the domain is not,
/// and may name what it must not use.
fn code(line: &str) -> &str {
    line.split("//").next().unwrap_or_default()
}

fn offences(text: &str) -> Vec<String> {
    text.lines()
        .enumerate()
        .flat_map(|(n, line)| {
            FORBIDDEN
                .iter()
                .filter(move |name| {
                    code(line)
                        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                        .any(|word| word == **name || word.starts_with(&format!("{name}::")))
                })
                .map(move |name| format!("line {}: {name}", n + 1))
        })
        .collect()
}

#[test]
fn the_domain_names_no_web_mail_or_auth() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 10, "found the domain's files");
    let found: Vec<String> = files
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            offences(&text)
                .into_iter()
                .map(move |o| format!("{}: {o}", f.display()))
        })
        .collect();
    assert!(found.is_empty(), "the domain reaches up: {found:#?}");
}

#[test]
fn the_check_sees_what_it_looks_for() {
    assert_eq!(offences("use axum::extract::Path;").len(), 1);
    assert_eq!(offences("    crate::auth::Role::parse(x)").len(), 1);
    assert_eq!(offences("pub mail: &crate::mail::MailRenderer,").len(), 1);
    assert!(offences("// axum is the web's").is_empty());
    assert!(offences("use crate::domain::messaging::Letters; // not crate::mail").is_empty());
    assert!(offences("let mailbox = webhook;").is_empty());
}
