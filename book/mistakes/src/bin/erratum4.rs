//! expect: error[E0282]
//! Erratum 4: `future::ok` builds a `Result<T, E>` and nothing here says
//! what `E` is: `?` would convert any error type that implements `From`.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // ANCHOR: mistake
    let text = futures::future::ok("ready".to_string()).await?;
    // ANCHOR_END: mistake
    println!("{text}");
    Ok(())
}
