/** The metadata-server emulator itself: the wire behaviour our identity tests rely on. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_EMAIL, DEFAULT_PROJECT_ID, DEFAULT_UNIQUE_ID, startMetadataServer, type MetadataServer } from '../emulators/metadata-server.ts';

const FLAVOR = { 'Metadata-Flavor': 'Google' };
const IDENTITY = '/computeMetadata/v1/instance/service-accounts/default/identity';

function payload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

describe('metadata-server emulator', () => {
  let server: MetadataServer;
  const fixedNow = Date.UTC(2026, 0, 2, 3, 4, 5);
  before(async () => {
    server = await startMetadataServer({ now: () => fixedNow });
  });
  after(async () => {
    await server.stop();
  });

  const routes: { name: string; path: string; headers: Record<string, string>; status: number; body?: RegExp | string; flavor: string | null }[] = [
    { name: 'root ping', path: '/', headers: FLAVOR, status: 200, body: 'computeMetadata/\n', flavor: 'Google' },
    { name: 'v1 listing', path: '/computeMetadata/v1/', headers: FLAVOR, status: 200, body: /instance\//, flavor: 'Google' },
    { name: 'instance (gcp-metadata residency ping)', path: '/computeMetadata/v1/instance', headers: FLAVOR, status: 200, flavor: 'Google' },
    { name: 'email', path: '/computeMetadata/v1/instance/service-accounts/default/email', headers: FLAVOR, status: 200, body: DEFAULT_EMAIL, flavor: 'Google' },
    { name: 'project id', path: '/computeMetadata/v1/project/project-id', headers: FLAVOR, status: 200, body: DEFAULT_PROJECT_ID, flavor: 'Google' },
    { name: 'missing flavor header', path: '/computeMetadata/v1/instance/service-accounts/default/email', headers: {}, status: 403, body: /Metadata-Flavor/, flavor: 'Google' },
    { name: 'wrong flavor header', path: '/computeMetadata/v1/project/project-id', headers: { 'Metadata-Flavor': 'google' }, status: 403, flavor: 'Google' },
    { name: 'proxied request', path: '/computeMetadata/v1/project/project-id', headers: { ...FLAVOR, 'X-Forwarded-For': '10.0.0.1' }, status: 403, flavor: 'Google' },
    { name: 'identity without audience', path: IDENTITY, headers: FLAVOR, status: 400, body: /audience/, flavor: 'Google' },
    { name: 'unknown path', path: '/computeMetadata/v1/instance/zone', headers: FLAVOR, status: 404, flavor: 'Google' },
    { name: 'JWKS needs no header', path: '/oauth2/v3/certs', headers: {}, status: 200, body: /"RS256"/, flavor: null },
  ];
  for (const route of routes) {
    it(`${route.name}: ${route.status}`, async () => {
      const response = await fetch(`${server.url}${route.path}`, { headers: route.headers });
      assert.equal(response.status, route.status);
      assert.equal(response.headers.get('metadata-flavor'), route.flavor);
      const body = await response.text();
      if (typeof route.body === 'string') assert.equal(body, route.body);
      else if (route.body !== undefined) assert.match(body, route.body);
    });
  }

  const formats: { format: string | undefined; hasEmail: boolean }[] = [
    { format: 'full', hasEmail: true },
    { format: 'standard', hasEmail: false },
    { format: undefined, hasEmail: false },
  ];
  for (const { format, hasEmail } of formats) {
    it(`identity token claims, format=${format ?? '(none)'}`, async () => {
      const before = server.issued;
      const query = new URLSearchParams({ audience: 'sts.amazonaws.com', ...(format === undefined ? {} : { format }) });
      const response = await fetch(`${server.url}${IDENTITY}?${query}`, { headers: FLAVOR });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('metadata-flavor'), 'Google');
      const claims = payload(await response.text());
      const iat = Math.floor(fixedNow / 1000);
      const expected: Record<string, unknown> = {
        aud: 'sts.amazonaws.com', azp: DEFAULT_UNIQUE_ID, exp: iat + 3600, iat, iss: 'https://accounts.google.com', sub: DEFAULT_UNIQUE_ID,
      };
      if (hasEmail) Object.assign(expected, { email: DEFAULT_EMAIL, email_verified: true });
      assert.deepEqual(claims, expected);
      assert.match(String(claims.sub), /^\d{21}$/);
      assert.equal(server.issued, before + 1);
    });
  }

  it('fail-identity: identity answers 500 with a body, email still works', async () => {
    server.setMode('fail-identity');
    try {
      const identity = await fetch(`${server.url}${IDENTITY}?audience=x`, { headers: FLAVOR });
      assert.equal(identity.status, 500);
      assert.match(await identity.text(), /identity token/);
      const email = await fetch(`${server.url}/computeMetadata/v1/instance/service-accounts/default/email`, { headers: FLAVOR });
      assert.equal(await email.text(), DEFAULT_EMAIL);
    } finally {
      server.setMode('ok');
    }
  });

  it('no-flavor and wrong-flavor answer 200 with no / another Metadata-Flavor header', async () => {
    for (const [mode, flavor] of [['no-flavor', null], ['wrong-flavor', 'Proxy']] as const) {
      server.setMode(mode);
      try {
        const response = await fetch(`${server.url}/computeMetadata/v1/project/project-id`, { headers: FLAVOR });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('metadata-flavor'), flavor);
        await response.text();
      } finally {
        server.setMode('ok');
      }
    }
  });

  it('ttl knob sets exp - iat', async () => {
    server.setTtlSeconds(-10);
    try {
      const response = await fetch(`${server.url}${IDENTITY}?audience=a`, { headers: FLAVOR });
      const claims = payload(await response.text());
      assert.equal(Number(claims.exp) - Number(claims.iat), -10);
    } finally {
      server.setTtlSeconds(3600);
    }
  });
});

describe('metadata-server emulator: hang and CLI', () => {
  it('hang never answers, and stop() still returns promptly', async () => {
    const hung = await startMetadataServer({ mode: 'hang' });
    const request = fetch(`${hung.url}/computeMetadata/v1/`, { headers: FLAVOR, signal: AbortSignal.timeout(200) });
    await assert.rejects(request, { name: 'TimeoutError' });
    const pending = fetch(`${hung.url}/computeMetadata/v1/`, { headers: FLAVOR }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await hung.stop();
    assert.ok(Date.now() - started < 1000);
    assert.ok((await pending) instanceof Error);
    assert.equal(hung.requests, 2);
  });

  it('runs as a CLI and prints GCE_METADATA_HOST', async () => {
    const script = fileURLToPath(new URL('../emulators/metadata-server.ts', import.meta.url));
    const child = spawn(process.execPath, [script, '--port', '0', '--email', 'cli@p.iam.gserviceaccount.com', '--unique-id', '111111111111111111111'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      const match = /^GCE_METADATA_HOST=(127\.0\.0\.1:\d+)$/.exec(line);
      assert.ok(match, line);
      const email = await fetch(`http://${match[1]}/computeMetadata/v1/instance/service-accounts/default/email`, { headers: FLAVOR });
      assert.equal(await email.text(), 'cli@p.iam.gserviceaccount.com');
      const token = await fetch(`http://${match[1]}${IDENTITY}?audience=a&format=full`, { headers: FLAVOR });
      assert.equal(payload(await token.text()).sub, '111111111111111111111');
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
    }
  });
});
