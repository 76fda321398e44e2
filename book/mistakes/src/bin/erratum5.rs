//! expect: error[E0308]
//! Erratum 5: `analyze` borrows the text (`&str`), and the closure must own
//! the `String` it lends: `move || analyze(&txt)`.
use tokio::task;

fn analyze(text: &str) -> usize {
    text.split_whitespace().count()
}

#[tokio::main]
async fn main() {
    let txt = String::from("some text to analyze");
    // ANCHOR: mistake
    let job = move || analyze(txt);
    // ANCHOR_END: mistake
    println!("{:?}", task::spawn_blocking(job).await);
}
