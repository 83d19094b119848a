//! The three-engine cross-check: Wicket, Cedar and Casbin must return the same decision on
//! every check of a workload before any of them is timed.

use anyhow::{Result, bail};

use crate::workload::Workload;
use crate::{casbin, cedar, wicket};

/// The three engines built from one workload.
pub struct Engines {
    pub wicket: wicket::Engine,
    pub cedar: cedar::Engine,
    pub casbin: casbin::Engine,
}

impl Engines {
    pub fn new(w: &Workload) -> Result<Engines> {
        Ok(Engines {
            wicket: wicket::Engine::new(w)?,
            cedar: cedar::Engine::new(w)?,
            casbin: casbin::Engine::new(w)?,
        })
    }
}

/// What a cross-check saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Agreement {
    pub checks: usize,
    pub allowed: usize,
}

/// Decides the first `limit` checks with Wicket and Cedar, and the first `casbin_limit` of
/// them with Casbin too (it can be slow on big workloads), and fails on the first
/// disagreement, naming the check and each engine's answer.
pub fn cross_check(
    w: &Workload,
    e: &Engines,
    limit: usize,
    casbin_limit: usize,
) -> Result<Agreement> {
    let mut seen = Agreement::default();
    for (i, check) in w.checks.iter().enumerate().take(limit) {
        let ours = e.wicket.allowed(&e.wicket.checks[i]);
        let theirs = e.cedar.allowed(&e.cedar.requests[i]);
        let casbins = if i < casbin_limit {
            e.casbin.allowed(&e.casbin.requests[i])?
        } else {
            ours
        };
        if ours != theirs || ours != casbins {
            bail!(
                "check {i} (`{}` `{}` on `{}`): wicket {ours}, cedar {theirs}, casbin {casbins}",
                w.users[check.user].name,
                check.action,
                check.resource
            );
        }
        seen.checks += 1;
        seen.allowed += usize::from(ours);
    }
    Ok(seen)
}
