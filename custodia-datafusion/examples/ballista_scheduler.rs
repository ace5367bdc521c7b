//! A Ballista scheduler on 127.0.0.1 that knows custodia's functions
//! (feature `ballista`).
//!
//! ```text
//! cargo run -p custodia-datafusion --features ballista --example ballista_scheduler -- 50050
//! ```
//!
//! It plans the clients' queries in a session with every custodia function
//! registered and decodes the in-memory tables their plans carry
//! (`custodia_datafusion::ballista::scheduler_config`). It runs until
//! stopped.

use std::process::ExitCode;
use std::sync::Arc;

use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::scheduler_process::start_server;

type BoxError = Box<dyn std::error::Error>;

async fn run(port: u16) -> Result<(), BoxError> {
    let config = custodia_datafusion::ballista::scheduler_config(port);
    let cluster = BallistaCluster::new_from_config(&config).await?;
    eprintln!("custodia Ballista scheduler on 127.0.0.1:{port}");
    start_server(cluster, ([127, 0, 0, 1], port).into(), Arc::new(config)).await?;
    Ok(())
}

fn main() -> ExitCode {
    let port = match std::env::args().nth(1).map(|p| p.parse::<u16>()) {
        Some(Ok(p)) => p,
        _ => {
            eprintln!("usage: ballista_scheduler PORT");
            return ExitCode::FAILURE;
        }
    };
    // Ballista's own scheduler runs with large stacks: plans are decoded
    // and planned recursively.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 * 1024 * 1024)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(port)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
