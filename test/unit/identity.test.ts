/**
 * The identity stage against our metadata-server emulator, through the real gcp-metadata 9 (public-reports F3–F5).
 * gcp-metadata reads GCE_METADATA_IP || GCE_METADATA_HOST from process.env on every call, so tests point it at
 * an emulator by setting the variable and restoring it afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import {
  createIdentityTokenCache,
  fetchIdentityToken,
  readMetadataEnv,
  IdentityToken,
  MetadataUnavailable,
  MetadataBadResponse,
  IdentityTokenFailed,
  type IdentityDeps,
} from '../../src/identity/index.ts';
import { TransferError } from '../../src/errors.ts';
import { DEFAULT_EMAIL, DEFAULT_UNIQUE_ID, startMetadataServer, type MetadataServer } from '../emulators/metadata-server.ts';

const AUDIENCE = 'sts.amazonaws.com';
const VARS = ['GCE_METADATA_HOST', 'GCE_METADATA_IP', 'METADATA_SERVER_DETECTION'] as const;

/** Runs `fn` with the metadata variables set to `vars` (others unset), then restores them. */
async function withEnv<T>(vars: Partial<Record<(typeof VARS)[number], string>>, fn: () => Promise<T>): Promise<T> {
  const saved = VARS.map((key) => [key, process.env[key]] as const);
  for (const key of VARS) {
    if (vars[key] === undefined) delete process.env[key];
    else process.env[key] = vars[key];
  }
  try {
    return await fn();
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

function deps(extra: Partial<IdentityDeps> = {}): IdentityDeps {
  return { env: readMetadataEnv(process.env), ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

function assertNoToken(error: unknown, tokenFragment: string): void {
  assert.ok(error instanceof TransferError);
  for (const text of [error.message, error.hint, JSON.stringify(error), JSON.stringify(error.details)]) {
    assert.ok(!text.includes(tokenFragment), `token leaked into ${text}`);
  }
}

describe('fetchIdentityToken against the emulator', () => {
  let server: MetadataServer;
  before(async () => {
    server = await startMetadataServer();
  });
  after(async () => {
    await server.stop();
  });

  it('returns a redacted token with Cloud Functions claims, verifiable with the emulator JWKS', async () => {
    const token = await withEnv({ GCE_METADATA_HOST: server.host }, () => fetchIdentityToken(AUDIENCE, deps()));
    assert.ok(token instanceof IdentityToken);
    const { iss, aud, azp, sub, email, exp, iat } = token.claims;
    assert.deepEqual({ iss, aud, azp, sub, email }, {
      iss: 'https://accounts.google.com', aud: AUDIENCE, azp: DEFAULT_UNIQUE_ID, sub: DEFAULT_UNIQUE_ID, email: DEFAULT_EMAIL,
    });
    assert.equal((exp ?? 0) - (iat ?? 0), 3600);
    assert.equal(token.expiresAt.getTime(), (exp ?? 0) * 1000);
    const jwt = token.reveal();
    assert.match(jwt, /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/);
    for (const shown of [String(token), `${token}`, JSON.stringify(token), inspect(token), inspect({ nested: token })]) {
      assert.ok(!shown.includes(jwt.split('.')[2] as string), shown);
      assert.ok(shown.includes('[REDACTED]'), shown);
    }
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const [jwk] = server.jwks.keys;
    assert.ok(jwk);
    const key = createPublicKey({ key: jwk satisfies JsonWebKey, format: 'jwk' });
    assert.ok(verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')));
    assert.equal(JSON.parse(Buffer.from(header, 'base64url').toString()).kid, server.jwks.keys[0]?.kid);
  });

  it('uses GCE_METADATA_IP before GCE_METADATA_HOST, like gcp-metadata getBaseUrl', async () => {
    const token = await withEnv({ GCE_METADATA_IP: server.host, GCE_METADATA_HOST: '127.0.0.1:9' }, () =>
      fetchIdentityToken(AUDIENCE, deps()));
    assert.equal(token.claims.aud, AUDIENCE);
  });

  it('F4: no Metadata-Flavor header -> METADATA_BAD_RESPONSE naming the header received and the base URL', async () => {
    server.setMode('no-flavor');
    try {
      const error = await withEnv({ GCE_METADATA_HOST: server.host }, () => rejection(fetchIdentityToken(AUDIENCE, deps())));
      assert.ok(error instanceof MetadataBadResponse);
      assert.equal(error.code, 'METADATA_BAD_RESPONSE');
      assert.equal(error.details.receivedMetadataFlavor, null);
      assert.match(error.message, /no Metadata-Flavor header/);
      assert.ok(error.message.includes(`${server.url}/computeMetadata/v1`));
      assert.equal(error.details.baseUrl, `${server.url}/computeMetadata/v1`);
    } finally {
      server.setMode('ok');
    }
  });

  it('F4: a wrong Metadata-Flavor value is named in the error', async () => {
    server.setMode('wrong-flavor');
    try {
      const error = await withEnv({ GCE_METADATA_HOST: server.host }, () => rejection(fetchIdentityToken(AUDIENCE, deps())));
      assert.ok(error instanceof MetadataBadResponse);
      assert.equal(error.details.receivedMetadataFlavor, 'Proxy');
      assert.match(error.message, /Metadata-Flavor: "Proxy"/);
      assert.deepEqual(error.details.overrides, { GCE_METADATA_HOST: server.host });
    } finally {
      server.setMode('ok');
    }
  });

  it('F5: identity answers 500 while e-mail works -> IDENTITY_TOKEN_FAILED with status, body snippet and SA e-mail', async () => {
    server.setMode('fail-identity');
    try {
      const error = await withEnv({ GCE_METADATA_HOST: server.host }, () => rejection(fetchIdentityToken(AUDIENCE, deps())));
      assert.ok(error instanceof IdentityTokenFailed);
      assert.equal(error.code, 'IDENTITY_TOKEN_FAILED');
      assert.equal(error.httpStatus, 500);
      assert.equal(error.serviceAccountEmail, DEFAULT_EMAIL);
      assert.equal(error.details.serviceAccountEmail, DEFAULT_EMAIL);
      assert.match(String(error.details.bodySnippet), /could not generate identity token/);
      assert.ok(error.message.includes('HTTP 500') && error.message.includes(DEFAULT_EMAIL), error.message);
      assert.ok(error.hint.includes(DEFAULT_EMAIL));
    } finally {
      server.setMode('ok');
    }
  });

  it('rejects with the caller signal reason when aborted mid-request', async () => {
    const hung = await startMetadataServer({ mode: 'hang' });
    try {
      const controller = new AbortController();
      const reason = new Error('run budget exhausted');
      setTimeout(() => controller.abort(reason), 50);
      const error = await withEnv({ GCE_METADATA_HOST: hung.host }, () =>
        rejection(fetchIdentityToken(AUDIENCE, deps({ signal: controller.signal }))));
      assert.equal(error, reason);
    } finally {
      await hung.stop();
    }
  });

  it('rejects with the caller signal reason when already aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('run budget exhausted');
    controller.abort(reason);
    const requests = server.requests;
    const error = await withEnv({ GCE_METADATA_HOST: server.host }, () =>
      rejection(fetchIdentityToken(AUDIENCE, deps({ signal: controller.signal }))));
    assert.equal(error, reason);
    assert.equal(server.requests, requests, 'no request after an abort');
  });
});

describe('fetchIdentityToken when nothing answers (F3)', () => {
  it('a hanging server fails within the injected deadline, naming host, elapsed time and overrides', async () => {
    // Own server: gcp-metadata keeps retrying the hung request in the background after our deadline.
    const hung = await startMetadataServer({ mode: 'hang' });
    try {
      const started = Date.now();
      const error = await withEnv({ GCE_METADATA_HOST: hung.host, METADATA_SERVER_DETECTION: 'assume-present' }, () =>
        rejection(fetchIdentityToken(AUDIENCE, deps({ timeoutMs: 150 }))));
      const elapsed = Date.now() - started;
      assert.ok(error instanceof MetadataUnavailable);
      assert.equal(error.code, 'METADATA_UNAVAILABLE');
      assert.equal(error.status, 503);
      assert.ok(elapsed < 2000, `took ${elapsed} ms`);
      assert.ok(error.elapsedMs >= 140 && error.elapsedMs < 2000, String(error.elapsedMs));
      assert.equal(error.details.host, hung.host);
      assert.equal(error.details.timeoutMs, 150);
      assert.deepEqual(error.details.overrides, { GCE_METADATA_HOST: hung.host, METADATA_SERVER_DETECTION: 'assume-present' });
      assert.ok(error.message.includes(`GCE_METADATA_HOST=${hung.host}`), error.message);
      assert.ok(error.message.includes('METADATA_SERVER_DETECTION=assume-present'), error.message);
      assert.ok(error.message.includes('150 ms'), error.message);
    } finally {
      await hung.stop();
    }
  });

  it('a closed port fails as METADATA_UNAVAILABLE with the network code', async () => {
    const closed = await startMetadataServer();
    const host = closed.host;
    await closed.stop();
    const error = await withEnv({ GCE_METADATA_HOST: host }, () => rejection(fetchIdentityToken(AUDIENCE, deps())));
    assert.ok(error instanceof MetadataUnavailable);
    assert.equal(error.details.networkCode, 'ECONNREFUSED');
    assert.match(error.message, /could not be reached \(ECONNREFUSED\)/);
    assert.equal(error.details.host, host);
  });
});

describe('fetchIdentityToken with odd answers (fake metadata client)', () => {
  const cases: { name: string; answer: unknown; message: RegExp }[] = [
    { name: 'a number', answer: 42, message: /number instead of a JWT/ },
    { name: 'plain text', answer: 'not-a-token', message: /not a JWT/ },
    { name: 'a token for another audience', answer: jwt({ aud: 'other', exp: 2e9 }), message: /audience other instead of sts\.amazonaws\.com/ },
    { name: 'a token without exp', answer: jwt({ aud: AUDIENCE }), message: /without an exp claim/ },
  ];
  for (const { name, answer, message } of cases) {
    it(`${name} -> METADATA_BAD_RESPONSE`, async () => {
      const error = await rejection(fetchIdentityToken(AUDIENCE, {
        env: { GCE_METADATA_HOST: 'fake:1' },
        metadata: { instance: async () => answer },
      }));
      assert.ok(error instanceof MetadataBadResponse);
      assert.match(error.message, message);
      assert.equal(error.details.baseUrl, 'http://fake:1/computeMetadata/v1');
      if (typeof answer === 'string') assertNoToken(error, answer);
    });
  }

  it('F5 without a working e-mail endpoint still reports the status', async () => {
    const httpError = Object.assign(new Error('boom'), { response: { status: 503, data: `upstream said ${jwt({ a: 1 })}` } });
    const error = await rejection(fetchIdentityToken(AUDIENCE, {
      env: {},
      metadata: {
        instance: async (options) => {
          throw typeof options === 'string' ? new Error('email down') : httpError;
        },
      },
    }));
    assert.ok(error instanceof IdentityTokenFailed);
    assert.equal(error.serviceAccountEmail, undefined);
    assert.equal(error.details.bodySnippet, 'upstream said [REDACTED]');
    assert.match(error.message, /HTTP 503/);
    assert.match(error.message, /unknown: the e-mail lookup failed too/);
    assert.equal(error.details.baseUrl, 'http://169.254.169.254/computeMetadata/v1');
  });
});

describe('createIdentityTokenCache', () => {
  let server: MetadataServer;
  before(async () => {
    server = await startMetadataServer();
    process.env.GCE_METADATA_HOST = server.host;
  });
  after(async () => {
    delete process.env.GCE_METADATA_HOST;
    await server.stop();
  });

  it('serves the cached token until less than 5 minutes remain, then fetches a new one', async () => {
    let clock = Date.now();
    const cache = createIdentityTokenCache(deps({ now: () => clock }));
    const start = server.issued;
    const first = await cache.getToken(AUDIENCE);
    assert.equal(server.issued, start + 1);
    const steps: { advanceTo: number; fetches: number; same: boolean }[] = [
      { advanceTo: first.expiresAt.getTime() - 30 * 60_000, fetches: 1, same: true },
      { advanceTo: first.expiresAt.getTime() - 5 * 60_000 - 1, fetches: 1, same: true },
      { advanceTo: first.expiresAt.getTime() - 5 * 60_000, fetches: 2, same: false },
    ];
    for (const step of steps) {
      clock = step.advanceTo;
      const token = await cache.getToken(AUDIENCE);
      assert.equal(server.issued, start + step.fetches, `at ${step.advanceTo}`);
      assert.equal(token === first, step.same);
    }
  });

  it('forceRefresh bypasses the cache; audiences are cached separately; concurrent calls share one fetch', async () => {
    const cache = createIdentityTokenCache(deps());
    const start = server.issued;
    const [a, b] = await Promise.all([cache.getToken(AUDIENCE), cache.getToken(AUDIENCE)]);
    assert.equal(a, b);
    assert.equal(server.issued, start + 1);
    const other = await cache.getToken('https://example.com');
    assert.equal(other.claims.aud, 'https://example.com');
    assert.equal(server.issued, start + 2);
    assert.equal(await cache.getToken(AUDIENCE), a);
    const forced = await cache.getToken(AUDIENCE, { forceRefresh: true });
    assert.notEqual(forced, a);
    assert.equal(server.issued, start + 3);
  });

  it('does not cache failures', async () => {
    const cache = createIdentityTokenCache(deps());
    server.setMode('no-flavor');
    try {
      await assert.rejects(cache.getToken(AUDIENCE), MetadataBadResponse);
    } finally {
      server.setMode('ok');
    }
    const token = await cache.getToken(AUDIENCE);
    assert.equal(token.claims.aud, AUDIENCE);
  });

  it('refreshes short-lived tokens at once (ttl below the margin)', async () => {
    server.setTtlSeconds(120);
    try {
      const cache = createIdentityTokenCache(deps());
      const start = server.issued;
      const first = await cache.getToken(AUDIENCE);
      assert.equal((first.claims.exp ?? 0) - (first.claims.iat ?? 0), 120);
      await cache.getToken(AUDIENCE);
      assert.equal(server.issued, start + 2);
    } finally {
      server.setTtlSeconds(3600);
    }
  });
});

function jwt(claims: Record<string, unknown>): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}
