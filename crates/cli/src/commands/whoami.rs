//! `wicket whoami`: the caller's user, groups, standing roles, live grants and wicket powers.

use anyhow::Result;
use chrono::Utc;

use crate::api::{WhoAmI, decode};
use crate::args::Global;
use crate::client::Client;
use crate::commands::grant::expiry;
use crate::exit::Verdict;
use crate::output::{self, Fields, Format};

pub async fn run(global: &Global) -> Result<Verdict> {
    let answer = Client::new(global)?.get("/v1/whoami", &[]).await?;
    if global.output == Format::Json {
        output::json(&answer)?;
        return Ok(Verdict::Yes);
    }
    let me: WhoAmI = decode(&answer, "whoami answer")?;
    let now = Utc::now();
    let standing = me
        .standing
        .iter()
        .map(|s| match &s.expires_at {
            Some(at) => format!("{} (until {at})", s.role),
            None => s.role.clone(),
        })
        .collect();
    let grants = me
        .grants
        .iter()
        .map(|g| format!("{}  {}  {}  {}", g.role, g.id, g.status, expiry(g, now)))
        .collect();
    Fields::default()
        .one("user", me.user)
        .one("groups", output::or_dash(Some(&me.groups.join(", "))))
        .many("standing", standing)
        .many("grants", grants)
        .many("powers", me.powers)
        .print()?;
    Ok(Verdict::Yes)
}
