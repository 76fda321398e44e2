//! Chapter 8's table: what parks a thread in std, and what to use on a
//! tokio runtime instead. Plain data with no dependency, so that the book's
//! generator (`cargo xtask outputs`, see `book/diagrams.rs`) includes this
//! very file and renders it as the page's Markdown table.

// ANCHOR: counterparts
/// What parks a thread in std, and what to use on tokio instead. The
/// counterparts return futures: awaiting them frees the thread.
pub const COUNTERPARTS: [(&str, &str); 7] = [
    (
        "std::thread (sleep, JoinHandle::join)",
        "tokio::time::sleep(..).await; await a task's JoinHandle",
    ),
    (
        "std::fs (File, read_to_string, ...)",
        "tokio::fs (it runs std::fs on the blocking pool for you)",
    ),
    (
        "std::net (TcpStream, TcpListener, UdpSocket)",
        "tokio::net: same names, async methods",
    ),
    (
        "std::sync (mpsc, Condvar, Barrier) waits",
        "tokio::sync (mpsc, Notify, Barrier, Semaphore)",
    ),
    (
        "std::sync::Mutex held across an .await",
        "tokio::sync::Mutex (a std Mutex is fine if never held across .await)",
    ),
    ("std::io::stdin, stdout", "tokio::io::stdin, stdout"),
    (
        "long computation (fib, hashing, parsing)",
        "tokio::task::spawn_blocking; when in doubt, spawn it",
    ),
];
// ANCHOR_END: counterparts
