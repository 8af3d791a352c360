//! A process-level backstop for shutdown (`shutdown.timeout.ms`): a plain OS thread that ends
//! the process after a deadline unless the process ended first. It runs outside Node's event
//! loop on purpose: it must fire even when the JavaScript thread is blocked (a synchronous
//! write to a pipe nobody reads, a hung file system), which no JS timer or signal handler can.
//! Mechanism only; when to arm it and with which deadline is the CLI's decision.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::Duration;

use napi_derive::napi;

/// Starts the watchdog: after `timeout_ms`, writes `message` and a newline to stderr (without
/// blocking: a full or dead stderr loses the message, not the exit) and ends the process with
/// `exit_code` through `_exit(2)`, which runs no exit handlers that could block in turn.
#[napi]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi-rs hands JavaScript arguments over by value; `#[expect]` is not met inside the macro expansion"
)]
pub fn arm_exit_watchdog(timeout_ms: u32, exit_code: i32, message: String) {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(u64::from(timeout_ms)));
        let stderr = std::io::stderr();
        let fd = stderr.as_raw_fd();
        // SAFETY: F_GETFL/F_SETFL on the process's own stderr descriptor, which stays open for
        // the life of the process; the flags are plain integers. Non-blocking, so that a full
        // pipe cannot stop the exit below.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
            }
        }
        let _ = writeln!(stderr.lock(), "{message}");
        // SAFETY: _exit ends the process at once; nothing in this thread runs after it, and no
        // Rust state needs dropping for correctness (the logs' data is already with the OS or
        // is what the deadline gives up on).
        unsafe { libc::_exit(exit_code) }
    });
}
