//! Running trilha in production: metrics, the health endpoint, graceful shutdown, and the
//! watchdog that exits a process whose gateway cannot recover.

pub mod health;
pub mod metrics;
pub mod shutdown;
pub mod watchdog;
