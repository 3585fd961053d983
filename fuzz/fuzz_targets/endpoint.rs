//! Parses arbitrary strings as `Endpoint`.
//!
//! Input: the endpoint string (invalid UTF-8 is decoded lossily, so every
//! input exercises the parser).
//!
//! Checks: no panic; a parsed endpoint's `Display` parses back to an equal
//! endpoint with the same `Display`, and its scheme is the input's prefix.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxmq_transports::{Endpoint, EndpointError};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match text.parse::<Endpoint>() {
        Ok(endpoint) => {
            assert!(text.starts_with(&format!("{}://", endpoint.scheme())));
            let shown = endpoint.to_string();
            let back: Endpoint = shown
                .parse()
                .unwrap_or_else(|e| panic!("{shown:?} (from {text:?}) does not parse: {e}"));
            assert_eq!(back, endpoint, "{text:?} -> {shown:?}");
            assert_eq!(back.to_string(), shown);
        }
        Err(e) => {
            // Every error names the endpoint as given.
            let endpoint = match &e {
                EndpointError::MissingScheme { endpoint }
                | EndpointError::UnsupportedScheme { endpoint, .. }
                | EndpointError::InvalidTcp { endpoint, .. }
                | EndpointError::InvalidIpc { endpoint, .. }
                | EndpointError::InvalidInproc { endpoint, .. } => endpoint,
            };
            assert_eq!(endpoint, &*text);
            let _ = e.to_string();
        }
    }
});
