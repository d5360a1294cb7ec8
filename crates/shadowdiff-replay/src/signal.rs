//! The stop of `run` and `record`: the first Ctrl-C (SIGINT) or SIGTERM asks for a graceful
//! stop. The handlers stay installed afterwards, so a second signal does not kill the process
//! while it finishes.

use std::future::Future;

use crate::error::{Error, Result};

/// A future that resolves on the first Ctrl-C (SIGINT) or SIGTERM. The handlers are installed
/// right away, so this must be called inside a tokio runtime (in `block_on`, or with the
/// runtime entered).
pub fn stop_signal() -> Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let install =
        |kind| signal(kind).map_err(|err| Error::Internal(format!("cannot handle signals: {err}")));
    let mut interrupt = install(SignalKind::interrupt())?;
    let mut terminate = install(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}
