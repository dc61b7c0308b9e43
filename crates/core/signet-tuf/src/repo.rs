//! Writer placeholder.
