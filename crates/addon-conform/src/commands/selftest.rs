//! `selftest`: the conformance matrix from the installed binary, for users who want to see the
//! tool catch every fault before pointing it at their own service.

use crate::args::SelftestArgs;
use crate::commands::test::random_seed;
use crate::error::CliError;
use crate::progress::Progress;
use crate::selftest::run_matrix_showing;

pub async fn selftest(args: &SelftestArgs, quiet: bool) -> Result<i32, CliError> {
    let seed = match args.seed {
        Some(seed) => seed,
        None => random_seed()?,
    };
    let platforms = if args.platform.is_empty() {
        dialects::platforms().collect()
    } else {
        args.platform.clone()
    };
    let progress = Progress::on_stderr(!quiet);
    let matrix = run_matrix_showing(&platforms, seed, &progress).await;
    progress.finish();
    print!("{}", matrix.render());
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&matrix)
            .map_err(|error| CliError::io("cannot write the matrix", error.into()))?;
        std::fs::write(path, json).map_err(|error| CliError::file("cannot write", path, error))?;
    }
    Ok(if matrix.passed() {
        manifest_core::exit::PASSED
    } else {
        manifest_core::exit::FAILED
    })
}
