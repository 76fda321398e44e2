//! expect: error[E0752]
//! Erratum 3: `async fn main` without `#[tokio::main]`: nothing would
//! start a runtime to run it.
// ANCHOR: mistake
async fn main() {
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
}
// ANCHOR_END: mistake
