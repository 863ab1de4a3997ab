//! Quarry's control plane.
