//! One `shadow` process from start to stop: the candidate (and secondary) started, both
//! listeners bound, the recorder thread, the dispatcher, the report triggers (SIGHUP and
//! `--report-every`), the proxy served until Ctrl-C or SIGTERM; then the listener closes, open
//! connections finish their request, queued and in-flight exchanges are mirrored and judged,
//! all within `--drain-timeout`, and whatever is still in flight after that counts as not run.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use shadowdiff_replay::{relay_client, stop_signal, Error, Result, Target, TargetSettings};
use shadowdiff_report::Aggregate;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;
use crate::mirror::{dispatch, Mirror};
use crate::mismatch_log::MismatchLog;
use crate::parts::Parts;
use crate::pending::Tally;
use crate::proxy::Proxy;
use crate::recorder::{Event, Recorder};
use crate::{Moment, Settings, Summary};

/// Runs `shadow` until Ctrl-C or SIGTERM: counts into `aggregate`, calls `listening` with the
/// proxy's and the admin's bound addresses once both serve, calls `report` with a copy of the
/// aggregate on SIGHUP and every `report_every`, and returns what was judged once drained.
/// A candidate or secondary that cannot start is a target error (exit 3).
pub fn serve(
    settings: Settings,
    aggregate: Aggregate,
    listening: impl FnOnce(SocketAddr, SocketAddr),
    report: Box<dyn FnMut(Aggregate, Moment) + Send>,
) -> Result<Summary> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::Internal(format!("cannot start the async runtime: {err}")))?;
    // Mirroring, judging and recording run on threads of lower priority than the proxy's.
    let mirror_runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name("shadow-mirror")
        .on_thread_start(crate::priority::lower_this_thread)
        .enable_all()
        .build()
        .map_err(|err| Error::Internal(format!("cannot start the async runtime: {err}")))?;
    // The comparison pool, unless the process started it already; either way comparisons run.
    let _ = rayon::ThreadPoolBuilder::new()
        .start_handler(|_| crate::priority::lower_this_thread())
        .build_global();
    let parts = Parts::new(&settings.out, settings.part_bytes)?;
    let log_out: Box<dyn Write + Send> = match &settings.log {
        Some(path) => Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|err| Error::io(path, err))?,
        ),
        None => Box::new(std::io::stderr()),
    };
    let target_settings = TargetSettings {
        timeout: settings.timeout,
        log_dir: settings.out.join("logs"),
        lanes: 1,
        max_body_bytes: settings.max_body_bytes,
        data_dir: settings.out.join("data"),
    };
    let (candidate, secondary) =
        mirror_runtime.block_on(start_targets(&settings, &target_settings))?;
    let bind = |addr: SocketAddr, flag: &str| {
        let listener = runtime
            .block_on(TcpListener::bind(addr))
            .map_err(|err| Error::usage(format!("{flag} {addr}: {err}")))?;
        let bound = listener
            .local_addr()
            .map_err(|err| Error::usage(format!("{flag} {addr}: {err}")))?;
        Ok::<_, Error>((listener, bound))
    };
    let (listener, addr) = bind(settings.listen, "--listen")?;
    let (admin_listener, admin_addr) = bind(settings.admin, "--admin")?;
    let (stop, hangup) = {
        let _entered = runtime.enter();
        let hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .map_err(|err| Error::Internal(format!("cannot handle signals: {err}")))?;
        (stop_signal()?, hangup)
    };
    let client = relay_client(settings.timeout).map_err(Error::usage)?;

    let metrics = Arc::new(Metrics::new(settings.queue, settings.max_series));
    let tally = Arc::new(Tally::new(aggregate, metrics.clone()));
    let (events, inbox) = std::sync::mpsc::channel::<Event>();
    let recorder = Recorder {
        tally: tally.clone(),
        snapshot: settings.snapshot.clone(),
        redactor: settings.redactor.clone(),
        log: MismatchLog::new(
            log_out,
            settings.log_per_minute,
            settings.redactor.clone(),
            candidate.base_url().map(str::to_string),
        ),
        parts,
        report,
    };
    let recorder = std::thread::Builder::new()
        .name("shadow-recorder".into())
        .spawn(move || {
            crate::priority::lower_this_thread();
            recorder.run(inbox)
        })
        .map_err(|err| Error::Internal(format!("cannot start the recorder thread: {err}")))?;

    let (queue, jobs) = mpsc::channel(settings.queue.max(1));
    let proxy = Arc::new(Proxy {
        seq: AtomicU64::new(0),
        primary: settings.primary.clone(),
        client,
        timeout: settings.timeout,
        max_body_bytes: settings.max_body_bytes,
        rules: settings.rules.clone(),
        filters: settings.filters.clone(),
        sample: settings.sample,
        tally: tally.clone(),
        queue,
    });
    let mirror = Arc::new(Mirror {
        candidate,
        secondary,
        rules: settings.rules.clone(),
        tally: tally.clone(),
        events: events.clone(),
    });
    let requests = runtime.block_on(async {
        let (admin_stop, admin_stopped) = oneshot::channel::<()>();
        let admin_metrics = metrics.clone();
        let admin = tokio::spawn(shadowdiff_replay::relay::accept_until(
            admin_listener,
            move |request| crate::admin::handle(admin_metrics.clone(), request),
            async {
                let _ = admin_stopped.await;
            },
            Duration::from_secs(1),
        ));
        let triggers = tokio::spawn(report_triggers(hangup, settings.report_every, events));
        let (close, closed) = oneshot::channel();
        let mut dispatcher =
            mirror_runtime.spawn(dispatch(mirror, jobs, settings.concurrency, closed));
        listening(addr, admin_addr);
        let handler = proxy.clone();
        let deadline = shadowdiff_replay::relay::accept_until(
            listener,
            move |request| crate::proxy::handle(handler.clone(), request),
            stop,
            settings.drain_timeout,
        )
        .await;
        let _ = close.send(());
        if tokio::time::timeout_at(deadline, &mut dispatcher)
            .await
            .is_err()
        {
            dispatcher.abort();
        }
        triggers.abort();
        let _ = admin_stop.send(());
        let _ = admin.await;
        proxy.seq.load(Ordering::SeqCst)
    });
    // Dropping the runtime drops every task still running: their exchanges count as not run.
    drop(proxy);
    drop(runtime);
    drop(mirror_runtime);
    let recorded = recorder
        .join()
        .map_err(|_| Error::Internal("the recorder thread stopped unexpectedly".into()))?;
    let parts = recorded.parts?;
    let tally = Arc::try_unwrap(tally)
        .map_err(|_| Error::Internal("the outcomes are still in use after the stop".into()))?;
    let abandoned = tally.abandoned();
    let mut aggregate = tally.into_aggregate();
    if abandoned > 0 {
        aggregate.mark_incomplete(format!(
            "{abandoned} exchanges were still being forwarded or mirrored when --drain-timeout \
             ran out"
        ));
    }
    Ok(Summary {
        requests,
        judged: recorded.judged,
        abandoned,
        parts,
        aggregate,
    })
}

/// Starts the candidate and the secondary; if one fails, the other is stopped.
async fn start_targets(
    settings: &Settings,
    target_settings: &TargetSettings,
) -> Result<(Target, Option<Target>)> {
    let secondary = async {
        match &settings.secondary {
            Some(config) => Target::start("secondary", config, target_settings)
                .await
                .map(Some),
            None => Ok(None),
        }
    };
    let (candidate, secondary) = tokio::join!(
        Target::start("candidate", &settings.candidate, target_settings),
        secondary
    );
    match (candidate, secondary) {
        (Ok(candidate), Ok(secondary)) => Ok((candidate, secondary)),
        (Ok(candidate), Err(err)) => {
            candidate.stop().await;
            Err(err)
        }
        (Err(err), Ok(secondary)) => {
            if let Some(secondary) = secondary {
                secondary.stop().await;
            }
            Err(err)
        }
        (Err(err), Err(_)) => Err(err),
    }
}

/// Asks the recorder for a report on every SIGHUP and every `every`.
async fn report_triggers(
    mut hangup: tokio::signal::unix::Signal,
    every: Option<Duration>,
    events: std::sync::mpsc::Sender<Event>,
) {
    let mut interval = every.map(|every| {
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval
    });
    loop {
        let moment = tokio::select! {
            _ = hangup.recv() => Moment::Hangup,
            _ = async {
                match interval.as_mut() {
                    Some(interval) => { interval.tick().await; }
                    None => std::future::pending::<()>().await,
                }
            } => Moment::Every,
        };
        if events.send(Event::Report(moment)).is_err() {
            return;
        }
    }
}
