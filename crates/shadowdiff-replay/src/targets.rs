//! The targets of a run, started together and stopped together: old, new and where noise
//! comes from (a third target, old asked twice, or none).

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::target::{Target, TargetConfig, TargetSettings};

/// Where the second answer of the old implementation comes from.
pub enum NoiseSource {
    /// No noise measured.
    Off,
    /// A second instance of the old implementation.
    Target(Box<Target>),
    /// The old target, asked twice.
    Repeat,
}

/// The targets of a run.
pub struct Targets {
    /// The implementation being replaced.
    pub old: Target,
    /// The implementation replacing it.
    pub new: Target,
    /// The noise measurement.
    pub noise: NoiseSource,
}

impl Targets {
    /// Starts old, new and the noise target at once; if one fails, the others are stopped.
    pub async fn start(
        old: &TargetConfig,
        new: &TargetConfig,
        noise: Option<&TargetConfig>,
        noise_repeat: bool,
        settings: &TargetSettings,
    ) -> Result<Targets> {
        let noise_start = async {
            match noise {
                Some(config) => Target::start("noise", config, settings).await.map(Some),
                None => Ok(None),
            }
        };
        let (old, new, noise) = tokio::join!(
            Target::start("old", old, settings),
            Target::start("new", new, settings),
            noise_start
        );
        match (old, new, noise) {
            (Ok(old), Ok(new), Ok(noise)) => {
                let noise = match noise {
                    Some(target) => NoiseSource::Target(Box::new(target)),
                    None if noise_repeat => NoiseSource::Repeat,
                    None => NoiseSource::Off,
                };
                Ok(Targets { old, new, noise })
            }
            (old, new, noise) => {
                let mut first_error = None;
                for started in [old, new] {
                    match started {
                        Ok(target) => target.stop().await,
                        Err(err) => {
                            first_error.get_or_insert(err);
                        }
                    }
                }
                match noise {
                    Ok(Some(target)) => target.stop().await,
                    Ok(None) => {}
                    Err(err) => {
                        first_error.get_or_insert(err);
                    }
                }
                Err(first_error.unwrap_or_else(|| Error::Internal("a target did not start".into())))
            }
        }
    }

    /// Stops the targets cleanly (SIGTERM, then kill) once no replay holds them any more; if some
    /// still do (a run cut short), dropping the last hold kills their processes.
    pub async fn stop(targets: Arc<Targets>) {
        let Ok(targets) = Arc::try_unwrap(targets) else {
            return;
        };
        targets.old.stop().await;
        targets.new.stop().await;
        if let NoiseSource::Target(noise) = targets.noise {
            noise.stop().await;
        }
    }
}
