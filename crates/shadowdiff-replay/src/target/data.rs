//! A target's starting state: its data folder (`{data}` in its commands), fresh for each run,
//! and its `reset` command, run to completion before the target starts, so that each
//! implementation starts a replay from the same seed data.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::managed::{log_tail, Process};
use super::TargetConfig;

/// How long a reset may take.
const RESET_TIMEOUT: Duration = Duration::from_secs(600);

/// What `{data}` stands for in a target's commands.
const PLACEHOLDER: &str = "{data}";

/// A target's data folder, when its commands use one.
pub struct Data {
    folder: Option<PathBuf>,
}

/// Makes `folder` fresh (emptied, or created) when the target's commands name `{data}` or it
/// has a reset; the error says why it could not be.
pub fn prepare(config: &TargetConfig, folder: &Path) -> Result<Data, String> {
    let named = [&config.start, &config.reset, &config.url]
        .into_iter()
        .flatten()
        .any(|command| command.contains(PLACEHOLDER));
    if !named && config.reset.is_none() {
        return Ok(Data { folder: None });
    }
    if folder.exists() {
        std::fs::remove_dir_all(folder)
            .map_err(|err| format!("cannot empty the data folder {}: {err}", folder.display()))?;
    }
    std::fs::create_dir_all(folder)
        .map_err(|err| format!("cannot create the data folder {}: {err}", folder.display()))?;
    Ok(Data {
        folder: Some(folder.to_path_buf()),
    })
}

impl Data {
    /// The config with `{data}` replaced, in `start`, `reset` and an `exec:` url, by the
    /// folder's path quoted for `sh` (`--db {data}/orders.db` stays one word).
    pub fn fill(&self, config: &TargetConfig) -> TargetConfig {
        let Some(folder) = &self.folder else {
            return config.clone();
        };
        let quoted = format!("'{}'", folder.display().to_string().replace('\'', r"'\''"));
        let fill = |text: &Option<String>| text.as_ref().map(|t| t.replace(PLACEHOLDER, &quoted));
        TargetConfig {
            start: fill(&config.start),
            reset: fill(&config.reset),
            url: fill(&config.url),
            ..config.clone()
        }
    }
}

/// Runs `sh -c command` to completion, its output appended to the target's log; an exit other
/// than 0 (or no exit within ten minutes) is an error quoting the log's last lines.
pub async fn reset(command: &str, log: &Path) -> Result<(), String> {
    let mut process = Process::spawn(command, log, false)?;
    let status = tokio::time::timeout(RESET_TIMEOUT, process.child().wait()).await;
    let failed = |why: String| {
        let tail = log_tail(log);
        let tail = if tail.is_empty() {
            String::new()
        } else {
            format!("; the last lines of {}:\n{tail}", log.display())
        };
        Err(format!("reset `{command}` {why}{tail}"))
    };
    match status {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => failed(format!("failed ({status})")),
        Ok(Err(err)) => failed(format!("could not be waited for: {err}")),
        Err(_) => {
            process.kill().await;
            failed(format!(
                "did not finish within {} s",
                RESET_TIMEOUT.as_secs()
            ))
        }
    }
}
