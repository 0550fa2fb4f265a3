//! ronda-server
