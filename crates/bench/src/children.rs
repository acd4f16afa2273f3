//! Child processes that never outlive the bench.
//!
//! Every child is spawned through [`ChildGuard::spawn`], which records it in a process-wide
//! registry. It is killed and reaped when its guard is dropped or stopped, when the bench
//! panics (the release profile aborts on panic, so `Drop` alone would not run), and when the
//! bench receives SIGINT, SIGTERM or SIGHUP (see [`install_exit_handlers`]).

use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

struct Entry {
    id: u64,
    child: Child,
}

static CHILDREN: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static HANDLERS: Once = Once::new();

fn registry() -> MutexGuard<'static, Vec<Entry>> {
    CHILDREN.lock().unwrap_or_else(PoisonError::into_inner)
}

fn remove(id: u64) -> Option<Child> {
    let mut children = registry();
    let index = children.iter().position(|entry| entry.id == id)?;
    Some(children.swap_remove(index).child)
}

fn kill_and_reap(child: &mut Child) -> Option<ExitStatus> {
    // Killing a child that already exited fails harmlessly; waiting reaps it either way.
    let _ = child.kill();
    child.wait().ok()
}

/// Kills and reaps every registered child. Safe to call from a panic hook: if the registry
/// is locked (the panic happened while it was held), it gives up rather than deadlock.
pub fn kill_all() {
    let drained: Vec<Entry> = match CHILDREN.try_lock() {
        Ok(mut children) => children.drain(..).collect(),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => {
            poisoned.into_inner().drain(..).collect()
        }
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    for mut entry in drained {
        kill_and_reap(&mut entry.child);
    }
}

/// Installs, once, a panic hook and a signal thread that kill every registered child before
/// the bench goes away. Call it first thing in `main`.
pub fn install_exit_handlers() -> Result<()> {
    let mut outcome = Ok(());
    HANDLERS.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            kill_all();
            previous(info);
        }));
        outcome = std::thread::Builder::new()
            .name("bench-signals".to_owned())
            .spawn(wait_for_signals)
            .map(drop)
            .context("could not start the signal-handling thread");
    });
    outcome
}

fn wait_for_signals() {
    use tokio::signal::unix::{SignalKind, signal};
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bench: no signal handling ({error}); children are still killed on exit");
            return;
        }
    };
    let code = runtime.block_on(async {
        let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
        ) else {
            eprintln!("bench: could not install signal handlers");
            return None;
        };
        tokio::select! {
            _ = int.recv() => Some(130),
            _ = term.recv() => Some(143),
            _ = hup.recv() => Some(129),
        }
    });
    if let Some(code) = code {
        eprintln!("bench: interrupted; stopping child processes");
        kill_all();
        std::process::exit(code);
    }
}

/// A registered child process: killed and reaped when dropped.
#[derive(Debug)]
pub struct ChildGuard {
    id: u64,
    pid: u32,
    name: String,
}

impl ChildGuard {
    /// Spawns `command` and registers the child under `name` (used in messages).
    pub fn spawn(name: &str, command: &mut Command) -> Result<Self> {
        // The registry is held across the spawn so that a signal arriving meanwhile cannot
        // miss the new child.
        let mut children = registry();
        let child = command.spawn().with_context(|| format!("could not start {name}"))?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let pid = child.id();
        children.push(Entry { id, child });
        Ok(Self { id, pid, name: name.to_owned() })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    fn with_child<R>(&self, f: impl FnOnce(&mut Child) -> R) -> Option<R> {
        let mut children = registry();
        children.iter_mut().find(|entry| entry.id == self.id).map(|entry| f(&mut entry.child))
    }

    /// The child's stdout pipe, if it was piped and not taken yet.
    pub fn take_stdout(&self) -> Option<ChildStdout> {
        self.with_child(|child| child.stdout.take()).flatten()
    }

    /// The child's stderr pipe, if it was piped and not taken yet.
    pub fn take_stderr(&self) -> Option<ChildStderr> {
        self.with_child(|child| child.stderr.take()).flatten()
    }

    /// The exit status if the child has exited (it stays registered until dropped).
    pub fn try_wait(&self) -> Result<Option<ExitStatus>> {
        match self.with_child(Child::try_wait) {
            Some(result) => result.with_context(|| format!("could not check on {}", self.name)),
            None => anyhow::bail!("{} is no longer tracked", self.name),
        }
    }

    /// Waits up to `limit` for the child to exit by itself; on timeout it is killed and an
    /// error names it.
    pub fn wait_timeout(self, limit: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let name = self.name.clone();
                drop(self);
                anyhow::bail!("{name} did not finish within {} s; killed it", limit.as_secs());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the child (if still running) and reaps it.
    pub fn stop(self) -> Option<ExitStatus> {
        // Drop then finds nothing left to do.
        remove(self.id).and_then(|mut child| kill_and_reap(&mut child))
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut child) = remove(self.id) {
            kill_and_reap(&mut child);
        }
    }
}
