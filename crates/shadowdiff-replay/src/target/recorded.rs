//! The `recorded` target: answers with the production response stored in the recording.

use std::time::Duration;

use super::{CallError, Reply};
use shadowdiff_core::Exchange;

/// The recorded response of `exchange`, with zero latency.
pub fn call(exchange: &Exchange) -> Result<Reply, CallError> {
    match &exchange.response {
        Some(response) => Ok(Reply {
            response: response.clone(),
            latency: Duration::ZERO,
        }),
        None => Err(CallError::BadResponse(
            "the recording has no response for this exchange".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shadowdiff_core::{Body, Response};

    #[test]
    fn answers_with_the_recorded_response_or_says_there_is_none() {
        let mut exchange = Exchange::request_only("r1", "GET", "/");
        let err = call(&exchange).unwrap_err();
        assert_eq!(err.kind(), "bad_response");
        assert!(err.to_string().contains("no response"));
        let response = Response {
            status: 204,
            headers: vec![("x".into(), "y".into())],
            body: Body::Text("hi".into()),
        };
        exchange.response = Some(response.clone());
        let reply = call(&exchange).unwrap();
        assert_eq!(reply.response, response);
        assert_eq!(reply.latency, Duration::ZERO);
    }
}
