//! expect: error: The `start_paused` option requires the `current_thread` runtime flavor
//! Only a current-thread runtime can pause its clock: the attribute
//! refuses `start_paused` on the multi-threaded flavor. The same holds
//! for `#[tokio::test]`.
// ANCHOR: mistake
#[tokio::main(flavor = "multi_thread", start_paused = true)]
async fn main() {
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
}
// ANCHOR_END: mistake
