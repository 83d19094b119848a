// A real OpenID Provider (the `oidc-provider` package, OpenID Certified) for wicket's sign-in
// tests, on loopback. It signs people in through its own development login and consent pages
// (any login, any password), and offers the authorization code flow with PKCE and the device
// authorization grant to one confidential client (unless DEVICE_FLOW is "0": a provider
// without it, whose discovery document has no `device_authorization_endpoint`).
//
// Environment:
//   PORT            port to listen on (0: any; the chosen one is printed)
//   KEYS_FILE       JSON file of signing keys ({"keys": [private JWK...], "pems": {kid: PEM}});
//                   made with one new RSA key when missing
//   ROTATE          "1": put a new key first (the one signing from now on), keeping the others
//   CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS (space separated)
//   DEVICE_FLOW     "0": no device authorization grant
//   ACCOUNTS        JSON: {"login": {"preferred_username": ..., "groups": [...], ...}}
//
// Prints one line of JSON, {"issuer": "http://localhost:PORT"}, once it is ready.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

import Provider from 'oidc-provider';

function newKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  jwk.kid = crypto.randomBytes(8).toString('hex');
  jwk.alg = 'RS256';
  jwk.use = 'sig';
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  return { jwk, pem };
}

function loadKeys(file, rotate) {
  let stored = { keys: [], pems: {} };
  if (fs.existsSync(file)) {
    stored = JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  if (stored.keys.length === 0 || rotate) {
    const { jwk, pem } = newKey();
    stored.keys.unshift(jwk);
    stored.pems[jwk.kid] = pem;
    fs.writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
  }
  return stored.keys;
}

const env = process.env;
const accounts = JSON.parse(env.ACCOUNTS || '{}');
const keys = loadKeys(env.KEYS_FILE, env.ROTATE === '1');
const deviceFlow = env.DEVICE_FLOW !== '0';

const server = http.createServer();
server.listen(Number(env.PORT || 0), '127.0.0.1', () => {
  const issuer = `http://localhost:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: env.CLIENT_ID || 'wicket',
      client_secret: env.CLIENT_SECRET || 'wicket-test-secret',
      redirect_uris: (env.REDIRECT_URIS || '').split(' ').filter(Boolean),
      grant_types: deviceFlow
        ? ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code']
        : ['authorization_code'],
      response_types: ['code'],
    }],
    jwks: { keys },
    cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
    scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'],
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email'],
      groups: ['groups'],
    },
    // Scope claims go in the ID token itself, as Keycloak, Okta and Entra put them.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: deviceFlow },
    },
    pkce: { required: () => true },
    async findAccount(ctx, sub) {
      const a = accounts[sub] || {};
      return {
        accountId: sub,
        async claims() {
          return { preferred_username: sub, ...a, sub };
        },
      };
    },
  });
  // The development pages warn on every start; the tests know.
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer }));
});
