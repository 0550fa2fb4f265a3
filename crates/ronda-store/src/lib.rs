//! ronda-store
