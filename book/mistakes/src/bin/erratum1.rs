//! expect: error[E0603]
//! Erratum 1: the task functions live in `tokio::task`; `tokio::runtime`
//! has a `task` module of its own, but it is private to tokio.
// ANCHOR: mistake
use tokio::runtime::task;
// ANCHOR_END: mistake

#[tokio::main]
async fn main() {
    task::spawn(async {}).await.unwrap();
}
