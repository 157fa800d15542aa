//! The threads that lay letters out, one per core, for the whole run: fed
//! jobs in the order they are queued, handing each letter back as it is
//! made.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use super::letters::{Envelopes, Unmade};
use super::{Bug, Error};
use crate::model::Account;
use crate::policy::Stage;
use crate::run_folder::OutputError;

/// Typst's memo cache is trimmed after every this many letters per thread,
/// by whichever thread makes that letter, while the others go on laying out
/// theirs (comemo allows that). Trimming at a barrier instead, with every
/// thread idle, cost ~12% of the run (10,000 accounts: 304 vs 346 letters/s,
/// peak 73 vs 69 MiB). Trimming less often only cost memory.
const LETTERS_BETWEEN_TRIMS: usize = 4;
/// What Typst laid out for earlier letters is kept while a letter since the
/// last trim used it: the layout's fixed parts (letterhead, labels, the
/// wording's set paragraphs) are laid out once per run, each letter's own
/// lines are dropped at the next trim but one. Clearing it all instead made
/// layout ~20% slower (1.95 vs 1.6 s of layout for 659 letters) for 7 MiB less.
const CACHE_AGE: usize = 1;

/// One envelope to make: its partition's number and its own among the
/// partition's jobs, the accounts it carries (one, or a household's) each
/// with its stage, and its piece id.
pub(super) struct Job {
    pub part: u64,
    pub index: usize,
    pub accounts: Vec<(Account, Stage)>,
    pub piece: String,
    /// Whether to draw its first page for the run's report.
    pub picture: bool,
}

/// An envelope as a render thread hands it back: its job's partition and
/// index, and its letters, unless writing one failed.
type Finished = ((u64, usize), Result<Envelopes, OutputError>);

/// How a render thread makes one envelope.
pub(super) type MakeOne<'env> = dyn Fn(&Job) -> Result<Envelopes, OutputError> + Sync + 'env;

/// The render threads. Letters are not rayon tasks: Typst queues its own
/// work on rayon, and a letter waiting on that work would pick up other
/// letters meanwhile (measured 5% slower). Threads that last the run, rather
/// than new ones for every batch, keep the allocator from spreading memory
/// over ever more arenas (peak 78 MiB rather than 105 MiB at 100,000
/// accounts).
pub(super) struct Workers {
    jobs: mpsc::Sender<Job>,
    done: mpsc::Receiver<Finished>,
    /// Set when the run stops early (a letter could not be written), so
    /// that the threads drop the letters still queued instead of making them.
    stopping: Arc<AtomicBool>,
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::Relaxed);
    }
}

impl Workers {
    pub fn start<'scope, 'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        threads: usize,
        make: &'env MakeOne<'env>,
    ) -> Result<Workers, Error> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let (finished, done) = mpsc::channel();
        let letters = Arc::new(AtomicUsize::new(0));
        let stopping = Arc::new(AtomicBool::new(false));
        let trim_every = LETTERS_BETWEEN_TRIMS * threads;
        for n in 0..threads {
            let (queue, finished, letters, stopping) =
                (queue.clone(), finished.clone(), letters.clone(), stopping.clone());
            std::thread::Builder::new()
                .name(format!("kindly-render-{n}"))
                .stack_size(crate::render::TYPST_STACK)
                .spawn_scoped(scope, move || {
                    on_own_pool(|| {
                        while let Ok(Ok(job)) = queue.lock().map(|q| q.recv()) {
                            if stopping.load(Ordering::Relaxed) {
                                break;
                            }
                            let made = make_caught(make, &job);
                            if (letters.fetch_add(1, Ordering::Relaxed) + 1) % trim_every == 0 {
                                comemo::evict(CACHE_AGE);
                            }
                            if finished.send(((job.part, job.index), made)).is_err() {
                                break;
                            }
                        }
                    })
                })
                .map_err(Error::Thread)?;
        }
        Ok(Workers { jobs, done, stopping })
    }

    /// Queues jobs, to be made after those queued before them.
    pub fn queue(&self, jobs: Vec<Job>) -> Result<(), Error> {
        for job in jobs {
            self.jobs.send(job).map_err(|_| Error::from(Bug::RenderThreadStopped))?;
        }
        Ok(())
    }

    /// The next envelope made, of whichever queued job: its partition and
    /// index, and its letters.
    pub fn next(&self) -> Result<((u64, usize), Envelopes), Error> {
        let (job, made) = self.done.recv().map_err(|_| Error::from(Bug::RenderThreadStopped))?;
        Ok((job, made?))
    }
}

/// Runs `work` with this thread as the only thread of a rayon pool of its
/// own, so that the work Typst hands to rayon while laying out and
/// exporting a letter (each page run's layout, each page's compression) is
/// done right here, in turn, instead of on the global pool while this
/// thread sleeps until it is done. With the global pool, every letter
/// passed its work back and forth between threads a dozen times, and with
/// two letters at once the pool's threads and the letters' threads took the
/// cores from each other.
/// If the pool cannot be made (this thread already belongs to one), the
/// letters are the same, made the slower way. rayon documents that it
/// never frees such a pool's registry: a small leak per render thread per
/// run, which a `kindly` process makes once.
fn on_own_pool(work: impl FnOnce() + Send) {
    match rayon::ThreadPoolBuilder::new().num_threads(1).use_current_thread().build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// A panic inside Typst holds that one envelope's accounts, with the
/// reason, instead of stopping the run.
fn make_caught(make: &MakeOne, job: &Job) -> Result<Envelopes, OutputError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| make(job))).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let unmade = Unmade::RenderFailed {
            message: format!("Typst stopped with an internal error: {message}"),
        };
        Ok(vec![(0..job.accounts.len(), Err(unmade))])
    })
}
