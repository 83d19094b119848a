//! `POST /v1/ssh/certs`: a certificate for the caller's key, bound to their grants; and
//! `GET /v1/ssh/krl`: the key revocation list for `sshd`'s `RevokedKeys`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wicket_core::Time;
use wicket_engine::app::App;

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiResult;
use crate::openapi::errors::ErrorBody;
use crate::openapi::formats;

/// The key to sign.
#[derive(Deserialize, ToSchema)]
#[schema(as = SshCertRequest)]
#[serde(deny_unknown_fields)]
pub struct CertBody {
    /// An OpenSSH public key line, like `ssh-ed25519 AAAA... me@laptop`.
    #[schema(value_type = formats::Text)]
    public_key: String,
}

/// A signed user certificate.
#[derive(Serialize, ToSchema)]
#[schema(as = SshCertificate)]
pub struct Cert {
    /// The certificate line, for the file `KEY-cert.pub` next to the private key.
    certificate: String,
    /// Its serial number (what the key revocation list names).
    serial: String,
    key_id: String,
    /// The logins it is valid for, as `ssh/ENV/HOST/LOGIN`.
    principals: Vec<String>,
    #[schema(value_type = formats::Time)]
    valid_after: Time,
    /// The end of the first grant it rests on, or of `max_cert_ttl`.
    #[schema(value_type = formats::Time)]
    valid_before: Time,
    grants: Vec<String>,
    extensions: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/v1/ssh/certs",
    operation_id = "create_ssh_cert",
    tag = "grants",
    summary = "an SSH certificate for my key",
    description = "Signs the caller's public key with wicket's user CA. The principals are the \
                   logins (`ssh/ENV/HOST/LOGIN`) that the caller's live grants and standing roles \
                   allow `ssh:login` on; the certificate ends with the first grant it rests on. \
                   Recorded as `ssh.cert.issued`.",
    request_body = CertBody,
    responses(
        (status = 200, description = "the certificate", body = Cert),
        (status = 400, description = "not a public key: `public_key`", body = ErrorBody),
        (status = 403, description = "nothing allows `ssh:login`: `no_ssh_login`", body = ErrorBody),
        (status = 404, description = "no CA configured: `no_ssh_ca`", body = ErrorBody),
    )
)]
pub async fn certs(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<CertBody>,
) -> ApiResult<Json<Cert>> {
    let c = wicket_engine::ssh::issue(&app, &caller.user, &body.public_key).await?;
    Ok(Json(Cert {
        certificate: c.certificate,
        serial: c.serial.to_string(),
        key_id: c.key_id,
        principals: c.principals,
        valid_after: c.valid_after,
        valid_before: c.valid_before,
        grants: c.grants,
        extensions: c.extensions,
    }))
}

#[utoipa::path(
    get,
    path = "/v1/ssh/krl",
    operation_id = "ssh_krl",
    tag = "grants",
    summary = "the SSH key revocation list",
    description = "OpenSSH's binary KRL: the serials of every still-valid certificate whose grant \
                   was revoked. Hosts fetch it for `sshd`'s `RevokedKeys` (`wicket ssh krl --out \
                   FILE` replaces the file atomically) with any user's token.",
    responses(
        (status = 200, description = "the KRL", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 404, description = "no CA configured: `no_ssh_ca`", body = ErrorBody),
    )
)]
pub async fn krl(State(app): State<App>, _caller: Caller) -> ApiResult<impl IntoResponse> {
    let bytes = wicket_engine::ssh::krl::current(&app).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}
