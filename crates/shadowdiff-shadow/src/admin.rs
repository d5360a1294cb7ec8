//! The admin address: `/metrics` in the Prometheus text format and `/healthz`, which answers
//! 200 once the proxy is listening (the admin server starts after the proxy's listener is bound).

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{Either, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use shadowdiff_replay::relay::{plain, Relayed};

use crate::metrics::{Metrics, CONTENT_TYPE as METRICS_TYPE};

/// Answers one admin request.
pub async fn handle(
    metrics: Arc<Metrics>,
    request: Request<Incoming>,
) -> Result<Response<Relayed>, Infallible> {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return Ok(plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET and HEAD are served here\n".into(),
        ));
    }
    Ok(match request.uri().path() {
        "/metrics" => {
            let mut response =
                Response::new(Either::Left(Full::new(Bytes::from(metrics.encode()))));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(METRICS_TYPE));
            response
        }
        "/healthz" => plain(StatusCode::OK, "ok\n".into()),
        _ => plain(
            StatusCode::NOT_FOUND,
            "shadowdiff shadow serves /metrics and /healthz here\n".into(),
        ),
    })
}
