//! The delay server's tests, in one test binary (one link instead of
//! four; the harness runs the files' tests side by side):
//!
//! - `server`: the routes, bodies and records over real HTTP, and the
//!   standalone binary as a child process;
//! - `drip`: dripped bodies and the real end of each response;
//! - `limits`: time limits, the cap on bytes in flight, floods beyond the
//!   file limit (the limit is lowered in a child's shell, never here);
//! - `abuse`: bad input and load, after which the server still answers.

mod abuse;
mod common;
mod drip;
mod limits;
mod server;
