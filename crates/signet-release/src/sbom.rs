//! SPDX 2.3 SBOM (in progress).
