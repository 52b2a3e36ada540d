//! The letter bench (`bench/run`): how long an offer letter's PDF takes to
//! make in-process, as drafting or changing an offer makes it: the default
//! template merged with an offer's values, laid out and written with its
//! font subset. Prints `letter PDF: p50 X ms, p95 Y ms, p99 Z ms (N
//! letters, K KiB each)`.
//!
//! Environment: `LETTER_COUNT` (500, the letters made).

use hiring_hare::domain::offering::letter;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = std::env::var("LETTER_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let mut values = letter::Values::new();
    for (field, _) in letter::FIELDS {
        values.set(field, "x");
    }
    values
        .set("candidate_name", "Zoë Łukasiewicz")
        .set("candidate_first_name", "Zoë")
        .set("job_title", "Senior platform engineer")
        .set("salary", "85,000 EUR a year")
        .set("start_date", "1 March 2027")
        .set("expiry_date", "15 February 2027")
        .set("company_name", "Hiring Hare Demo");
    let mut took = Vec::with_capacity(count);
    let mut size = 0;
    for _ in 0..count {
        let started = Instant::now();
        let merged = letter::merge(letter::DEFAULT_TEMPLATE, &values);
        let pdf = letter::pdf(&merged, "Offer to Zoë Łukasiewicz")?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
        size = pdf.len();
    }
    took.sort_by(f64::total_cmp);
    let at = |q: f64| took[((took.len() as f64 * q) as usize).min(took.len() - 1)];
    println!(
        "letter PDF: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms ({count} letters, {} KiB each)",
        at(0.50),
        at(0.95),
        at(0.99),
        size / 1024
    );
    Ok(())
}
