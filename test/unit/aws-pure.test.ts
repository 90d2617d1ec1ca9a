/** Pure parts of src/aws and claim decoding: tables of inputs and right results. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  AwsCredentials,
  ROLE_SESSION_NAME,
  classifyAwsError,
  credentialsFromSts,
  diagnoseTrust,
  roleArn,
  roleSessionName,
  stsErrorCode,
} from '../../src/aws/index.ts';
import { ConfigInvalid, TransferError } from '../../src/errors.ts';
import { decodeClaims, metadataBaseUrl, metadataOverrides, redactTokens, safeSnippet, type TokenClaims } from '../../src/identity/index.ts';

const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: unknown): string => `${part({ alg: 'RS256' })}.${part(claims)}.c2ln`;

describe('decodeClaims', () => {
  const ok: { name: string; claims: unknown; want: TokenClaims }[] = [
    {
      name: 'Cloud Functions SA token',
      claims: { iss: 'https://accounts.google.com', aud: 'sts.amazonaws.com', azp: '1'.repeat(21), sub: '1'.repeat(21), email: 'a@b', email_verified: true, exp: 1700003600, iat: 1700000000 },
      want: { iss: 'https://accounts.google.com', aud: 'sts.amazonaws.com', azp: '1'.repeat(21), sub: '1'.repeat(21), email: 'a@b', exp: 1700003600, iat: 1700000000 },
    },
    { name: 'aud as an array', claims: { aud: ['a', 'b'] }, want: { aud: ['a', 'b'] } },
    { name: 'wrong-typed claims are dropped', claims: { iss: 1, aud: [1], sub: null, exp: '1', iat: Number.MAX_VALUE }, want: { iat: Number.MAX_VALUE } },
    { name: 'empty object', claims: {}, want: {} },
  ];
  for (const { name, claims, want } of ok) {
    it(name, () => assert.deepEqual(decodeClaims(jwt(claims)), want));
  }

  const bad: { name: string; text: string; reason: RegExp }[] = [
    { name: 'two segments', text: 'eyJhIjoxfQ.eyJiIjoxfQ', reason: /got 2 segment/ },
    { name: 'empty signature', text: `${part({})}.${part({})}.`, reason: /3 non-empty/ },
    { name: 'not base64url', text: 'a.b+c.d', reason: /base64url/ },
    { name: 'payload not JSON', text: `${part({})}.${Buffer.from('nope').toString('base64url')}.c2ln`, reason: /not base64url-encoded JSON/ },
    { name: 'payload an array', text: `${part({})}.${part([1])}.c2ln`, reason: /not a JSON object/ },
  ];
  for (const { name, text, reason } of bad) {
    it(`rejects ${name} without echoing it`, () => {
      assert.throws(() => decodeClaims(text), (error: unknown) => {
        assert.ok(error instanceof TransferError);
        assert.equal(error.code, 'METADATA_BAD_RESPONSE');
        assert.match(error.message, reason);
        assert.ok(!error.message.includes(text) && !JSON.stringify(error).includes(text));
        return true;
      });
    });
  }
});

describe('metadata env helpers', () => {
  const cases: { env: Record<string, string>; base: string }[] = [
    { env: {}, base: 'http://169.254.169.254/computeMetadata/v1' },
    { env: { GCE_METADATA_HOST: '127.0.0.1:8123' }, base: 'http://127.0.0.1:8123/computeMetadata/v1' },
    { env: { GCE_METADATA_HOST: 'https://meta.example:8443/ignored' }, base: 'https://meta.example:8443/computeMetadata/v1' },
    { env: { GCE_METADATA_HOST: 'a:1', GCE_METADATA_IP: '10.0.0.2' }, base: 'http://10.0.0.2/computeMetadata/v1' },
  ];
  for (const { env, base } of cases) {
    it(`base URL for ${JSON.stringify(env)}`, () => assert.equal(metadataBaseUrl(env), base));
  }
  it('overrides lists only the variables that are set', () => {
    assert.deepEqual(metadataOverrides({ GCE_METADATA_HOST: 'h:1', GCE_METADATA_IP: '', METADATA_SERVER_DETECTION: undefined }), { GCE_METADATA_HOST: 'h:1' });
  });
});

describe('redaction', () => {
  const token = jwt({ sub: '1' });
  const cases: { input: string; want: string }[] = [
    { input: `token=${token}&x=1`, want: 'token=[REDACTED]&x=1' },
    { input: `${token} ${token}`, want: '[REDACTED] [REDACTED]' },
    { input: 'eyJ-not-a-token', want: 'eyJ-not-a-token' },
  ];
  for (const { input, want } of cases) it(`redactTokens ${want}`, () => assert.equal(redactTokens(input), want));
  it('safeSnippet shortens, flattens and redacts', () => {
    assert.equal(safeSnippet(`a\n\n b ${token}`), 'a b [REDACTED]');
    assert.equal(safeSnippet('x'.repeat(10), 4), 'xxxx…');
  });
});

describe('classifyAwsError', () => {
  const net = (code: string): Error => Object.assign(new Error('socket'), { code });
  const aws = (name: string, status?: number, extra: object = {}): Error =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });
  const cases: { name: string; error: unknown; want: 'transient' | 'terminal' }[] = [
    { name: 'ThrottlingException', error: aws('ThrottlingException', 400), want: 'transient' },
    { name: 'TooManyRequestsException', error: aws('TooManyRequestsException', 400), want: 'transient' },
    { name: 'Throttling (query protocol Code)', error: Object.assign(aws('X', 400), { Code: 'Throttling' }), want: 'transient' },
    { name: 'IDPCommunicationErrorException', error: aws('IDPCommunicationErrorException', 400), want: 'transient' },
    { name: 'modelled $retryable', error: aws('SomethingRetryable', 400, { $retryable: {} }), want: 'transient' },
    { name: 'InternalServerException', error: aws('InternalServerException', 500), want: 'transient' },
    { name: 'unnamed 503', error: aws('Weird', 503), want: 'transient' },
    { name: '429', error: aws('Weird', 429), want: 'transient' },
    { name: 'TimeoutError (requestTimeout)', error: Object.assign(new Error('t'), { name: 'TimeoutError', code: 'ETIMEDOUT' }), want: 'transient' },
    { name: 'ECONNRESET', error: net('ECONNRESET'), want: 'transient' },
    { name: 'ETIMEDOUT', error: net('ETIMEDOUT'), want: 'transient' },
    { name: 'EAI_AGAIN in cause', error: new Error('outer', { cause: net('EAI_AGAIN') }), want: 'transient' },
    { name: 'AccessDenied', error: aws('AccessDenied', 403), want: 'terminal' },
    { name: 'ExpiredTokenException', error: aws('ExpiredTokenException', 400), want: 'terminal' },
    { name: 'InvalidRequestException', error: aws('InvalidRequestException', 400), want: 'terminal' },
    { name: 'ValidationError', error: aws('ValidationError', 400), want: 'terminal' },
    { name: 'unknown Error', error: new Error('?'), want: 'terminal' },
    { name: 'a string', error: 'ThrottlingException', want: 'terminal' },
    { name: 'null', error: null, want: 'terminal' },
  ];
  for (const { name, error, want } of cases) it(`${name} -> ${want}`, () => assert.equal(classifyAwsError(error), want));
});

describe('roleArn', () => {
  const ok: { account: string; role: string; partition?: string; want: string }[] = [
    { account: '123456789012', role: 'some-role', want: 'arn:aws:iam::123456789012:role/some-role' },
    { account: ' 012345678901 ', role: 'a+b=c,d.e@f_g-h', want: 'arn:aws:iam::012345678901:role/a+b=c,d.e@f_g-h' },
    { account: '123456789012', role: 'service-role/reader', want: 'arn:aws:iam::123456789012:role/service-role/reader' },
    { account: '123456789012', role: '/a/b/reader', want: 'arn:aws:iam::123456789012:role/a/b/reader' },
    { account: '123456789012', role: 'arn:aws:iam::123456789012:role/x/reader', want: 'arn:aws:iam::123456789012:role/x/reader' },
    { account: '123456789012', role: 'r', partition: 'aws-cn', want: 'arn:aws-cn:iam::123456789012:role/r' },
  ];
  for (const { account, role, partition, want } of ok) {
    it(want, () => assert.equal(roleArn(account, role, partition), want));
  }
  const bad: { account: string; role: string; path: string }[] = [
    { account: '12345678901', role: 'r', path: 'aws.account_id' },
    { account: '1234567890123', role: 'r', path: 'aws.account_id' },
    { account: '12345678901a', role: 'r', path: 'aws.account_id' },
    { account: '123456789012', role: '', path: 'aws.iam_role_name' },
    { account: '123456789012', role: 'has space', path: 'aws.iam_role_name' },
    { account: '123456789012', role: 'x'.repeat(65), path: 'aws.iam_role_name' },
    { account: '123456789012', role: 'arn:aws:iam::999999999999:role/r', path: 'aws.iam_role_name' },
  ];
  for (const { account, role, path } of bad) {
    it(`rejects ${JSON.stringify(account)} / ${JSON.stringify(role.slice(0, 40))}`, () => {
      assert.throws(() => roleArn(account, role), (error: unknown) => {
        assert.ok(error instanceof ConfigInvalid);
        assert.equal(error.issues[0]?.path, path);
        return true;
      });
    });
  }
});

describe('roleSessionName', () => {
  const cases: { key: string; want: string | RegExp }[] = [
    { key: 'orders-daily', want: 'a2bq-orders-daily' },
    { key: 'orders/2026-01-02T03:04:05Z', want: 'a2bq-orders-2026-01-02T03-04-05Z' },
    { key: '', want: 'a2bq' },
    { key: 'é!!', want: 'a2bq' },
    { key: 'x'.repeat(100), want: /^a2bq-x{50}-[0-9a-f]{8}$/ },
  ];
  for (const { key, want } of cases) {
    it(`${JSON.stringify(key.slice(0, 30))} -> ${want}`, () => {
      const name = roleSessionName(key);
      assert.match(name, ROLE_SESSION_NAME);
      if (typeof want === 'string') assert.equal(name, want);
      else assert.match(name, want);
    });
  }
  it('long keys that share a prefix stay distinct', () => {
    assert.notEqual(roleSessionName(`${'k'.repeat(80)}-1`), roleSessionName(`${'k'.repeat(80)}-2`));
  });
});

describe('diagnoseTrust', () => {
  const id = '109876543210987654321';
  const now = 1_700_000_000_000;
  const good: TokenClaims = { iss: 'https://accounts.google.com', aud: 'sts.amazonaws.com', azp: id, sub: id, exp: now / 1000 + 600 };
  const cases: { name: string; claims: TokenClaims; conditions: [string | undefined, string | undefined, string | undefined]; notes: RegExp[] }[] = [
    { name: 'a good Cloud Functions token', claims: good, conditions: ['sts.amazonaws.com', id, id], notes: [] },
    { name: 'impersonated token (azp e-mail)', claims: { ...good, azp: 'sa@p.iam.gserviceaccount.com' }, conditions: ['sts.amazonaws.com', 'sa@p.iam.gserviceaccount.com', id], notes: [/azp is an e-mail.*impersonation/] },
    { name: 'wrong audience', claims: { ...good, aud: 'https://example.com' }, conditions: ['https://example.com', id, id], notes: [/audience is https:\/\/example\.com, not sts\.amazonaws\.com/] },
    { name: 'no azp: aud falls back', claims: { ...good, azp: undefined }, conditions: ['sts.amazonaws.com', 'sts.amazonaws.com', id], notes: [/no azp claim/] },
    { name: 'expired', claims: { ...good, exp: now / 1000 - 30 }, conditions: ['sts.amazonaws.com', id, id], notes: [/expired at .* 30 s ago/] },
    { name: 'foreign issuer', claims: { ...good, iss: 'https://issuer.example' }, conditions: ['sts.amazonaws.com', id, id], notes: [/issuer is https:\/\/issuer\.example/] },
  ];
  for (const { name, claims, conditions, notes } of cases) {
    it(name, () => {
      const diagnosis = diagnoseTrust(claims, now);
      assert.deepEqual(Object.values(diagnosis.conditions), conditions);
      assert.equal(diagnosis.notes.length, notes.length, diagnosis.notes.join('\n'));
      notes.forEach((note, i) => assert.match(diagnosis.notes[i] ?? '', note));
      assert.deepEqual(diagnosis.statement.Principal, { Federated: 'accounts.google.com' });
    });
  }
});

describe('credentialsFromSts', () => {
  const expiration = new Date('2026-01-02T04:00:00Z');
  const full = { Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: 'secret/key', SessionToken: 'session-token', Expiration: expiration }, AssumedRoleUser: { Arn: 'arn:aws:sts::123456789012:assumed-role/r/s', AssumedRoleId: 'AROA:s' } };
  it('maps the wire shape to the domain type and masks the secrets', () => {
    const credentials = credentialsFromSts(full);
    assert.ok(credentials instanceof AwsCredentials);
    assert.deepEqual({ ...credentials }, {
      accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret/key', sessionToken: 'session-token', expiration, assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/r/s',
    });
    for (const shown of [JSON.stringify(credentials), String(credentials), inspect(credentials), inspect({ credentials })]) {
      assert.ok(!shown.includes('secret/key') && !shown.includes('session-token'), shown);
    }
  });
  const broken: { name: string; output: unknown }[] = [
    { name: 'no Credentials', output: {} },
    { name: 'empty secret', output: { Credentials: { ...full.Credentials, SecretAccessKey: '' } } },
    { name: 'missing session token', output: { Credentials: { ...full.Credentials, SessionToken: undefined } } },
    { name: 'invalid expiration', output: { Credentials: { ...full.Credentials, Expiration: 'soon' } } },
    { name: 'null', output: null },
  ];
  for (const { name, output } of broken) it(`${name} -> undefined`, () => assert.equal(credentialsFromSts(output), undefined));
  it('accepts an ISO string expiration', () => {
    assert.equal(credentialsFromSts({ Credentials: { ...full.Credentials, Expiration: '2026-01-02T04:00:00Z' } })?.expiration.getTime(), expiration.getTime());
  });
});

describe('stsErrorCode', () => {
  const cases: { error: unknown; want: string }[] = [
    { error: { name: 'InvalidIdentityTokenException', Code: 'InvalidIdentityToken' }, want: 'InvalidIdentityToken' },
    { error: { name: 'InvalidIdentityTokenException' }, want: 'InvalidIdentityToken' },
    { error: { name: 'IDPCommunicationErrorException' }, want: 'IDPCommunicationError' },
    { error: { name: 'AccessDenied' }, want: 'AccessDenied' },
    { error: new Error('x'), want: 'Error' },
    { error: 'x', want: 'Unknown' },
  ];
  for (const { error, want } of cases) it(want, () => assert.equal(stsErrorCode(error), want));
});
