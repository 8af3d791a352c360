//! Page-cache residency of file ranges, by `cachestat(2)` (Linux 6.5+): lets the broker send
//! record bytes on its event-loop thread when `sendfile` cannot wait for the disk, and off it
//! when it might.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Cleared the first time the kernel answers `ENOSYS` (older than 6.5) or `EPERM` (filtered
/// by a seccomp profile): every range then counts as possibly uncached, without asking again.
static CACHESTAT_AVAILABLE: AtomicBool = AtomicBool::new(true);

/// `struct cachestat_range` from `<linux/mman.h>`.
#[cfg(target_os = "linux")]
#[repr(C)]
struct CachestatRange {
    off: u64,
    len: u64,
}

/// `struct cachestat` from `<linux/mman.h>`: page counts over the range.
#[cfg(target_os = "linux")]
#[repr(C)]
#[expect(clippy::struct_field_names, reason = "the kernel's field names")]
#[derive(Default)]
struct Cachestat {
    nr_cache: u64,
    nr_dirty: u64,
    nr_writeback: u64,
    nr_evicted: u64,
    nr_recently_evicted: u64,
}

/// Whether every page of `len` bytes from `off` in `fd` is in the page cache (dirty pages
/// included). False when the kernel cannot tell, or on any error: the caller then takes the
/// path that may block.
pub fn all_cached(fd: RawFd, off: u64, len: u64) -> bool {
    if len == 0 {
        return true;
    }
    if !CACHESTAT_AVAILABLE.load(Ordering::Relaxed) {
        return false;
    }
    match cached_pages(fd, off, len) {
        Some(cached) => cached >= pages_spanned(off, len),
        None => false,
    }
}

/// Pages of the page cache that hold some byte of `[off, off + len)`.
fn pages_spanned(off: u64, len: u64) -> u64 {
    let page = page_size();
    (off + len).div_ceil(page) - off / page
}

fn page_size() -> u64 {
    static PAGE_SIZE: OnceLock<u64> = OnceLock::new();
    *PAGE_SIZE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions; _SC_PAGESIZE is always supported.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        u64::try_from(size).ok().filter(|&s| s > 0).unwrap_or(4096)
    })
}

/// `cachestat`'s number in the unified syscall table that `x86_64`, `aarch64` and `riscv64`
/// share; alpha and mips number it differently, and there the broker does without. The `libc`
/// crate does not name it for `x86_64` yet.
#[cfg(target_os = "linux")]
const SYS_CACHESTAT: Option<libc::c_long> = if cfg!(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64"
)) {
    Some(451)
} else {
    None
};

#[cfg(target_os = "linux")]
fn cached_pages(fd: RawFd, off: u64, len: u64) -> Option<u64> {
    let number = SYS_CACHESTAT?;
    let range = CachestatRange { off, len };
    let mut stat = Cachestat::default();
    // SAFETY: both pointers are to live, properly laid out (#[repr(C)]) values for the
    // duration of the call; the kernel reads `range` and writes `stat`, and validates `fd`.
    let rc = unsafe {
        libc::syscall(
            number,
            fd,
            std::ptr::from_ref(&range),
            std::ptr::from_mut(&mut stat),
            0u32,
        )
    };
    if rc == 0 {
        return Some(stat.nr_cache);
    }
    if matches!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::ENOSYS | libc::EPERM)
    ) {
        CACHESTAT_AVAILABLE.store(false, Ordering::Relaxed);
    }
    None
}

#[cfg(not(target_os = "linux"))]
fn cached_pages(_fd: RawFd, _off: u64, _len: u64) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    fn on_tmpfs(fd: RawFd) -> bool {
        const TMPFS_MAGIC: u64 = 0x0102_1994;
        // SAFETY: an all-zero statfs is a valid value for the kernel to overwrite.
        let mut st: libc::statfs = unsafe { std::mem::zeroed() };
        // SAFETY: `st` is a live, exclusively borrowed statfs; the kernel validates `fd`.
        let rc = unsafe { libc::fstatfs(fd, std::ptr::from_mut(&mut st)) };
        rc == 0 && u64::try_from(st.f_type).ok() == Some(TMPFS_MAGIC)
    }

    #[test]
    fn pages_spanned_counts_partial_pages() {
        let page = page_size();
        assert_eq!(pages_spanned(0, 1), 1);
        assert_eq!(pages_spanned(0, page), 1);
        assert_eq!(pages_spanned(page - 1, 2), 2);
        assert_eq!(pages_spanned(page, 3 * page), 3);
    }

    #[test]
    fn written_bytes_are_cached_and_evicted_ones_are_not() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let data = vec![7u8; 1 << 20];
        f.write_all(&data).unwrap();
        f.as_file().sync_all().unwrap();
        let fd = f.as_file().as_raw_fd();
        if cached_pages(fd, 0, 1 << 20).is_none() {
            eprintln!("cachestat(2) is not available on this kernel: nothing to check");
            return;
        }
        // Just written: the pages are in the cache.
        assert!(all_cached(fd, 0, 1 << 20));
        // Dropped from the cache (clean after the sync, so the kernel can drop them), except on
        // tmpfs, where the page cache is the file's only copy.
        // SAFETY: plain syscall on a valid fd.
        let rc = unsafe { libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(rc, 0);
        if on_tmpfs(fd) {
            eprintln!("the temp directory is tmpfs: its pages cannot be evicted");
        } else {
            assert!(!all_cached(fd, 0, 1 << 20));
        }
        // A range past the end of the file holds no cached page.
        assert!(!all_cached(fd, 2 << 20, 4096));
    }
}
