//! `FileSlice`: a byte range of a segment file, sent to a socket with `sendfile(2)`.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Result, StorageError};
use crate::page_cache;
use crate::slice_send::{send_nonblocking, send_parts_nonblocking, Cork};

/// How long [`FileSlice::send_to_fd`] waits for a non-blocking socket to become writable
/// before giving up.
pub const SEND_TIMEOUT_MS: u64 = 30_000;
/// Largest count passed to one `sendfile` call (Linux transfers at most 0x7ffff000 anyway).
pub const SENDFILE_CHUNK_BYTES_MAX: usize = 0x7fff_f000;
/// Most bytes of a slice [`FileSlice::send_cached_nonblocking`] sends on the caller's (event
/// loop) thread: 2 MiB, about half a millisecond from the page cache, so a reader that drains
/// as fast as the broker sends (a local follower) cannot hold the loop for a whole 50 MiB
/// fetch. A consumer's default partition limit (1 MiB) fits.
pub const EVENT_LOOP_SEND_BYTES_MAX: u32 = 2 * 1024 * 1024;
/// Slices up to this size go out copied on Linux ([`FileSlice::send_cached_nonblocking`]): one
/// `preadv2(RWF_NOWAIT)` into a reused buffer and one `sendmsg` of head, bytes and tail, in
/// place of cork, send, `sendfile`, send and uncork. A caught-up follower's or consumer's fetch
/// carries a batch or two; for those the splice behind `sendfile` and the two `setsockopt`
/// calls cost more than copying a few pages (BENCHMARKS.md, "Replicated").
pub const COPIED_SEND_BYTES_MAX: u32 = 64 * 1024;

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

    /// Copies the slice's bytes from byte `skip` on into `dest` (as many as fit) with one
    /// `pread`, for a caller on an event loop: nothing unless every page of those bytes is in
    /// the page cache (`cachestat`, as [`Self::send_cached_nonblocking`]), so the call does not
    /// wait for the disk. Returns the bytes copied (0: not cached, or nothing left from
    /// `skip`). The TLS path: records are encrypted in user space, so they are read into a
    /// buffer the caller reuses for every response rather than into a new one each time.
    pub fn read_cached_into(&self, skip: u32, dest: &mut [u8]) -> Result<usize> {
        let skip = skip.min(self.size);
        let len = ((self.size - skip) as usize).min(dest.len());
        if len == 0 {
            return Ok(0);
        }
        let from = u64::from(self.position) + u64::from(skip);
        if !page_cache::all_cached(self.file.as_raw_fd(), from, len as u64) {
            return Ok(0);
        }
        let dest = &mut dest[..len];
        self.file
            .read_exact_at(dest, from)
            .map_err(|e| StorageError::storage("pread file slice", e))?;
        Ok(len)
    }

    /// Sends the slice to `socket_fd` with `sendfile(2)`, from the page cache to the
    /// socket without passing through user space. Works with non-blocking sockets (Node's):
    /// on `EAGAIN` it waits with `poll(2)` for `POLLOUT`, failing with `RequestTimedOut` if
    /// no progress is possible for [`SEND_TIMEOUT_MS`].
    ///
    /// Bytes before `skip` are not sent (an on-loop [`Self::send_cached_nonblocking`] sent
    /// them already); returns the bytes this call sent. The caller must not write to the
    /// socket concurrently (the bytes would interleave).
    pub fn send_to_fd(&self, socket_fd: RawFd, skip: u32) -> Result<u64> {
        self.send_to_fd_from(socket_fd, skip, Duration::from_millis(SEND_TIMEOUT_MS))
    }

    /// [`Self::send_to_fd`] with an explicit stall timeout.
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

    /// Sends `head`, the slice and `tail` (a response's bytes around its records) without
    /// blocking the calling thread, for callers on an event loop: nothing unless every page
    /// of the slice is in the page cache (so `sendfile` should not wait for the disk), then in
    /// order until all is sent, the socket's buffer is full or [`EVENT_LOOP_SEND_BYTES_MAX`]
    /// of the slice went out. The socket is corked meanwhile (`TCP_CORK`), so the three leave
    /// in full-sized segments rather than as a small packet before and after the records.
    /// Returns the bytes sent, counting `head` first; [`Self::send_to_fd_from`] sends the
    /// rest of the slice, off the loop.
    ///
    /// "Cached" is what `cachestat` counts: a page still being read in by another reader
    /// counts too, so a call can still wait for the disk briefly, as a read racing it would.
    pub fn send_cached_nonblocking(
        &self,
        socket_fd: RawFd,
        head: &[u8],
        tail: &[u8],
    ) -> Result<u64> {
        if self.size == 0 {
            return Ok(0);
        }
        #[cfg(target_os = "linux")]
        if self.size <= COPIED_SEND_BYTES_MAX {
            if let Some(sent) = self.send_copied_nonblocking(socket_fd, head, tail)? {
                return Ok(sent);
            }
        }
        if !self.is_cached() {
            return Ok(0);
        }
        let _cork = Cork::new(socket_fd);
        let head_sent = send_nonblocking(socket_fd, head)?;
        if head_sent < head.len() {
            return Ok(head_sent as u64);
        }
        let start = libc::off_t::from(self.position);
        let end = start + libc::off_t::from(self.size);
        let stop = start + libc::off_t::from(self.size.min(EVENT_LOOP_SEND_BYTES_MAX));
        let mut offset = start;
        while offset < stop {
            match self.sendfile_once(socket_fd, &mut offset, stop)? {
                SendStep::Progress | SendStep::Interrupted => {}
                SendStep::SocketFull => break,
            }
        }
        if offset < end {
            return Ok((head.len() as u64) + (offset - start) as u64);
        }
        let tail_sent = send_nonblocking(socket_fd, tail)?;
        Ok((head.len() + tail_sent) as u64 + u64::from(self.size))
    }

    /// The copied path of [`Self::send_cached_nonblocking`] for a slice of at most
    /// [`COPIED_SEND_BYTES_MAX`]: `None` when a page of it is not in the page cache (the
    /// read would wait for the disk; the caller then decides as for a large slice), else the
    /// bytes sent, counting `head` first.
    #[cfg(target_os = "linux")]
    fn send_copied_nonblocking(
        &self,
        socket_fd: RawFd,
        head: &[u8],
        tail: &[u8],
    ) -> Result<Option<u64>> {
        thread_local! {
            static COPY: std::cell::RefCell<Vec<u8>> =
                std::cell::RefCell::new(vec![0; COPIED_SEND_BYTES_MAX as usize]);
        }
        COPY.with(|copy| {
            let mut copy = copy.borrow_mut();
            let data = &mut copy[..self.size as usize];
            if !read_cached_nowait(self.file.as_raw_fd(), data, u64::from(self.position))? {
                return Ok(None);
            }
            send_parts_nonblocking(socket_fd, &[head, data, tail]).map(|n| Some(n as u64))
        })
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
        let sent = sendfile_at(socket_fd, in_fd, offset, count);
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

/// One `sendfile(2)` of at most `count` bytes of `in_fd` from `*offset` to `socket_fd`,
/// advancing `*offset` by what was sent. Returns the bytes sent, 0 at the end of the file, or
/// -1 with `errno` set (Linux's convention, whatever the system).
#[cfg(target_os = "linux")]
fn sendfile_at(socket_fd: RawFd, in_fd: RawFd, offset: &mut libc::off_t, count: usize) -> isize {
    // SAFETY: `socket_fd` is an integer the kernel validates (EBADF otherwise), `in_fd` is
    // open for as long as the caller's `File` lives, and `offset` is a valid, exclusively
    // borrowed `off_t` the kernel updates in place.
    unsafe { libc::sendfile(socket_fd, in_fd, std::ptr::from_mut(offset), count) }
}

/// Fills `dest` from `position` of `fd` with one `preadv2(RWF_NOWAIT)`: true when every byte
/// came from the page cache, false when some would have to wait for the disk (`EAGAIN`, or a
/// short read: the kernel stops at the first page it lacks, and starts reading it in) or the
/// file system does not offer the flag (`EOPNOTSUPP`).
#[cfg(target_os = "linux")]
fn read_cached_nowait(fd: RawFd, dest: &mut [u8], position: u64) -> Result<bool> {
    let Ok(offset) = libc::off_t::try_from(position) else {
        return Ok(false);
    };
    let iov = libc::iovec {
        iov_base: dest.as_mut_ptr().cast(),
        iov_len: dest.len(),
    };
    loop {
        // SAFETY: `iov` describes `dest`, a live, exclusively borrowed buffer of `iov_len`
        // bytes the kernel may write; one iovec is passed; the kernel validates `fd`.
        let n = unsafe { libc::preadv2(fd, &iov, 1, offset, libc::RWF_NOWAIT) };
        if n >= 0 {
            // A short read (0 too: the file ends before the slice, which the other path reports).
            return Ok(n as usize == dest.len());
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => {}
            Some(libc::EAGAIN | libc::EOPNOTSUPP | libc::EINVAL) => return Ok(false),
            _ => return Err(StorageError::storage("preadv2 file slice", err)),
        }
    }
}

/// macOS's `sendfile(2)` takes the file first and reports the bytes sent in `len`, also when
/// it fails with `EAGAIN` after a partial send, which counts as progress here (the next call
/// then meets the full socket).
#[cfg(target_os = "macos")]
fn sendfile_at(socket_fd: RawFd, in_fd: RawFd, offset: &mut libc::off_t, count: usize) -> isize {
    let mut len = libc::off_t::try_from(count).unwrap_or(libc::off_t::MAX);
    // SAFETY: both descriptors are validated by the kernel (`in_fd` is open for as long as the
    // caller's `File` lives); `len` is a live, exclusively borrowed `off_t` the kernel
    // overwrites with the bytes sent; no header/trailer vector is passed.
    let rc =
        unsafe { libc::sendfile(in_fd, socket_fd, *offset, &mut len, std::ptr::null_mut(), 0) };
    if len > 0 {
        *offset += len;
        return isize::try_from(len).unwrap_or(isize::MAX);
    }
    if rc == 0 {
        0
    } else {
        -1
    }
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

    /// A connected pair over loopback: the sending end non-blocking (as Node's sockets are), and its peer.
    fn nonblocking_sender() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let out = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (peer, _) = listener.accept().unwrap();
        out.set_nonblocking(true).unwrap();
        (out, peer)
    }

    /// A non-blocking sending socket, and a thread that reads its peer to the end.
    fn sender_and_reader() -> (TcpStream, std::thread::JoinHandle<Vec<u8>>) {
        let (out, mut peer) = nonblocking_sender();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            peer.read_to_end(&mut got).unwrap();
            got
        });
        (out, reader)
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
        let sent = slice.send_to_fd(out.as_raw_fd(), 0).unwrap();
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
    fn cached_send_carries_head_slice_and_tail_in_order() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
        // 20 kB goes out copied (preadv2 + sendmsg), 200 kB corked with sendfile.
        for size in [20_000u32, 200_000] {
            let (_tmp, slice) = slice_of(&data, 1000, size);
            slice.read_to_vec().unwrap(); // in the page cache
            let (out, reader) = sender_and_reader();
            let sent = slice
                .send_cached_nonblocking(out.as_raw_fd(), b"HEAD", b"TAIL!")
                .unwrap();
            let mut expected = b"HEAD".to_vec();
            expected.extend_from_slice(&data[1000..1000 + size as usize]);
            expected.extend_from_slice(b"TAIL!");
            if size <= COPIED_SEND_BYTES_MAX || slice.is_cached() {
                // Both fit an idle loopback socket's buffers: all of it went out here. (An
                // evicted small slice is not tested: RWF_NOWAIT starts the read-ahead, which on
                // a fast disk can finish before the kernel checks the page, and the read succeeds.)
                assert_eq!(sent, expected.len() as u64, "{size} bytes");
            } else {
                // The kernel cannot tell (no cachestat): nothing is sent on the sendfile path.
                assert_eq!(sent, 0);
                continue;
            }
            drop(out);
            assert_eq!(reader.join().unwrap(), expected, "{size} bytes");
        }
    }

    #[test]
    fn small_copied_send_into_a_full_socket_leaves_the_rest_in_order() {
        let data: Vec<u8> = (0..70_000u32).map(|i| (i % 233) as u8).collect();
        let (_tmp, slice) = slice_of(&data, 0, COPIED_SEND_BYTES_MAX);
        slice.read_to_vec().unwrap();
        let (mut out, mut peer) = nonblocking_sender();
        // Fill the socket until it takes nothing more; then the copied send takes nothing.
        let filler = vec![7u8; 64 * 1024];
        let mut queued = 0usize;
        loop {
            match out.write(&filler) {
                Ok(n) => queued += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(
            slice
                .send_cached_nonblocking(out.as_raw_fd(), b"HEAD", b"TAIL")
                .unwrap(),
            0
        );
        // Room for part of it: read some of the filler, then send what fits.
        let mut drained = vec![0u8; queued.min(100_000)];
        peer.read_exact(&mut drained).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let first = slice
            .send_cached_nonblocking(out.as_raw_fd(), b"HEAD", b"TAIL")
            .unwrap();
        let total = 4 + u64::from(slice.size) + 4;
        assert!(first <= total, "sent {first}");
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            peer.read_to_end(&mut got).unwrap();
            got
        });
        // The rest in order, as the broker's connection sends it.
        out.set_nonblocking(false).unwrap();
        if first < 4 {
            out.write_all(&b"HEAD"[first as usize..]).unwrap();
        }
        let skip = u32::try_from(first.saturating_sub(4).min(u64::from(slice.size))).unwrap();
        if skip < slice.size {
            slice
                .send_to_fd_from(out.as_raw_fd(), skip, Duration::from_secs(10))
                .unwrap();
        }
        let tail_sent = first.saturating_sub(4 + u64::from(slice.size)) as usize;
        out.write_all(&b"TAIL"[tail_sent..]).unwrap();
        drop(out);
        let mut expected = vec![7u8; queued - drained.len()];
        expected.extend_from_slice(b"HEAD");
        expected.extend_from_slice(&data[..COPIED_SEND_BYTES_MAX as usize]);
        expected.extend_from_slice(b"TAIL");
        assert_eq!(reader.join().unwrap(), expected);
    }

    #[test]
    fn cached_send_stops_when_the_socket_is_full_and_the_rest_follows() {
        let data: Vec<u8> = (0..32 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
        let (tmp, slice) = slice_of(&data, 0, data.len() as u32);
        let (out, mut peer) = nonblocking_sender();

        // Evicted from the page cache: nothing is sent on the calling thread.
        tmp.as_file().sync_all().unwrap();
        // SAFETY: plain syscall on a valid fd.
        let rc =
            unsafe { libc::posix_fadvise(slice.file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(rc, 0);
        if !slice.is_cached() {
            assert_eq!(
                slice
                    .send_cached_nonblocking(out.as_raw_fd(), b"head", b"tail")
                    .unwrap(),
                0
            );
        }
        // Cached again once read; where the kernel cannot tell, nothing is ever sent here.
        slice.read_to_vec().unwrap();
        let head = b"response header";
        let cached = slice.is_cached();
        let first = slice
            .send_cached_nonblocking(out.as_raw_fd(), head, b"tail")
            .unwrap();
        if cached {
            // At most EVENT_LOOP_SEND_BYTES_MAX of the 32 MiB go out on this path.
            assert!(
                first > head.len() as u64
                    && first <= (head.len() as u64) + u64::from(EVENT_LOOP_SEND_BYTES_MAX),
                "sent {first}"
            );
        } else {
            assert_eq!(first, 0);
        }
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            peer.read_to_end(&mut got).unwrap();
            got
        });
        // The head went out with the first bytes, or not at all.
        let mut expected = Vec::new();
        if first > 0 {
            expected.extend_from_slice(head);
        }
        let skip = u32::try_from(first.saturating_sub(head.len() as u64)).unwrap();
        let rest = slice
            .send_to_fd_from(out.as_raw_fd(), skip, Duration::from_secs(10))
            .unwrap();
        assert_eq!(rest, u64::from(slice.size - skip));
        drop(out);
        expected.extend_from_slice(&data);
        assert_eq!(reader.join().unwrap(), expected);
    }

    #[test]
    fn event_loop_share_is_capped_for_a_reader_that_keeps_up() {
        let data: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 239) as u8).collect();
        let (_tmp, slice) = slice_of(&data, 0, data.len() as u32);
        slice.read_to_vec().unwrap();
        let (out, reader) = sender_and_reader();
        let cached = slice.is_cached();
        let first = slice
            .send_cached_nonblocking(out.as_raw_fd(), b"H", b"T")
            .unwrap();
        if cached {
            assert!(first > 1, "sent {first}");
        }
        // Never more than the cap of the slice on this path, and so never the tail.
        assert!(
            first <= 1 + u64::from(EVENT_LOOP_SEND_BYTES_MAX),
            "sent {first}"
        );
        let mut expected = Vec::new();
        if first > 0 {
            expected.push(b'H');
        }
        let skip = u32::try_from(first.saturating_sub(1)).unwrap();
        slice
            .send_to_fd_from(out.as_raw_fd(), skip, Duration::from_secs(10))
            .unwrap();
        drop(out);
        expected.extend_from_slice(&data);
        assert_eq!(reader.join().unwrap(), expected);
    }

    #[test]
    fn cached_read_copies_what_fits_from_skip() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 247) as u8).collect();
        let (tmp, slice) = slice_of(&data, 500, 90_000);
        slice.read_to_vec().unwrap(); // in the page cache
        let mut dest = vec![0u8; 40_000];
        let first = slice.read_cached_into(0, &mut dest).unwrap();
        if !slice.is_cached() {
            // The kernel cannot tell (no cachestat): nothing is read on this path.
            assert_eq!(first, 0);
            return;
        }
        assert_eq!(first, 40_000);
        assert_eq!(dest, &data[500..40_500]);
        // The last 10 000 bytes, into a larger buffer: only what is left.
        let mut rest = vec![0u8; 65_536];
        assert_eq!(slice.read_cached_into(80_000, &mut rest).unwrap(), 10_000);
        assert_eq!(&rest[..10_000], &data[80_500..90_500]);
        assert_eq!(slice.read_cached_into(90_000, &mut rest).unwrap(), 0);
        // Evicted: nothing is read.
        tmp.as_file().sync_all().unwrap();
        // SAFETY: plain syscall on a valid fd.
        let rc =
            unsafe { libc::posix_fadvise(slice.file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(rc, 0);
        if !slice.is_cached() {
            assert_eq!(slice.read_cached_into(0, &mut dest).unwrap(), 0);
        }
    }

    #[test]
    fn stalled_reader_times_out() {
        let data = vec![7u8; 32 * 1024 * 1024];
        let (_tmp, slice) = slice_of(&data, 0, data.len() as u32);
        let (out, _peer) = nonblocking_sender(); // the peer never reads
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
        let err = slice.send_to_fd(out.as_raw_fd(), 0).unwrap_err();
        assert_eq!(err.kafka_error_code(), 56, "{err}");
        assert!(slice.read_to_vec().is_err());
    }
}
