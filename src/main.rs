//! Hiring Hare: one binary for the web app, the background workers and the
//! operator commands (see `hiring_hare::cli`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match hiring_hare::cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
