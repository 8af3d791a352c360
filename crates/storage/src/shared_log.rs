//! [`SharedLog`]: one partition's [`Log`] shared between the thread that owns the partition
//! (Node's main thread, through the binding) and worker threads (appends, flushes and cleans
//! on the libuv thread pool).
//!
//! It owns the rules every caller must follow, so that they are tested here and not in the
//! binding:
//! - the log sits behind one mutex; [`SharedLog::with_log`] turns a closed log, a poisoned
//!   lock or a panic into a `KAFKA_STORAGE_ERROR` instead of unwinding into the caller;
//! - [`SharedLog::flush`] holds the lock only to plan and to record the result, not during
//!   the fsyncs, so appends and reads do not wait for the disk;
//! - [`SharedLog::clean`] runs at most one clean at a time (the clean gate) and holds the lock
//!   only to plan and to swap segments;
//! - [`SharedLog::close`] stops a running clean and waits until it has left the directory,
//!   then closes the log; every later call fails with "the log is closed".

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

use crate::cleaner::{clean, CleanOptions, CleanResult, LogLock};
use crate::error::{Result, StorageError};
use crate::log::Log;

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// Runs `f`, turning a panic into a `KAFKA_STORAGE_ERROR` ("internal error: ...").
pub fn catch_panics<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        Err(StorageError::storage_invalid_data(format!(
            "internal error: {}",
            panic_message(&*panic)
        )))
    })
}

/// Lets `close` stop a running clean and wait until it has left the log directory.
#[derive(Default)]
struct CleanGate {
    abort: AtomicBool,
    running: Mutex<bool>,
    idle: Condvar,
}

impl CleanGate {
    /// Takes the gate; `Ok(false)` when the log is closing (nothing to do).
    fn enter(&self) -> Result<bool> {
        let mut running = self
            .running
            .lock()
            .map_err(|_| StorageError::storage_invalid_data("clean gate poisoned"))?;
        if *running {
            return Err(StorageError::storage_invalid_data(
                "a clean of this log is already running",
            ));
        }
        if self.abort.load(Ordering::SeqCst) {
            return Ok(false);
        }
        *running = true;
        Ok(true)
    }

    fn leave(&self) {
        *self.running.lock().unwrap_or_else(PoisonError::into_inner) = false;
        self.idle.notify_all();
    }

    /// Asks a running clean to stop and waits for it (it checks before every batch).
    fn stop_and_wait(&self) {
        self.abort.store(true, Ordering::SeqCst);
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        while *running {
            running = self
                .idle
                .wait(running)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A log shared between threads; see the module documentation.
pub struct SharedLog {
    log: Mutex<Option<Log>>,
    gate: CleanGate,
}

impl SharedLog {
    #[must_use]
    pub fn new(log: Log) -> Self {
        Self {
            log: Mutex::new(Some(log)),
            gate: CleanGate::default(),
        }
    }

    /// Runs `f` on the open log under the lock.
    pub fn with_log<T>(&self, f: impl FnOnce(&mut Log) -> Result<T>) -> Result<T> {
        catch_panics(|| {
            let mut guard = self.log.lock().map_err(|_| {
                StorageError::storage_invalid_data(
                    "the log is unusable after an internal error (poisoned lock)",
                )
            })?;
            let log = guard
                .as_mut()
                .ok_or_else(|| StorageError::storage_invalid_data("the log is closed"))?;
            f(log)
        })
    }

    /// Writes everything appended so far to disk (fsync), without holding the lock meanwhile.
    pub fn flush(&self) -> Result<()> {
        let plan = self.with_log(|log| Ok(log.begin_flush()))?;
        let result = catch_panics(|| plan.run());
        self.with_log(|log| {
            log.complete_flush(&plan, result.is_ok());
            Ok(())
        })?;
        result
    }

    /// One cleaning pass (see [`crate::cleaner::clean`]). An error if another clean of this log
    /// is running; `aborted` in the result when the log is closing.
    pub fn clean(&self, options: &CleanOptions) -> Result<CleanResult> {
        if !self.gate.enter()? {
            return Ok(CleanResult {
                aborted: true,
                ..CleanResult::default()
            });
        }
        let result = catch_panics(|| clean(self, options, &self.gate.abort));
        self.gate.leave();
        result
    }

    /// Whether a clean holds the gate now.
    #[must_use]
    pub fn is_cleaning(&self) -> bool {
        *self
            .gate
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `close` has begun (a running clean stops at its next batch).
    #[must_use]
    pub fn is_closing(&self) -> bool {
        self.gate.abort.load(Ordering::SeqCst)
    }

    /// Stops a running clean, waits for it, and closes the log. Closing twice is not an error.
    pub fn close(&self) -> Result<()> {
        self.gate.stop_and_wait();
        catch_panics(|| {
            let log = self
                .log
                .lock()
                .map_err(|_| {
                    StorageError::storage_invalid_data(
                        "the log is unusable after an internal error (poisoned lock)",
                    )
                })?
                .take();
            log.map_or(Ok(()), Log::close)
        })
    }
}

impl LogLock for SharedLog {
    fn with_log<T>(&self, f: impl FnOnce(&mut Log) -> Result<T>) -> Result<T> {
        SharedLog::with_log(self, f)
    }
}
