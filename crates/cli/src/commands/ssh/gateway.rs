//! Starting the SSH gateway for `wicket serve` when `[[gateway.ssh]]` targets are configured,
//! and saying where each listens.

use anyhow::Result;
use wicket_engine::App;

pub async fn start(app: &App) -> Result<Option<wicket_ssh::Gateway>> {
    if app.config.gateway.ssh.is_empty() {
        return Ok(None);
    }
    let g = wicket_ssh::start(app.clone()).await?;
    for (name, addr) in &g.addrs {
        println!("ssh gateway target `{name}` on ssh://{addr}");
    }
    Ok(Some(g))
}
