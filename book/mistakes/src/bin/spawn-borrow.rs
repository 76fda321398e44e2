//! expect: error[E0373]
//! A spawned task may outlive the function that spawned it, so its future
//! must be `'static`: it cannot borrow that function's local variables.
#[tokio::main]
async fn main() {
    let name = String::from("ferris");
    // ANCHOR: mistake
    let handle = tokio::spawn(async {
        println!("hello, {name}");
    });
    // ANCHOR_END: mistake
    handle.await.unwrap();
}
