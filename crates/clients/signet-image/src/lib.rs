//! Sign, attest and verify container images (cosign's formats).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
