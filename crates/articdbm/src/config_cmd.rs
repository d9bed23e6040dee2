//! `articdbm config validate FILE` and `articdbm config show [FILE]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use articdbm_config::Env;

/// Loads `file` as the proxy would (environment overrides, secrets, TLS files) and reports
/// every problem.
pub fn validate(file: &Path) -> ExitCode {
    match articdbm_config::validate_file(file) {
        Ok(_) => {
            println!("{}: configuration is valid", file.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            // The error names the file, and each problem's key and line.
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// Prints the effective configuration: `file`, else the quick-start file in `data_dir` when
/// it exists, else the defaults; always after environment overrides; verifiers masked.
pub fn show(file: Option<PathBuf>) -> ExitCode {
    let env = Env::from_process();
    let path = file.or_else(|| {
        let defaults = articdbm_config::load(None, &env).ok()?;
        let quickstart = defaults.data_dir.join(crate::quickstart::FILE_NAME);
        quickstart.exists().then_some(quickstart)
    });
    let loaded = articdbm_config::load(path.as_deref(), &env);
    let source = path.as_ref().map_or_else(
        || "built-in defaults (no configuration file)".to_owned(),
        |p| p.display().to_string(),
    );
    match loaded.map(|c| c.to_masked_toml()) {
        Ok(Ok(text)) => {
            println!("# effective configuration: {source}, after ARTICDBM_* overrides");
            println!(
                "# password verifiers are shown as {}",
                articdbm_config::MASK
            );
            print!("{text}");
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("cannot render the configuration: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
