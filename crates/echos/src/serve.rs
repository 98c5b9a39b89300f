//! `echos serve`: the HTTP server, the region-change listener, the spare-schema refiller and the
//! metrics listener, with graceful shutdown on SIGTERM and SIGINT (`/readyz` fails, then requests
//! in flight finish; exit 0).

use std::time::Duration;

use anyhow::Context as _;
use echos_core::{Config, Db, provision};
use echos_web::AppState;

pub async fn serve(db: Db, config: Config, bind: &str) -> anyhow::Result<()> {
    let spares = config.tenancy.spares;
    let media = crate::cli::media_store(&config)?;
    let payments = echos_billing::from_config(&config.billing).map_err(|e| anyhow::anyhow!("{e}"))?;
    let state = AppState::new(db.clone(), config, media, payments)?;
    let listener_task = state.directory.listen().await.map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let refill = tokio::spawn({
        let db = db.clone();
        async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tick.tick().await;
                match provision::refill_spares(&db, spares).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(created = n, "spare schemas refilled"),
                    Err(e) => tracing::warn!(error = ?e, "refilling spare schemas failed"),
                }
            }
        }
    });
    let (stop_worker, stop) = tokio::sync::watch::channel(false);
    let worker = state
        .config
        .accounts
        .worker_in_serve
        .then(|| tokio::spawn(echos_web::worker::run_forever(state.clone(), stop, None)));
    // Page views are counted in memory and added to the regions' figures every few seconds, a
    // bounded number of regions at a time. On shutdown the write under way finishes (a write cut
    // in the middle would leave its transaction to a queued rollback), then the rest is written.
    let views = tokio::spawn({
        let state = state.clone();
        let mut stop = stop_worker.subscribe();
        async move {
            let http = &state.config.http;
            let mut tick = tokio::time::interval(Duration::from_secs(http.page_views_every_secs.max(1)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.wait_for(|stopped| *stopped) => break,
                }
                if let Err(e) = state.views.flush(&state.db, http.page_views_regions_per_write.max(1)).await {
                    tracing::warn!(error = ?e, "writing page views failed; they are kept for the next try");
                }
            }
        }
    });
    let counter = state.clone();
    let metrics = metrics_listener(&db, &counter.config).await?;
    let app = echos_web::router(state);
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!(address = %bind, "serving");
    let http = &counter.config.http;
    let (timeout, grace) =
        (Duration::from_secs(http.header_read_timeout_secs), Duration::from_secs(http.shutdown_grace_secs));
    // The worker stops taking jobs as soon as the signal comes; the site answers on.
    let stop_jobs = stop_worker.clone();
    let stop = echos_web::server::stop_signal(counter.clone(), move || {
        let _ = stop_jobs.send(true);
    });
    echos_web::server::serve_http(listener, app, timeout, grace, stop).await;
    tracing::info!("stopped; requests in flight have finished");
    if let Some(pages) = &counter.pages {
        let (entries, bytes) = pages.usage();
        tracing::info!(target: "page_cache", entries, bytes, "page cache at shutdown");
    }
    counter.homes.run_pending_tasks();
    let (entries, bytes) = (counter.homes.entry_count(), counter.homes.weighted_size());
    tracing::info!(target: "page_cache", entries, bytes, "home data cache at shutdown");
    // Told when the signal came (and again here, if the server stopped without one): the worker
    // takes no new job, lets those under way finish for its grace, then hands the rest back to the
    // queue; the page views' write under way finishes.
    let _ = stop_worker.send(true);
    let _ = views.await;
    if let Err(e) = counter.views.flush(&counter.db, usize::MAX).await {
        tracing::warn!(error = ?e, "writing the last page views failed");
    }
    listener_task.abort();
    if let Some(w) = worker {
        let _ = w.await;
    }
    refill.abort();
    if let Some(m) = metrics {
        m.abort();
    }
    db.close().await;
    Ok(())
}

/// Starts `/metrics` on `telemetry.metrics_bind`, when set.
pub async fn metrics_listener(db: &Db, config: &Config) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(bind) = config.telemetry.metrics_bind.as_deref() else { return Ok(None) };
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind} for the metrics"))?;
    tracing::info!(address = %bind, "metrics at /metrics");
    let db = db.clone();
    Ok(Some(tokio::spawn(async move {
        if let Err(e) = echos_web::metrics::serve(listener, db).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    })))
}
