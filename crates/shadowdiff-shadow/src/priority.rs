//! The client's path comes first: the threads that mirror, judge and record run at a lower
//! scheduling priority (nice +10), so that when the cores are busy the proxy's own threads get
//! them, and the mirror falls behind instead (its queue fills and exchanges are skipped as
//! `shadow queue full`) rather than delaying an answer.

/// How much lower the mirroring threads run.
const NICENESS: libc::c_int = 10;

/// Lowers the calling thread's priority (Linux gives each thread its own nice value); a refusal
/// leaves it as it was, which only costs the client some latency under load.
pub fn lower_this_thread() {
    // SAFETY: gettid takes no arguments and returns the calling thread's id.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) };
    let Ok(tid) = libc::id_t::try_from(tid) else {
        return;
    };
    // SAFETY: setpriority on the calling thread's own id, with a valid `which`.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, tid, NICENESS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calling_thread_alone_is_lowered() {
        let lowered = std::thread::spawn(|| {
            lower_this_thread();
            // SAFETY: getpriority of the calling thread.
            unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
        })
        .join()
        .unwrap();
        // SAFETY: getpriority of the calling thread.
        let own = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        assert_eq!(lowered, (own + NICENESS).min(19));
    }
}
