//! Endpoints and transports for oxmq.
