//! The key revocation list `sshd` reads through `RevokedKeys`: the serials of every
//! certificate still within its validity whose grant was revoked. `ssh-key` reads and writes
//! keys and certificates but not KRLs, so the container is written here as OpenSSH's
//! `PROTOCOL.krl` lays it out (a header, then one certificate section of serials under the CA).

use std::collections::BTreeSet;

use ssh_key::PublicKey;
use wicket_core::audit::EventKind;
use wicket_core::{Time, time};
use wicket_store::GrantFilter;

use super::ca;
use crate::app::{App, now};
use crate::error::{EngineError, EngineResult};

const KRL_MAGIC: u64 = 0x5353_484b_524c_0a00;
const KRL_FORMAT_VERSION: u32 = 1;
const KRL_SECTION_CERTIFICATES: u8 = 1;
const KRL_SECTION_CERT_SERIAL_LIST: u8 = 0x20;

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len() as u32);
    out.extend_from_slice(bytes);
}

/// A KRL revoking `serials` of certificates signed by `ca` (an empty list revokes nothing,
/// and is still a valid file: a missing `RevokedKeys` file would lock everyone out).
pub fn encode(
    ca: &PublicKey,
    serials: &BTreeSet<u64>,
    version: u64,
    generated: u64,
) -> EngineResult<Vec<u8>> {
    let mut out = Vec::with_capacity(64 + serials.len() * 8);
    put_u64(&mut out, KRL_MAGIC);
    put_u32(&mut out, KRL_FORMAT_VERSION);
    put_u64(&mut out, version);
    put_u64(&mut out, generated);
    put_u64(&mut out, 0); // flags
    put_string(&mut out, b""); // reserved
    put_string(&mut out, b"wicket");
    if serials.is_empty() {
        return Ok(out);
    }
    let blob = ca
        .to_bytes()
        .map_err(|e| EngineError::Internal(format!("encoding the CA key: {e}")))?;
    let mut list = Vec::with_capacity(serials.len() * 8);
    // Ascending, as `ssh-keygen -k` writes them.
    for s in serials {
        put_u64(&mut list, *s);
    }
    let mut section = Vec::new();
    put_string(&mut section, &blob);
    put_string(&mut section, b""); // reserved
    section.push(KRL_SECTION_CERT_SERIAL_LIST);
    put_string(&mut section, &list);
    out.push(KRL_SECTION_CERTIFICATES);
    put_string(&mut out, &section);
    Ok(out)
}

/// The serials of certificates still valid at `at` whose grants include a revoked one.
pub async fn revoked_serials(app: &App, at: Time) -> EngineResult<BTreeSet<u64>> {
    let revoked: BTreeSet<String> = app
        .store
        .list_grants(&GrantFilter {
            revoked_live_at: Some(at),
            ..GrantFilter::default()
        })
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    let mut serials = BTreeSet::new();
    if revoked.is_empty() {
        return Ok(serials);
    }
    crate::of_kind::each(&*app.store, EventKind::SshCertIssued, |_, details| {
        let live = details
            .get("valid_before")
            .and_then(|v| v.as_str())
            .and_then(|v| time::parse(v).ok())
            .is_some_and(|end| at < end);
        let hit = details
            .get("grants")
            .and_then(|g| g.as_array())
            .is_some_and(|gs| {
                gs.iter()
                    .filter_map(|g| g.as_str())
                    .any(|g| revoked.contains(g))
            });
        let serial = details
            .get("serial")
            .and_then(|s| s.as_str())
            .and_then(|s| s.parse::<u64>().ok());
        if let (true, true, Some(s)) = (live, hit, serial) {
            serials.insert(s);
        }
    })
    .await?;
    Ok(serials)
}

/// The KRL as of now, for the configured CA.
pub async fn current(app: &App) -> EngineResult<Vec<u8>> {
    let key = ca::configured(app)?;
    let at = now();
    let serials = revoked_serials(app, at).await?;
    let secs = u64::try_from(at.timestamp()).unwrap_or(0);
    encode(key.public_key(), &serials, secs, secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_list_is_the_header_alone() {
        let key = ca::random_key("ca");
        let bytes = encode(key.public_key(), &BTreeSet::new(), 7, 9).unwrap();
        assert_eq!(&bytes[..8], &KRL_MAGIC.to_be_bytes());
        assert_eq!(bytes.len(), 8 + 4 + 8 + 8 + 8 + 4 + 4 + 6);
    }

    #[test]
    fn serials_are_written_ascending_under_the_ca() {
        let key = ca::random_key("ca");
        let serials: BTreeSet<u64> = [9, 3, 5].into_iter().collect();
        let bytes = encode(key.public_key(), &serials, 1, 1).unwrap();
        let tail = &bytes[bytes.len() - 24..];
        assert_eq!(&tail[..8], &3u64.to_be_bytes());
        assert_eq!(&tail[16..], &9u64.to_be_bytes());
    }
}
