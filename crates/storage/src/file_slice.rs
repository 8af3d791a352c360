//! `FileSlice`: a byte range of a segment file, sent to a socket with `sendfile(2)`.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Result, StorageError};
use crate::page_cache;

/// How long [`FileSlice::send_to_fd`] waits for a non-blocking socket to become writable
/// before giving up.
pub const SEND_TIMEOUT_MS: u64 = 30_000;
/// Largest count passed to one `sendfile` call (Linux transfers at most 0x7ffff000 anyway).
pub const SENDFILE_CHUNK_BYTES_MAX: usize = 0x7fff_f000;

/// Whole record batches of one segment, `size` bytes from `position` (Kafka's
/// `FileRecords.slice`).
///
/// Holds the segment's file by `Arc`, so the descriptor stays open and the bytes stay
/// readable even if retention or truncation deletes the segment meanwhile (the unlinked
/// file lives until the last slice is dropped). Truncation of a still-live segment can
/// shorten the file under the slice; sending then fails rather than sending garbage.
///
/// Thread-safety: `Send + Sync`; every read is positional (`pread`/`sendfile` with an
/// explicit offset), so slices of one file can be sent from many threads at once.
#[derive(Debug, Clone)]
pub struct FileSlice {
    pub file: Arc<File>,
    pub position: u32,
    pub size: u32,
    /// Base offset of the first batch in the slice.
    pub first_offset: i64,
    /// Last offset of the last batch in the slice.
    pub last_offset: i64,
}

impl FileSlice {
    /// Copies the slice into memory with `pread` (the fallback when `sendfile` does not
    /// apply, e.g. TLS).
    pub fn read_to_vec(&self) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; self.size as usize];
        self.file
            .read_exact_at(&mut buf, u64::from(self.position))
            .map_err(|e| StorageError::storage("pread file slice", e))?;
        Ok(buf)
    }

    /// Sends the whole slice to `socket_fd` with `sendfile(2)`, from the page cache to the
    /// socket without passing through user space. Works with non-blocking sockets (Node's):
    /// on `EAGAIN` it waits with `poll(2)` for `POLLOUT`, failing with `RequestTimedOut` if
    /// no progress is possible for [`SEND_TIMEOUT_MS`]. Returns the bytes sent (= size).
    ///
    /// The caller must not write to the socket concurrently (the bytes would interleave).
    pub fn send_to_fd(&self, socket_fd: RawFd) -> Result<u64> {
        self.send_to_fd_from(socket_fd, 0, Duration::from_millis(SEND_TIMEOUT_MS))
    }

    /// [`Self::send_to_fd`] of the bytes from `skip` on (those before were sent already, by
    /// [`Self::send_cached_nonblocking`]), with an explicit stall timeout. Returns the bytes
    /// this call sent.
    pub fn send_to_fd_from(
        &self,
        socket_fd: RawFd,
        skip: u32,
        stall_timeout: Duration,
    ) -> Result<u64> {
        let skip = skip.min(self.size);
        let mut offset = libc::off_t::from(self.position) + libc::off_t::from(skip);
        let end = libc::off_t::from(self.position) + libc::off_t::from(self.size);
        let mut last_progress = Instant::now();
        while offset < end {
            match self.sendfile_once(socket_fd, &mut offset, end)? {
                SendStep::Progress => last_progress = Instant::now(),
                SendStep::Interrupted => {}
                SendStep::SocketFull => {
                    let waited = last_progress.elapsed();
                    if waited >= stall_timeout {
                        return Err(StorageError::RequestTimedOut(format!(
                            "socket not writable for {} ms with {} bytes left to send",
                            waited.as_millis(),
                            end - offset
                        )));
                    }
                    wait_writable(socket_fd, stall_timeout.saturating_sub(waited))?;
                }
            }
        }
        Ok(u64::from(self.size - skip))
    }

    /// Sends what it can without blocking the calling thread, for callers on an event loop:
    /// nothing unless every page of the slice is in the page cache (so `sendfile` cannot
    /// wait for the disk), then until the slice is sent or the socket's buffer is full.
    /// Returns the bytes sent; [`Self::send_to_fd_from`] sends the rest, off the loop.
    pub fn send_cached_nonblocking(&self, socket_fd: RawFd) -> Result<u32> {
        if self.size == 0 || !self.is_cached() {
            return Ok(0);
        }
        let start = libc::off_t::from(self.position);
        let end = start + libc::off_t::from(self.size);
        let mut offset = start;
        while offset < end {
            match self.sendfile_once(socket_fd, &mut offset, end)? {
                SendStep::Progress | SendStep::Interrupted => {}
                SendStep::SocketFull => break,
            }
        }
        // At most `size` bytes were sent, and `size` is a u32.
        Ok((offset - start) as u32)
    }

    /// Whether every page the slice spans is in the page cache, by `cachestat(2)` (Linux
    /// 6.5+). False where the kernel lacks it: the caller then takes the path that may
    /// block on the disk.
    #[must_use]
    pub fn is_cached(&self) -> bool {
        page_cache::all_cached(
            self.file.as_raw_fd(),
            u64::from(self.position),
            u64::from(self.size),
        )
    }

    /// One `sendfile` call from `offset` (which the kernel advances) towards `end`.
    fn sendfile_once(
        &self,
        socket_fd: RawFd,
        offset: &mut libc::off_t,
        end: libc::off_t,
    ) -> Result<SendStep> {
        let in_fd = self.file.as_raw_fd();
        let count = ((end - *offset) as usize).min(SENDFILE_CHUNK_BYTES_MAX);
        // SAFETY: `socket_fd` is an integer the kernel validates (EBADF otherwise), `in_fd`
        // is open for as long as `self.file` (an `Arc` we hold) lives, and `offset` is a
        // valid, exclusively borrowed `off_t` the kernel updates in place.
        let sent = unsafe { libc::sendfile(socket_fd, in_fd, std::ptr::from_mut(offset), count) };
        if sent > 0 {
            return Ok(SendStep::Progress);
        }
        if sent == 0 {
            return Err(StorageError::storage(
                format!(
                    "sendfile: segment file ended at byte {offset}, before the slice end {end}"
                ),
                io::Error::from(io::ErrorKind::UnexpectedEof),
            ));
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => Ok(SendStep::Interrupted),
            Some(libc::EAGAIN) => Ok(SendStep::SocketFull),
            _ => Err(StorageError::Network {
                context: format!(
                    "sendfile to fd {socket_fd} with {} bytes left",
                    end - *offset
                ),
                source: err,
            }),
        }
    }
}

/// What one `sendfile` call did.
enum SendStep {
    Progress,
    Interrupted,
    /// `EAGAIN`: the non-blocking socket's send buffer is full.
    SocketFull,
}

/// Waits until `fd` is writable or `timeout` passes; errors on `POLLERR`/`POLLHUP`/`POLLNVAL`.
fn wait_writable(fd: RawFd, timeout: Duration) -> Result<()> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    let timeout_ms = timeout.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
    // SAFETY: `pfd` is a valid, exclusively borrowed pollfd and we pass a count of 1.
    let ready = unsafe { libc::poll(std::ptr::addr_of_mut!(pfd), 1, timeout_ms) };
    if ready < 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EINTR) {
            return Ok(());
        }
        return Err(StorageError::Network {
            context: format!("poll fd {fd}"),
            source: err,
        });
    }
    if pfd.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
        && pfd.revents & libc::POLLOUT == 0
    {
        return Err(StorageError::Network {
            context: format!(
                "socket fd {fd} closed while sending (revents {:#x})",
                pfd.revents
            ),
            source: io::Error::from(io::ErrorKind::BrokenPipe),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    fn slice_of(bytes: &[u8], position: u32, size: u32) -> (tempfile::NamedTempFile, FileSlice) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        let file = Arc::new(File::open(f.path()).unwrap());
        (
            f,
            FileSlice {
                file,
                position,
                size,
                first_offset: 0,
                last_offset: 0,
            },
        )
    }

    #[test]
    fn sendfile_to_nonblocking_socket_with_slow_reader() {
        let data: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
        let (_tmp, slice) = slice_of(&data, 1000, (data.len() - 2000) as u32);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let reader = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            let mut buf = vec![0u8; 65536];
            loop {
                std::thread::sleep(Duration::from_micros(200)); // slower than the sender
                let n = s.read(&mut buf).unwrap();
                if n == 0 {
                    break got;
                }
                got.extend_from_slice(&buf[..n]);
            }
        });
        let out = TcpStream::connect(addr).unwrap();
        out.set_nonblocking(true).unwrap();
        let sent = slice.send_to_fd(out.as_raw_fd()).unwrap();
        assert_eq!(sent, u64::from(slice.size));
        drop(out);
        let got = reader.join().unwrap();
        assert_eq!(got, &data[1000..data.len() - 1000]);
        assert_eq!(slice.read_to_vec().unwrap(), got);
    }

    #[test]
    fn closed_peer_is_a_network_error() {
        let data = vec![7u8; 16 * 1024 * 1024];
        let (_tmp, slice) = slice_of(&data, 0, data.len() as u32);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let out = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (peer, _) = listener.accept().unwrap();
        drop(peer);
        drop(listener);
        out.set_nonblocking(true).unwrap();
        let err = slice
            .send_to_fd_from(out.as_raw_fd(), 0, Duration::from_secs(5))
            .unwrap_err();
        assert_eq!(err.kafka_error_name(), "NETWORK_EXCEPTION", "{err}");
    }

    #[test]
    fn cached_send_stops_when_the_socket_is_full_and_the_rest_follows() {
        let data: Vec<u8> = (0..32 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
        let (tmp, slice) = slice_of(&data, 0, data.len() as u32);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let out = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        out.set_nonblocking(true).unwrap();

        // Evicted from the page cache: nothing is sent on the calling thread.
        tmp.as_file().sync_all().unwrap();
        // SAFETY: plain syscall on a valid fd.
        let rc =
            unsafe { libc::posix_fadvise(slice.file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(rc, 0);
        if !slice.is_cached() {
            assert_eq!(slice.send_cached_nonblocking(out.as_raw_fd()).unwrap(), 0);
        }
        // Cached again once read; where the kernel cannot tell, nothing is ever sent here.
        slice.read_to_vec().unwrap();
        let first = slice.send_cached_nonblocking(out.as_raw_fd()).unwrap();
        if page_cache::all_cached(slice.file.as_raw_fd(), 0, 4096) {
            // 32 MiB does not fit a loopback socket's buffers while the peer is not reading.
            assert!(
                first > 0 && first < slice.size,
                "sent {first} of {}",
                slice.size
            );
        } else {
            assert_eq!(first, 0);
        }
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            peer.read_to_end(&mut got).unwrap();
            got
        });
        let rest = slice
            .send_to_fd_from(out.as_raw_fd(), first, Duration::from_secs(10))
            .unwrap();
        assert_eq!(rest, u64::from(slice.size - first));
        drop(out);
        assert_eq!(reader.join().unwrap(), data);
    }

    #[test]
    fn stalled_reader_times_out() {
        let data = vec![7u8; 32 * 1024 * 1024];
        let (_tmp, slice) = slice_of(&data, 0, data.len() as u32);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let out = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_peer, _) = listener.accept().unwrap(); // never reads
        out.set_nonblocking(true).unwrap();
        let err = slice
            .send_to_fd_from(out.as_raw_fd(), 0, Duration::from_millis(200))
            .unwrap_err();
        assert_eq!(err.kafka_error_name(), "REQUEST_TIMED_OUT", "{err}");
    }

    #[test]
    fn truncated_file_is_an_error_not_garbage() {
        let (tmp, slice) = slice_of(&[1u8; 4096], 0, 4096);
        std::fs::OpenOptions::new()
            .write(true)
            .open(tmp.path())
            .unwrap()
            .set_len(100)
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let out = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let _peer = listener.accept().unwrap();
        let err = slice.send_to_fd(out.as_raw_fd()).unwrap_err();
        assert_eq!(err.kafka_error_code(), 56, "{err}");
        assert!(slice.read_to_vec().is_err());
    }
}
