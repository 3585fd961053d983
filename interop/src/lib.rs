//! Dev-only libzmq wrapper.
