//! A Ballista executor on 127.0.0.1 that knows custodia's functions
//! (feature `ballista`).
//!
//! ```text
//! # SCHEDULER_PORT FLIGHT_PORT GRPC_PORT [WORK_DIR]
//! cargo run -p custodia-datafusion --features ballista --example ballista_executor -- 50050 50051 50052
//! cargo run -p custodia-datafusion --features ballista --example ballista_executor -- 50050 50061 50062
//! ```
//!
//! It registers with the scheduler on 127.0.0.1:SCHEDULER_PORT, serves
//! shuffle data over Arrow Flight on FLIGHT_PORT and decodes its tasks'
//! plans with custodia's functions
//! (`custodia_datafusion::ballista::executor_config`). WORK_DIR holds its
//! shuffle files (a temporary directory by default). It runs until stopped.

use std::process::ExitCode;
use std::sync::Arc;

use ballista_executor::executor_process::start_executor_process;

type BoxError = Box<dyn std::error::Error>;

async fn run(args: &[String]) -> Result<(), BoxError> {
    let usage = "usage: ballista_executor SCHEDULER_PORT FLIGHT_PORT GRPC_PORT [WORK_DIR]";
    let port = |i: usize| -> Result<u16, BoxError> {
        Ok(args
            .get(i)
            .ok_or(usage)?
            .parse::<u16>()
            .map_err(|e| format!("{e}; {usage}"))?)
    };
    let (scheduler, flight, grpc) = (port(0)?, port(1)?, port(2)?);
    if args.len() > 4 {
        return Err(usage.into());
    }
    let mut config = custodia_datafusion::ballista::executor_config(scheduler, flight, grpc)?;
    config.work_dir = args.get(3).cloned();
    eprintln!(
        "custodia Ballista executor on 127.0.0.1:{flight} (gRPC {grpc}), scheduler 127.0.0.1:{scheduler}"
    );
    start_executor_process(Arc::new(config)).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
