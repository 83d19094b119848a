//! A PostgreSQL cluster of one test's own, to stop and start behind the server's back (fault
//! tests); the shared cluster of [`crate::database`] must never be stopped.

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::TestkitError;
use crate::cluster::Cluster;

/// A cluster only its test uses; stopped and removed when dropped.
pub struct OwnCluster {
    cluster: Cluster,
}

impl OwnCluster {
    /// Starts a cluster (`initdb`, `pg_ctl start`) and creates database `name` on it.
    pub async fn start(name: &str) -> Result<OwnCluster, TestkitError> {
        let cluster = tokio::task::spawn_blocking(Cluster::start)
            .await
            .map_err(|e| TestkitError::Unavailable(e.to_string()))?
            .map_err(TestkitError::Unavailable)?;
        let own = OwnCluster { cluster };
        let mut conn = PgConnection::connect(&own.url("postgres")).await?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        Ok(own)
    }

    /// The URL of database `name` on this cluster (superuser `postgres`, trusted).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.cluster.port)
    }

    /// The port the cluster listens on (loopback).
    pub fn port(&self) -> u16 {
        self.cluster.port
    }

    /// `pg_ctl stop -m fast`: connections are cut, new ones refused.
    pub fn stop(&self) -> Result<(), TestkitError> {
        self.cluster.stop_fast().map_err(TestkitError::Unavailable)
    }

    /// Starts the stopped cluster again on the same port.
    pub fn restart(&self) -> Result<(), TestkitError> {
        self.cluster.restart().map_err(TestkitError::Unavailable)
    }
}
