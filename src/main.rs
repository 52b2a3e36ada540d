//! Hiring Hare: one binary for the web app, the background workers and the
//! operator commands.

mod auth;
mod cli;
mod config;
mod db;
mod domain;
mod error;
mod mail;
mod seed;
mod server;
mod web;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
