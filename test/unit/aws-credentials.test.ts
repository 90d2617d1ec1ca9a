/**
 * webIdentityCredentials at the SDK boundary (aws-sdk-client-mock): mapping, memoized refresh with a FRESH
 * Google token (public-reports F2), the F1 diagnosis, and retries (ExpiredToken, IDPCommunicationError).
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AssumeRoleWithWebIdentityCommand,
  ExpiredTokenException,
  IDPCommunicationErrorException,
  InvalidIdentityTokenException,
  RegionDisabledException,
  STSClient,
  STSServiceException,
  type AssumeRoleWithWebIdentityCommandOutput,
} from '@aws-sdk/client-sts';
import { AthenaClient, ListWorkGroupsCommand } from '@aws-sdk/client-athena';
import {
  AssumeRoleDenied,
  AssumeRoleFailed,
  AwsCredentials,
  webIdentityCredentials,
  type WebIdentityOptions,
} from '../../src/aws/index.ts';
import { IdentityToken, MetadataUnavailable, type TokenClaims } from '../../src/identity/index.ts';
import { TransferError } from '../../src/errors.ts';

const sts = mockClient(STSClient);
const ROLE = 'arn:aws:iam::123456789012:role/athena-reader';
const UNIQUE_ID = '109876543210987654321';
const T0 = Date.UTC(2026, 0, 2, 3, 0, 0);

/** A token source that mints a distinct JWT on every call and records the calls. */
function tokenSource(claims: Partial<TokenClaims> = {}, clock: () => number = () => T0) {
  const calls: { forceRefresh: boolean; jwt: string }[] = [];
  const getToken = async ({ forceRefresh }: { forceRefresh: boolean }): Promise<IdentityToken> => {
    const iat = Math.floor(clock() / 1000);
    const payload = {
      iss: 'https://accounts.google.com', aud: 'sts.amazonaws.com', azp: UNIQUE_ID, sub: UNIQUE_ID, iat, exp: iat + 3600, ...claims,
      n: calls.length + 1,
    };
    const jwt = [{ alg: 'RS256', typ: 'JWT' }, payload].map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')).join('.') +
      `.c2lnbmF0dXJl${calls.length + 1}`;
    calls.push({ forceRefresh, jwt });
    return IdentityToken.fromJwt(jwt, 'sts.amazonaws.com');
  };
  return { getToken, calls };
}

function stsAnswer(n: number, expiration: Date): AssumeRoleWithWebIdentityCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    Credentials: { AccessKeyId: `ASIA${n}`, SecretAccessKey: `secret-${n}`, SessionToken: `session-${n}`, Expiration: expiration },
    AssumedRoleUser: { Arn: `arn:aws:sts::123456789012:assumed-role/athena-reader/s${n}`, AssumedRoleId: `AROA:s${n}` },
  };
}

function provider(extra: Partial<WebIdentityOptions> & Pick<WebIdentityOptions, 'getToken'>) {
  return webIdentityCredentials({ roleArn: ROLE, region: 'eu-west-1', sessionName: 'a2bq-orders', ...extra });
}

function sentTokens(): (string | undefined)[] {
  return sts.commandCalls(AssumeRoleWithWebIdentityCommand).map((call) => call.args[0].input.WebIdentityToken);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

function accessDenied(message = 'Not authorized to perform sts:AssumeRoleWithWebIdentity'): STSServiceException {
  return new STSServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403, requestId: 'req-1' }, message });
}

/** The raw token (or any part of its signature) must appear in none of the caller-visible texts. */
function assertNoToken(error: TransferError, jwts: string[]): void {
  const texts = [error.message, error.hint, JSON.stringify(error), JSON.stringify(error.toJSON()), JSON.stringify(error.details)];
  for (const jwt of jwts) {
    const signature = jwt.split('.')[2] as string;
    for (const text of texts) {
      assert.ok(!text.includes(jwt) && !text.includes(signature), `token leaked: ${text}`);
    }
  }
}

beforeEach(() => {
  sts.reset();
});

describe('webIdentityCredentials: success and memoization', () => {
  it('maps STS Credentials to AwsCredentials and sends the request fields', async () => {
    const tokens = tokenSource();
    const expiration = new Date(T0 + 3600_000);
    sts.on(AssumeRoleWithWebIdentityCommand).resolves(stsAnswer(1, expiration));
    const credentials = await provider({ getToken: tokens.getToken, now: () => T0, durationSeconds: 1800 })();
    assert.ok(credentials instanceof AwsCredentials);
    assert.deepEqual(
      { ...credentials },
      { accessKeyId: 'ASIA1', secretAccessKey: 'secret-1', sessionToken: 'session-1', expiration, assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/athena-reader/s1' },
    );
    const [call] = sts.commandCalls(AssumeRoleWithWebIdentityCommand);
    assert.deepEqual(call?.args[0].input, {
      RoleArn: ROLE, RoleSessionName: 'a2bq-orders', WebIdentityToken: tokens.calls[0]?.jwt, DurationSeconds: 1800,
    });
    assert.ok(!JSON.stringify(credentials).includes('secret-1') && !inspect(credentials).includes('session-1'));
  });

  it('F2: serves cached credentials until 5 minutes before expiration, then refreshes with a NEW Google token', async () => {
    let clock = T0;
    const tokens = tokenSource({}, () => clock);
    const expiration1 = new Date(T0 + 3600_000);
    const expiration2 = new Date(T0 + 2 * 3600_000);
    sts.on(AssumeRoleWithWebIdentityCommand).resolvesOnce(stsAnswer(1, expiration1)).resolvesOnce(stsAnswer(2, expiration2));
    const get = provider({ getToken: tokens.getToken, now: () => clock });
    const steps: { at: number; key: string; stsCalls: number }[] = [
      { at: T0, key: 'ASIA1', stsCalls: 1 },
      { at: T0 + 30 * 60_000, key: 'ASIA1', stsCalls: 1 },
      { at: expiration1.getTime() - 5 * 60_000 - 1, key: 'ASIA1', stsCalls: 1 },
      { at: expiration1.getTime() - 5 * 60_000, key: 'ASIA2', stsCalls: 2 },
      { at: expiration1.getTime() + 60_000, key: 'ASIA2', stsCalls: 2 },
    ];
    for (const step of steps) {
      clock = step.at;
      assert.equal((await get()).accessKeyId, step.key, `at +${(step.at - T0) / 60_000} min`);
      assert.equal(sts.commandCalls(AssumeRoleWithWebIdentityCommand).length, step.stsCalls);
    }
    assert.equal(tokens.calls.length, 2);
    const sent = sentTokens();
    assert.equal(sent[0], tokens.calls[0]?.jwt);
    assert.equal(sent[1], tokens.calls[1]?.jwt);
    assert.notEqual(sent[0], sent[1]);
  });

  it('forceRefresh refreshes at once; concurrent callers share one STS call', async () => {
    const tokens = tokenSource();
    sts.on(AssumeRoleWithWebIdentityCommand).resolves(stsAnswer(1, new Date(T0 + 3600_000)));
    const get = provider({ getToken: tokens.getToken, now: () => T0 });
    const [a, b, c] = await Promise.all([get(), get(), get()]);
    assert.equal(a, b);
    assert.equal(b, c);
    assert.equal(sts.commandCalls(AssumeRoleWithWebIdentityCommand).length, 1);
    await get({ forceRefresh: true });
    assert.equal(sts.commandCalls(AssumeRoleWithWebIdentityCommand).length, 2);
    assert.equal(tokens.calls.length, 2);
  });

  it('works as the credentials of an AWS SDK v3 client (Athena signs with the assumed keys)', async () => {
    const tokens = tokenSource();
    sts.on(AssumeRoleWithWebIdentityCommand).resolves(stsAnswer(7, new Date(Date.now() + 3600_000)));
    let authorization = '';
    let securityToken = '';
    const athena = new AthenaClient({
      region: 'eu-west-1',
      credentials: provider({ getToken: tokens.getToken }),
      requestHandler: {
        async handle(request: { headers: Record<string, string> }) {
          authorization = request.headers.authorization ?? '';
          securityToken = request.headers['x-amz-security-token'] ?? '';
          const { Readable } = await import('node:stream');
          return { response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from('{"WorkGroups":[]}')]) } };
        },
        updateHttpClientConfig() {},
        httpHandlerConfigs: () => ({}),
      } as never,
    });
    const answer = await athena.send(new ListWorkGroupsCommand({}));
    assert.deepEqual(answer.WorkGroups, []);
    assert.match(authorization, /Credential=ASIA7\//);
    assert.equal(securityToken, 'session-7');
  });
});

describe('webIdentityCredentials: F1 diagnosis', () => {
  it('AccessDenied -> ASSUME_ROLE_DENIED with role, decoded claims and matching conditions, never the token', async () => {
    const tokens = tokenSource();
    sts.on(AssumeRoleWithWebIdentityCommand).rejects(accessDenied());
    const error = await rejection(provider({ getToken: tokens.getToken, now: () => T0 })());
    assert.ok(error instanceof AssumeRoleDenied);
    assert.equal(error.code, 'ASSUME_ROLE_DENIED');
    assert.equal(error.roleArn, ROLE);
    const iat = Math.floor(T0 / 1000);
    for (const text of [
      ROLE,
      'iss=https://accounts.google.com', 'aud=sts.amazonaws.com', `azp=${UNIQUE_ID}`, `sub=${UNIQUE_ID}`,
      `exp=${new Date((iat + 3600) * 1000).toISOString()}`,
      'accounts.google.com:oaud = sts.amazonaws.com', `accounts.google.com:aud = ${UNIQUE_ID}`, `accounts.google.com:sub = ${UNIQUE_ID}`,
    ]) {
      assert.ok(error.message.includes(text), `missing ${text} in ${error.message}`);
    }
    assert.deepEqual(error.details.expectedConditions, {
      'accounts.google.com:oaud': 'sts.amazonaws.com', 'accounts.google.com:aud': UNIQUE_ID, 'accounts.google.com:sub': UNIQUE_ID,
    });
    assert.deepEqual(error.details.matchingTrustPolicyStatement, {
      Effect: 'Allow',
      Principal: { Federated: 'accounts.google.com' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'accounts.google.com:oaud': 'sts.amazonaws.com', 'accounts.google.com:aud': UNIQUE_ID, 'accounts.google.com:sub': UNIQUE_ID } },
    });
    assert.deepEqual(error.details.notes, []);
    assert.match(error.hint, /sts\.amazonaws\.com there can never match/);
    assert.equal((error.details.aws as { requestId: string }).requestId, 'req-1');
    assertNoToken(error, tokens.calls.map((call) => call.jwt));
  });

  it('an AWS message that echoes the token is redacted in details', async () => {
    const tokens = tokenSource();
    sts.on(AssumeRoleWithWebIdentityCommand).callsFake((input: { WebIdentityToken: string }) => {
      throw accessDenied(`Not authorized for token ${input.WebIdentityToken}`);
    });
    const error = await rejection(provider({ getToken: tokens.getToken, now: () => T0 })());
    assert.ok(error instanceof AssumeRoleDenied);
    assert.equal((error.details.aws as { message: string }).message, 'Not authorized for token [REDACTED]');
    assertNoToken(error, tokens.calls.map((call) => call.jwt));
  });

  const notes: { name: string; claims: Partial<TokenClaims>; note: RegExp; azpCondition: string }[] = [
    { name: 'local impersonation (azp is an e-mail)', claims: { azp: 'sa@p.iam.gserviceaccount.com' }, note: /azp is an e-mail .*impersonation/, azpCondition: 'sa@p.iam.gserviceaccount.com' },
    { name: 'audience is not sts.amazonaws.com', claims: { aud: 'https://my-function.example' }, note: /audience is https:\/\/my-function\.example, not sts\.amazonaws\.com/, azpCondition: UNIQUE_ID },
  ];
  for (const { name, claims, note, azpCondition } of notes) {
    it(`notes ${name}`, async () => {
      const tokens = tokenSource(claims);
      sts.on(AssumeRoleWithWebIdentityCommand).rejects(accessDenied());
      const error = await rejection(provider({ getToken: tokens.getToken, now: () => T0 })());
      assert.ok(error instanceof AssumeRoleDenied);
      assert.match(error.message, note);
      assert.equal((error.details.expectedConditions as Record<string, string>)['accounts.google.com:aud'], azpCondition);
      assertNoToken(error, tokens.calls.map((call) => call.jwt));
    });
  }

  it('InvalidIdentityToken -> ASSUME_ROLE_FAILED with the same diagnosis', async () => {
    const tokens = tokenSource({ aud: 'wrong-audience' });
    sts.on(AssumeRoleWithWebIdentityCommand).rejects(new InvalidIdentityTokenException({ message: 'Incorrect token audience', $metadata: { httpStatusCode: 400 } }));
    const error = await rejection(provider({ getToken: tokens.getToken, now: () => T0 })());
    assert.ok(error instanceof AssumeRoleFailed);
    assert.equal(error.code, 'ASSUME_ROLE_FAILED');
    assert.equal(error.awsErrorName, 'InvalidIdentityToken');
    assert.match(error.message, /rejected the Google token \(InvalidIdentityToken\)/);
    assert.match(error.message, /accounts\.google\.com:oaud = wrong-audience/);
    assert.equal((error.details.aws as { message: string }).message, 'Incorrect token audience');
    assertNoToken(error, tokens.calls.map((call) => call.jwt));
  });
});

describe('webIdentityCredentials: retries and other errors', () => {
  it('ExpiredTokenException: retries once with a forced fresh token', async () => {
    const tokens = tokenSource();
    sts.on(AssumeRoleWithWebIdentityCommand)
      .rejectsOnce(new ExpiredTokenException({ message: 'Token expired', $metadata: { httpStatusCode: 400 } }))
      .resolvesOnce(stsAnswer(2, new Date(T0 + 3600_000)));
    const credentials = await provider({ getToken: tokens.getToken, now: () => T0 })();
    assert.equal(credentials.accessKeyId, 'ASIA2');
    assert.deepEqual(tokens.calls.map((call) => call.forceRefresh), [false, true]);
    assert.deepEqual(sentTokens(), tokens.calls.map((call) => call.jwt));
  });

  it('ExpiredTokenException twice -> ASSUME_ROLE_FAILED after exactly two STS calls', async () => {
    const tokens = tokenSource();
    sts.on(AssumeRoleWithWebIdentityCommand).rejects(new ExpiredTokenException({ message: 'Token expired', $metadata: {} }));
    const error = await rejection(provider({ getToken: tokens.getToken, now: () => T0 })());
    assert.ok(error instanceof AssumeRoleFailed);
    assert.equal(error.awsErrorName, 'ExpiredTokenException');
    assert.match(error.message, /even after a fresh token/);
    assert.equal(sts.commandCalls(AssumeRoleWithWebIdentityCommand).length, 2);
  });

  it('IDPCommunicationError: retried with growing backoff, then succeeds', async () => {
    const tokens = tokenSource();
    const idp = () => new IDPCommunicationErrorException({ message: 'could not reach Google', $metadata: { httpStatusCode: 400 } });
    sts.on(AssumeRoleWithWebIdentityCommand).rejectsOnce(idp()).rejectsOnce(idp()).resolvesOnce(stsAnswer(3, new Date(T0 + 3600_000)));
    const sleeps: number[] = [];
    const credentials = await provider({ getToken: tokens.getToken, now: () => T0, sleep: async (ms) => void sleeps.push(ms), random: () => 1 })();
    assert.equal(credentials.accessKeyId, 'ASIA3');
    assert.deepEqual(sleeps, [1000, 2000]);
    assert.equal(sts.commandCalls(AssumeRoleWithWebIdentityCommand).length, 3);
  });

  it('IDPCommunicationError that persists -> ASSUME_ROLE_FAILED marked transient', async () => {
    const tokens = tokenSource();
    sts.on(AssumeRoleWithWebIdentityCommand).rejects(new IDPCommunicationErrorException({ message: 'x', $metadata: {} }));
    const sleeps: number[] = [];
    const error = await rejection(provider({ getToken: tokens.getToken, sleep: async (ms) => void sleeps.push(ms), random: () => 0, idpRetries: 3 })());
    assert.ok(error instanceof AssumeRoleFailed);
    assert.equal(error.transient, true);
    assert.deepEqual(sleeps, [500, 1000, 2000]);
    assert.equal(error.details.attempts, 4);
    assert.match(error.message, /after 4 attempts/);
  });

  const terminal: { name: string; error: Error; durationSeconds?: number; transient: boolean; text: RegExp; hint: RegExp }[] = [
    {
      name: 'ValidationError above MaxSessionDuration',
      error: new STSServiceException({ name: 'ValidationError', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.' }),
      durationSeconds: 7200, transient: false, text: /ValidationError: The requested DurationSeconds exceeds/, hint: /--max-session-duration 7200/,
    },
    {
      name: 'RegionDisabledException',
      error: new RegionDisabledException({ message: 'STS is not activated in this region', $metadata: { httpStatusCode: 403 } }),
      transient: false, text: /not activated in region eu-west-1/, hint: /Activate STS in eu-west-1/,
    },
    {
      name: 'Throttling after the SDK retries',
      error: new STSServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }),
      transient: true, text: /failed for role .* \(Throttling\)/, hint: /retry the run later/,
    },
    {
      name: 'request timeout',
      error: Object.assign(new Error('timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' }),
      transient: true, text: /did not answer .* within 10000 ms per attempt/, hint: /retry the run later/,
    },
    {
      name: 'an unknown error',
      error: new STSServiceException({ name: 'MalformedPolicyDocumentException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: '?' }),
      transient: false, text: /\(MalformedPolicyDocumentException\)/, hint: /details\.aws/,
    },
  ];
  for (const { name, error, durationSeconds, transient, text, hint } of terminal) {
    it(`${name} -> ASSUME_ROLE_FAILED (transient: ${transient})`, async () => {
      const tokens = tokenSource();
      sts.on(AssumeRoleWithWebIdentityCommand).rejects(error);
      const failure = await rejection(provider({ getToken: tokens.getToken, durationSeconds })());
      assert.ok(failure instanceof AssumeRoleFailed);
      assert.equal(failure.code, 'ASSUME_ROLE_FAILED');
      assert.equal(failure.transient, transient);
      assert.match(failure.message, text);
      assert.match(failure.hint, hint);
      assert.equal(sts.commandCalls(AssumeRoleWithWebIdentityCommand).length, 1);
      assertNoToken(failure, tokens.calls.map((call) => call.jwt));
    });
  }

  it('an answer without credentials -> ASSUME_ROLE_FAILED', async () => {
    const tokens = tokenSource();
    sts.on(AssumeRoleWithWebIdentityCommand).resolves({ $metadata: {} });
    const error = await rejection(provider({ getToken: tokens.getToken })());
    assert.ok(error instanceof AssumeRoleFailed);
    assert.match(error.message, /without complete credentials/);
  });

  it('identity errors from getToken pass through unchanged and are not cached', async () => {
    const failure = new MetadataUnavailable('down', { baseUrl: 'http://x/computeMetadata/v1', elapsedMs: 1, hint: 'h', details: {} });
    let fail = true;
    const tokens = tokenSource();
    sts.on(AssumeRoleWithWebIdentityCommand).resolves(stsAnswer(1, new Date(T0 + 3600_000)));
    const get = provider({ getToken: async (o) => { if (fail) throw failure; return tokens.getToken(o); }, now: () => T0 });
    assert.equal(await rejection(get()), failure);
    assert.equal(sts.commandCalls(AssumeRoleWithWebIdentityCommand).length, 0);
    fail = false;
    assert.equal((await get()).accessKeyId, 'ASIA1');
  });

  const invalid: { name: string; options: Partial<WebIdentityOptions> }[] = [
    { name: 'session name too short', options: { sessionName: 'a' } },
    { name: 'session name with a space', options: { sessionName: 'a b' } },
    { name: 'duration below 900', options: { durationSeconds: 899 } },
    { name: 'duration above 43200', options: { durationSeconds: 43_201 } },
    { name: 'fractional duration', options: { durationSeconds: 1000.5 } },
  ];
  for (const { name, options } of invalid) {
    it(`rejects ${name} up front`, () => {
      assert.throws(() => provider({ getToken: tokenSource().getToken, ...options }), (error: unknown) => {
        assert.ok(error instanceof TransferError);
        assert.equal(error.code, 'CONFIG_INVALID');
        return true;
      });
    });
  }
});
