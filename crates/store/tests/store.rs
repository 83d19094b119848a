//! The store contract, run on every backend: SQLite files and PostgreSQL databases.
//!
//! The bodies in `contract` know only `dyn Store`. Each backend module says how to open a
//! fresh store and runs every body with one line, `contract_suite!(fresh)`; what is particular
//! to a backend (opening, reopening, several handles on one database) follows that line.

use std::error::Error;

type TestResult = Result<(), Box<dyn Error + Send + Sync>>;

/// One `#[tokio::test]` per contract body, each on a fresh store from `$fresh`, which gives
/// `None` when the backend's tests are skipped.
macro_rules! contract_tests {
    ($fresh:path; $($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() -> crate::TestResult {
            let Some(db) = $fresh().await? else {
                return Ok(());
            };
            let store: std::sync::Arc<dyn wicket_store::Store> = db.store.clone();
            crate::contract::$name(store).await?;
            db.store.close().await;
            Ok(())
        }
    )*};
}

/// Every single-store contract body, on the backend that `$fresh` opens.
macro_rules! contract_suite {
    ($fresh:path) => {
        contract_tests!(
            $fresh;
            commit_insert_reads_back_equal,
            stale_update_is_a_conflict_and_writes_nothing,
            concurrent_updates_of_one_version_let_one_win,
            second_review_by_the_same_reviewer_is_a_conflict,
            second_revocation_is_a_conflict,
            an_extension_moves_the_end_it_read_only,
            chain_verifies_after_many_commits,
            append_with_a_taken_id_is_a_conflict_and_writes_nothing,
            concurrent_appends_keep_one_gapless_chain,
            dropped_writes_leave_nothing_half_done,
            expired_requests_are_recorded_once,
            grant_activations_and_expiries_are_recorded_once,
            concurrent_sweeps_record_each_expiry_once,
            event_filters,
            request_grant_and_anomaly_filters,
            time_filters_and_archiving,
            directory_reads_back_as_written,
            directory_names_are_unique_versions_current_and_members_real,
            live_tokens_are_the_unrevoked_ones,
            access_reviews_read_back_decide_once_and_suspend,
            a_requests_slack_message_is_kept_once,
        );
    };
}

// A test crate's root resolves modules beside it, not in a folder named after it.
#[path = "store/contract.rs"]
mod contract;
#[path = "store/directory.rs"]
mod directory;
#[path = "store/postgres.rs"]
mod postgres;
#[path = "store/reviews.rs"]
mod reviews;
#[path = "store/sqlite.rs"]
mod sqlite;
