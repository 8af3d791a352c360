//! What the binding does to Node's sockets besides sending log slices: per-socket buffer sizes
//! (`socket.send.buffer.bytes`, `socket.receive.buffer.bytes`), the descriptor copy a send on
//! the thread pool holds, the shutdown that ends such a send, and the probe for kernel TLS.
//! Every function takes a raw descriptor, which the caller must keep open for the call: the
//! kernel rejects a closed number, but not one already reused by another socket or file.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use tidelog_storage::{Result, StorageError};

/// A second descriptor for the socket `fd` (`F_DUPFD_CLOEXEC`), for a send that runs on
/// another thread: if the connection's owner closes `fd` meanwhile, the number can be
/// reused at once by a new connection or file, and a send still holding the bare number
/// would write into that. The copy keeps the socket itself open until the send ends.
pub fn duplicate_socket(fd: RawFd) -> Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC takes an int argument and returns a new descriptor or -1; the
    // kernel validates `fd`.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if copy < 0 {
        return Err(StorageError::Network {
            context: format!("duplicate socket fd {fd}"),
            source: io::Error::last_os_error(),
        });
    }
    // SAFETY: `copy` is a descriptor the kernel just created for us alone.
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

/// Shuts the socket `fd` down both ways (`shutdown(2)`, `SHUT_RDWR`): the peer gets its end of
/// stream, and a send still running through a copy of the descriptor (see
/// [`duplicate_socket`]) fails at once instead of waiting for a peer that stopped reading.
/// Closing `fd` alone does neither while such a copy is open. A socket that is no longer
/// connected is not an error.
pub fn shut_down(fd: RawFd) -> Result<()> {
    // SAFETY: shutdown takes a descriptor and a constant; the kernel validates `fd`.
    if unsafe { libc::shutdown(fd, libc::SHUT_RDWR) } == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::ENOTCONN) {
        return Ok(());
    }
    Err(StorageError::Network {
        context: format!("shut down socket fd {fd}"),
        source: err,
    })
}

/// Sets `SO_SNDBUF` and `SO_RCVBUF` of the socket `fd` (Kafka's `socket.send.buffer.bytes`
/// and `socket.receive.buffer.bytes`); a size of -1 leaves that buffer to the OS, which
/// then tunes it (`net.ipv4.tcp_wmem` / `tcp_rmem`). Linux caps what is asked at
/// `net.core.wmem_max` / `rmem_max`, doubles it for its own bookkeeping, and fixes the size
/// from then on.
pub fn set_buffer_sizes(fd: RawFd, send_bytes: i32, receive_bytes: i32) -> Result<()> {
    for (option, name, bytes) in [
        (libc::SO_SNDBUF, "SO_SNDBUF", send_bytes),
        (libc::SO_RCVBUF, "SO_RCVBUF", receive_bytes),
    ] {
        if bytes == -1 {
            continue;
        }
        let value: libc::c_int = bytes;
        // SAFETY: `value` is a live c_int and we pass its exact size; the kernel validates
        // `fd` and the value.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                option,
                std::ptr::from_ref(&value).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(StorageError::Network {
                context: format!("set {name} of socket fd {fd} to {bytes}"),
                source: io::Error::last_os_error(),
            });
        }
    }
    Ok(())
}

/// Whether the kernel can do TLS record encryption itself (kTLS: the `tls` upper layer
/// protocol, `CONFIG_TLS`), which is what would let `sendfile(2)` keep working on a TLS
/// connection. Probed on a fresh unconnected TCP socket: setting `TCP_ULP` to `tls` fails with
/// `ENOENT` when the kernel has no such ULP (nor a module to load), and with another error
/// (`ENOTCONN`) when it has one but the socket is not connected yet.
#[cfg(target_os = "linux")]
#[must_use]
pub fn kernel_tls_available() -> bool {
    const TCP_ULP: libc::c_int = 31;
    // SAFETY: socket(2) with constant arguments returns a new descriptor or -1.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return false;
    }
    // SAFETY: `fd` is the descriptor just created, owned here and closed on drop.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let name = b"tls";
    // SAFETY: `name` is a live buffer of the length passed; the kernel copies it.
    let rc = unsafe {
        libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(&owned),
            libc::SOL_TCP,
            TCP_ULP,
            name.as_ptr().cast(),
            name.len() as libc::socklen_t,
        )
    };
    rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ENOENT)
}

/// Kernel TLS with `sendfile` is Linux's; elsewhere TLS listeners always encrypt in the process.
#[cfg(not(target_os = "linux"))]
#[must_use]
pub fn kernel_tls_available() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    #[test]
    fn kernel_tls_probe_agrees_with_the_kernel_list() {
        // /proc lists the ULPs available now; a loadable module would make the probe true
        // while not yet listed, so only "listed implies available" is checked.
        let listed =
            std::fs::read_to_string("/proc/sys/net/ipv4/tcp_available_ulp").unwrap_or_default();
        if listed.split_whitespace().any(|u| u == "tls") {
            assert!(kernel_tls_available());
        }
        // Either way the probe answers without leaking or failing.
        let _ = kernel_tls_available();
    }

    fn buffer_size(fd: RawFd, option: libc::c_int) -> i32 {
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `value` and `len` are live, exclusively borrowed, and `len` is its size.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                option,
                std::ptr::from_mut(&mut value).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0, "{}", io::Error::last_os_error());
        value
    }

    #[test]
    fn buffer_sizes_are_set_and_minus_one_leaves_the_os_default() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let socket = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let fd = socket.as_raw_fd();
        let default_receive = buffer_size(fd, libc::SO_RCVBUF);

        set_buffer_sizes(fd, 102_400, -1).unwrap();
        // Linux stores twice what is asked.
        assert_eq!(buffer_size(fd, libc::SO_SNDBUF), 204_800);
        assert_eq!(buffer_size(fd, libc::SO_RCVBUF), default_receive);

        set_buffer_sizes(fd, -1, 65_536).unwrap();
        assert_eq!(buffer_size(fd, libc::SO_SNDBUF), 204_800);
        assert_eq!(buffer_size(fd, libc::SO_RCVBUF), 131_072);
    }

    #[test]
    fn shutting_down_ends_a_send_through_a_copy_of_the_descriptor() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let socket = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        let copy = duplicate_socket(socket.as_raw_fd()).unwrap();
        // The peer reads nothing: a blocking send through the copy fills both buffers and
        // waits, until the original descriptor is shut down.
        let (ended, send_error) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut out = std::fs::File::from(copy);
            let chunk = vec![7u8; 1 << 16];
            loop {
                if let Err(e) = std::io::Write::write_all(&mut out, &chunk) {
                    ended.send(e.kind()).unwrap();
                    return;
                }
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        shut_down(socket.as_raw_fd()).unwrap();
        // Bounded, so a shutdown that does not reach the copy fails here instead of hanging.
        let kind = send_error
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the send through the copy still waits after shutdown");
        assert_eq!(kind, io::ErrorKind::BrokenPipe);
        drop(socket);
        // The peer gets what was sent, then its end of stream.
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut peer, &mut got).unwrap();
        assert!(!got.is_empty() && got.iter().all(|&b| b == 7));
    }

    #[test]
    fn shutting_down_a_socket_the_peer_reset_is_not_an_error() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let socket = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (peer, _) = listener.accept().unwrap();
        // The peer closes with a zero linger: a reset, which leaves `socket` unconnected.
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: `linger` is a live struct and we pass its exact size.
        let rc = unsafe {
            libc::setsockopt(
                peer.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                std::ptr::from_ref(&linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0, "{}", io::Error::last_os_error());
        drop(peer);
        // Reading sees the reset once it has arrived.
        let mut buf = [0u8; 1];
        let read = std::io::Read::read(&mut &socket, &mut buf);
        assert_eq!(read.unwrap_err().kind(), io::ErrorKind::ConnectionReset);
        // SAFETY: as in `shut_down`; this shows the kernel's answer is ENOTCONN here.
        let raw = unsafe { libc::shutdown(socket.as_raw_fd(), libc::SHUT_RDWR) };
        assert_eq!(raw, -1);
        assert_eq!(
            io::Error::last_os_error().raw_os_error(),
            Some(libc::ENOTCONN)
        );
        shut_down(socket.as_raw_fd()).unwrap();
    }

    #[test]
    fn a_bad_descriptor_is_a_network_error_naming_the_option() {
        let err = set_buffer_sizes(-1, 102_400, -1).unwrap_err();
        assert!(err.to_string().contains("SO_SNDBUF"), "{err}");
        assert!(matches!(err, StorageError::Network { .. }));
    }
}
