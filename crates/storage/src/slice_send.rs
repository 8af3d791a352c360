//! The socket end of sending a [`crate::FileSlice`]: corking (so a response's head, records
//! and tail leave in full segments) and a send of the response's own bytes that never blocks.
//! Everything else done to sockets (buffer sizes, the descriptor copy a pooled send holds,
//! shutdown, the kernel TLS probe) belongs to the binding, which owns Node's sockets
//! (native/src/socket.rs). Every function takes a raw descriptor, which the caller must keep
//! open for the call.

use std::io;
use std::os::fd::RawFd;

use crate::error::{Result, StorageError};

/// `TCP_CORK` on a socket for as long as the guard lives: partial segments wait until it
/// is dropped (which sends them) instead of leaving as small packets. Does nothing where the
/// option does not apply (not a TCP socket).
pub(crate) struct Cork(RawFd);

impl Cork {
    pub(crate) fn new(fd: RawFd) -> Option<Self> {
        set_cork(fd, 1).then_some(Cork(fd))
    }
}

impl Drop for Cork {
    fn drop(&mut self) {
        set_cork(self.0, 0);
    }
}

/// Linux's `TCP_CORK`; the BSDs and macOS call the same hold-partial-segments option
/// `TCP_NOPUSH`.
#[cfg(target_os = "linux")]
const TCP_HOLD_PARTIAL_SEGMENTS: libc::c_int = libc::TCP_CORK;
#[cfg(not(target_os = "linux"))]
const TCP_HOLD_PARTIAL_SEGMENTS: libc::c_int = libc::TCP_NOPUSH;

fn set_cork(fd: RawFd, on: libc::c_int) -> bool {
    // SAFETY: `on` is a live c_int and we pass its exact size; the kernel validates `fd`.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            TCP_HOLD_PARTIAL_SEGMENTS,
            std::ptr::from_ref(&on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    rc == 0
}

/// `send(2)` of `bytes` with `MSG_DONTWAIT` until all are sent or the socket is full;
/// returns the bytes sent.
pub(crate) fn send_nonblocking(fd: RawFd, bytes: &[u8]) -> Result<usize> {
    let mut sent = 0;
    while sent < bytes.len() {
        let rest = &bytes[sent..];
        // SAFETY: `rest` is a live, initialised slice of `rest.len()` bytes; the kernel
        // validates `fd`. MSG_NOSIGNAL: a closed peer is an EPIPE error, not a signal.
        let n = unsafe {
            libc::send(
                fd,
                rest.as_ptr().cast(),
                rest.len(),
                libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            )
        };
        if n >= 0 {
            // n <= rest.len(), which is a usize.
            sent += n as usize;
            continue;
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => {}
            Some(libc::EAGAIN) => break,
            _ => {
                return Err(StorageError::Network {
                    context: format!("send to fd {fd} with {} bytes left", rest.len()),
                    source: err,
                })
            }
        }
    }
    Ok(sent)
}
