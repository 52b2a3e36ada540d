//! Threads of our own for work that holds a core for a while: password
//! hashing, reading a resume's text. Not the async runtime (it would stall
//! every request on that worker) and not tokio's blocking pool (it grows
//! to 512 threads, each keeping what it allocated): a burst queues here
//! instead, on a fixed few threads.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// Its threads are gone (none could start): the work cannot run.
#[derive(Debug, thiserror::Error)]
#[error("the {0} threads are gone")]
pub struct Closed(&'static str);

pub struct Pool {
    name: &'static str,
    queue: mpsc::Sender<Job>,
}

impl Pool {
    /// Starts `threads` threads named `name-n`, each at CPU priority
    /// `nice` (0 as usual; 19, the lowest, for work that can wait while
    /// pages are served). Should none start, the queue has no receiver and
    /// every [`Pool::run`] is [`Closed`] rather than a wait forever.
    pub fn start(name: &'static str, threads: usize, nice: i32) -> Pool {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads {
            let jobs = Arc::clone(&jobs);
            let _ = std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || {
                    lower_priority(nice);
                    loop {
                        // The lock is held only while taking a job, not
                        // while running it.
                        let job = match jobs.lock() {
                            Ok(jobs) => jobs.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
        }
        Pool { name, queue }
    }

    /// Runs `work` on one of the threads and waits for its answer.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Closed> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.queue
            .send(Box::new(move || {
                let _ = tx.send(work());
            }))
            .map_err(|_| Closed(self.name))?;
        rx.await.map_err(|_| Closed(self.name))
    }
}

/// Sets the calling thread's nice value (Linux keeps one per thread).
fn lower_priority(nice: i32) {
    if nice == 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: gettid has no preconditions; setpriority on our own thread id
    // only changes its scheduling priority, and a failure (say, a sandbox
    // refusing it) leaves the thread as it was.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice);
    }
}
