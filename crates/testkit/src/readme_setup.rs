//! A cluster set up for provisioning as the README says, for the tests and benchmarks that
//! provision into a real PostgreSQL: SCRAM for every role but the trusted superuser, an owner
//! role owning the database, `CONNECT` only by grant, and `wicket_admin` with `CREATEROLE`,
//! membership in the owner and `pg_signal_backend`.

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::TestkitError;
use crate::own::OwnCluster;

impl OwnCluster {
    /// Sets up `database` (created by [`OwnCluster::start`]) as the README says, with
    /// `admin_password` for `wicket_admin`, then runs `tables` as the owner role (the tables
    /// the test provisions access to).
    pub async fn readme_setup(
        &self,
        database: &str,
        admin_password: &str,
        tables: &str,
    ) -> Result<(), TestkitError> {
        let mut conn = PgConnection::connect(&self.url(database)).await?;
        let hba: String = sqlx::query_scalar("SHOW hba_file")
            .fetch_one(&mut conn)
            .await?;
        let text = std::fs::read_to_string(&hba)
            .map_err(|e| TestkitError::Unavailable(format!("reading {hba}: {e}")))?;
        std::fs::write(
            &hba,
            format!(
                "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n{text}"
            ),
        )
        .map_err(|e| TestkitError::Unavailable(format!("writing {hba}: {e}")))?;
        sqlx::raw_sql(&format!(
            "SELECT pg_reload_conf(); \
             CREATE ROLE app_owner NOLOGIN; \
             ALTER DATABASE \"{database}\" OWNER TO app_owner; \
             REVOKE CONNECT ON DATABASE \"{database}\" FROM PUBLIC; \
             CREATE ROLE wicket_admin LOGIN CREATEROLE PASSWORD '{admin_password}'; \
             GRANT app_owner TO wicket_admin; \
             GRANT pg_signal_backend TO wicket_admin; \
             SET ROLE app_owner; \
             {tables}"
        ))
        .execute(&mut conn)
        .await?;
        conn.close().await?;
        Ok(())
    }
}
