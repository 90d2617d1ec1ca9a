/**
 * A GCE/Cloud Run metadata-server emulator for tests (DESIGN §3, §8; public-reports F3–F5).
 *
 * Serves what our identity stage and gcp-metadata ask for, with the real shapes:
 * - `GET /computeMetadata/v1/instance/service-accounts/default/identity?audience=…[&format=full]`: an RS256 JWT
 *   signed with a key generated at start, claims like a Cloud Run/Functions service-account token
 *   (`iss`, `aud`, `azp` = `sub` = the 21-digit unique id, `email`, `email_verified`, `iat`, `exp`; no
 *   `google.compute_engine` block, which only GCE VMs add);
 * - `…/service-accounts/default/email`, `…/project/project-id`, `/computeMetadata/v1/`, `/computeMetadata/v1/instance`
 *   and `/` (gcp-metadata's residency ping);
 * - `GET /oauth2/v3/certs`: the JWKS for the signing key (no header needed, like www.googleapis.com).
 *
 * Like the real server it requires the request header `Metadata-Flavor: Google` (403 otherwise), rejects requests
 * carrying `X-Forwarded-For` (403), and answers with `Metadata-Flavor: Google`.
 *
 * Modes: `ok`; `hang` (accepts and never answers — F3); `fail-identity` (identity answers 500 with a body while
 * every other path works — F5); `no-flavor` (answers without the `Metadata-Flavor` header — F4); `wrong-flavor`
 * (answers with `Metadata-Flavor: Proxy`, like a misconfigured proxy — F4).
 *
 * CLI: `./node_modules/.bin/node test/emulators/metadata-server.ts --port 8123 --email sa@p.iam.gserviceaccount.com
 * --unique-id 123456789012345678901 [--project-id p] [--ttl-seconds 3600] [--mode ok]` prints
 * `GCE_METADATA_HOST=127.0.0.1:8123` and runs until SIGINT/SIGTERM.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const METADATA_MODES = ['ok', 'hang', 'fail-identity', 'no-flavor', 'wrong-flavor'] as const;
export type MetadataMode = (typeof METADATA_MODES)[number];

export interface MetadataServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** The runtime service account's e-mail. */
  email?: string;
  /** The service account's numeric unique id (21 digits on real accounts). */
  uniqueId?: string;
  projectId?: string;
  /** Token lifetime; Google's is 3600 s. Zero or negative values mint already-expired tokens. */
  ttlSeconds?: number;
  mode?: MetadataMode;
  /** Clock for `iat` (ms since epoch). */
  now?: () => number;
}

export interface MetadataServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, the form `GCE_METADATA_HOST` takes. */
  host: string;
  port: number;
  setMode(mode: MetadataMode): void;
  setTtlSeconds(seconds: number): void;
  /** Number of identity tokens minted so far. */
  readonly issued: number;
  /** Number of requests received on any path (including rejected ones). */
  readonly requests: number;
  /** The public signing key as a JWKS document. */
  jwks: { keys: JsonWebKeyWithKid[] };
  stop(): Promise<void>;
}

/** A type alias (not an interface) so it is assignable to node:crypto's `JsonWebKey`. */
export type JsonWebKeyWithKid = {
  kty: string;
  n: string;
  e: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
};

export const DEFAULT_EMAIL = 'athena-transfer@my-project.iam.gserviceaccount.com';
export const DEFAULT_UNIQUE_ID = '109876543210987654321';
export const DEFAULT_PROJECT_ID = 'my-project';

const IDENTITY_PATH = '/computeMetadata/v1/instance/service-accounts/default/identity';

/** Starts the emulator on 127.0.0.1. */
export async function startMetadataServer(options: MetadataServerOptions = {}): Promise<MetadataServer> {
  const email = options.email ?? DEFAULT_EMAIL;
  const uniqueId = options.uniqueId ?? DEFAULT_UNIQUE_ID;
  const projectId = options.projectId ?? DEFAULT_PROJECT_ID;
  const now = options.now ?? Date.now;
  let mode: MetadataMode = options.mode ?? 'ok';
  let ttlSeconds = options.ttlSeconds ?? 3600;
  let issued = 0;
  let requests = 0;

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  // Google's kids are 40 hex digits; a SHA-1 of the public key gives the same shape.
  const kid = createHash('sha1').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
  const jwks = {
    keys: [{ kty: String(jwk.kty), n: String(jwk.n), e: String(jwk.e), kid, alg: 'RS256' as const, use: 'sig' as const }],
  };

  const answer = (res: ServerResponse, status: number, body: string, contentType = 'application/text'): void => {
    const headers: Record<string, string> = { 'Content-Type': contentType };
    if (mode === 'wrong-flavor') headers['Metadata-Flavor'] = 'Proxy';
    else if (mode !== 'no-flavor') headers['Metadata-Flavor'] = 'Google';
    res.writeHead(status, headers).end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests += 1;
    const url = new URL(req.url ?? '/', 'http://metadata.google.internal');
    if (url.pathname === '/oauth2/v3/certs') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(jwks));
      return;
    }
    if (mode === 'hang') return; // keep the socket open; stop() destroys it
    if (req.method !== 'GET') return answer(res, 405, 'Method not allowed\n');
    // The real server refuses proxied requests and requests without the flavor header (SSRF protection).
    if (req.headers['x-forwarded-for'] !== undefined) return answer(res, 403, 'Forbidden\n');
    if (req.headers['metadata-flavor'] !== 'Google') {
      return answer(res, 403, 'Missing required header: "Metadata-Flavor: Google"\n');
    }
    switch (url.pathname) {
      case '/':
        return answer(res, 200, 'computeMetadata/\n');
      case '/computeMetadata/v1':
      case '/computeMetadata/v1/':
        return answer(res, 200, 'instance/\nproject/\n');
      case '/computeMetadata/v1/instance':
      case '/computeMetadata/v1/instance/':
        return answer(res, 200, 'service-accounts/\n');
      case '/computeMetadata/v1/instance/service-accounts/default/email':
        return answer(res, 200, email);
      case '/computeMetadata/v1/project/project-id':
        return answer(res, 200, projectId);
      case IDENTITY_PATH:
        return identity(url, res);
      // OAuth2 access tokens for the runtime's own Google clients (BigQuery, Storage): google-auth-library
      // finds this server through GCE_METADATA_HOST exactly as it finds the real one on Cloud Functions.
      case '/computeMetadata/v1/instance/service-accounts/default/token':
        return answer(res, 200, JSON.stringify({ access_token: `emulator-access-token-${requests}`, expires_in: 3599, token_type: 'Bearer' }), 'application/json');
      case '/computeMetadata/v1/instance/service-accounts/default/':
      case '/computeMetadata/v1/instance/service-accounts/default':
        return answer(res, 200, JSON.stringify({ aliases: ['default'], email, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }), 'application/json');
      default:
        return answer(res, 404, `Not Found: ${url.pathname}\n`);
    }
  };

  const identity = (url: URL, res: ServerResponse): void => {
    if (mode === 'fail-identity') {
      return answer(res, 500, 'Internal error: could not generate identity token for the service account\n');
    }
    const audience = url.searchParams.get('audience') ?? '';
    if (audience === '') return answer(res, 400, 'non-empty audience parameter required\n');
    const iat = Math.floor(now() / 1000);
    const claims: Record<string, unknown> = { aud: audience, azp: uniqueId };
    // format=full adds email/email_verified; the default (standard) format does not.
    if (url.searchParams.get('format') === 'full') {
      claims.email = email;
      claims.email_verified = true;
    }
    Object.assign(claims, { exp: iat + ttlSeconds, iat, iss: 'https://accounts.google.com', sub: uniqueId });
    issued += 1;
    answer(res, 200, signJwt({ alg: 'RS256', kid, typ: 'JWT' }, claims, privateKey));
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    jwks,
    setMode(next) {
      mode = next;
    },
    setTtlSeconds(seconds) {
      ttlSeconds = seconds;
    },
    get issued() {
      return issued;
    },
    get requests() {
      return requests;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung requests would keep close() waiting forever.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

function signJwt(header: object, claims: object, key: KeyObject): string {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), key))}`;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      email: { type: 'string' },
      'unique-id': { type: 'string' },
      'project-id': { type: 'string' },
      'ttl-seconds': { type: 'string' },
      mode: { type: 'string', default: 'ok' },
    },
  });
  const mode = values.mode as MetadataMode;
  if (!METADATA_MODES.includes(mode)) throw new Error(`--mode must be one of ${METADATA_MODES.join(', ')}`);
  const server = await startMetadataServer({
    port: Number(values.port),
    email: values.email,
    uniqueId: values['unique-id'],
    projectId: values['project-id'],
    ttlSeconds: values['ttl-seconds'] === undefined ? undefined : Number(values['ttl-seconds']),
    mode,
  });
  process.stdout.write(`GCE_METADATA_HOST=${server.host}\n`);
  const shutdown = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
