//! oxmq: ZeroMQ-compatible messaging in Rust.
pub mod zmtp;
