//! Running trilha in production: metrics, the health endpoint, graceful shutdown.

pub mod health;
pub mod metrics;
pub mod shutdown;
