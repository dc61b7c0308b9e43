//! SLSA provenance (in progress).
