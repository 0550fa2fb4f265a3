//! ronda-core
