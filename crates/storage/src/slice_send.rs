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
    send_parts_nonblocking(fd, &[bytes])
}

/// Most parts [`send_parts_nonblocking`] takes: a response's head, records and tail.
const PARTS_MAX: usize = 3;

/// `sendmsg(2)` of `parts` in order, one call for all of them, with `MSG_DONTWAIT` until all
/// are sent or the socket is full; returns the bytes sent. At most [`PARTS_MAX`] parts.
pub(crate) fn send_parts_nonblocking(fd: RawFd, parts: &[&[u8]]) -> Result<usize> {
    assert!(parts.len() <= PARTS_MAX, "at most {PARTS_MAX} parts");
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut sent = 0usize;
    while sent < total {
        // The iovecs of what is left: whole parts already sent are skipped, then one may start mid-way.
        let mut iov = [libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        }; PARTS_MAX];
        let mut count = 0;
        let mut skip = sent;
        for part in parts {
            if skip >= part.len() {
                skip -= part.len();
                continue;
            }
            let rest = &part[skip..];
            skip = 0;
            iov[count] = libc::iovec {
                iov_base: rest.as_ptr().cast_mut().cast(),
                iov_len: rest.len(),
            };
            count += 1;
        }
        // SAFETY: a zeroed msghdr is valid (no address, no control data).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = iov.as_mut_ptr();
        // `count` <= PARTS_MAX; the field's integer type differs between platforms.
        msg.msg_iovlen = count as _;
        // SAFETY: `msg` points at `count` iovecs, each describing a live slice of `parts` that the
        // kernel only reads; the kernel validates `fd`. MSG_NOSIGNAL: a closed peer is an EPIPE
        // error, not a signal.
        let n = unsafe { libc::sendmsg(fd, &msg, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) };
        if n >= 0 {
            // 0 <= n <= the bytes described, a usize.
            sent += n as usize;
            continue;
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => {}
            Some(libc::EAGAIN) => break,
            _ => {
                return Err(StorageError::Network {
                    context: format!("send to fd {fd} with {} bytes left", total - sent),
                    source: err,
                })
            }
        }
    }
    Ok(sent)
}
