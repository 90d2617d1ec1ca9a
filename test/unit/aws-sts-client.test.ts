/**
 * The real STSClient stack (createStsClient) against a local STS double speaking the Query protocol: the call is
 * unsigned and never asks for credentials, the SDK retries IDPCommunicationError, and the request timeout
 * really fires (it needs throwOnRequestTimeout in @smithy/node-http-handler 4.x).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AssumeRoleFailed, webIdentityCredentials } from '../../src/aws/index.ts';
import { IdentityToken } from '../../src/identity/index.ts';

type Reply = { status: number; body: string } | 'hang';
interface Seen { headers: IncomingMessage['headers']; body: URLSearchParams }

const ROLE = 'arn:aws:iam::123456789012:role/athena-reader';
const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const JWT = `${part({ alg: 'RS256' })}.${part({ iss: 'https://accounts.google.com', aud: 'sts.amazonaws.com', azp: '1', sub: '1', exp: 2e9 })}.c2ln`;

const errorXml = (code: string, message: string): string =>
  `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code>` +
  `<Message>${message}</Message></Error><RequestId>rid</RequestId></ErrorResponse>`;
const successXml = (expiration: string): string =>
  '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>' +
  '<SubjectFromWebIdentityToken>1</SubjectFromWebIdentityToken>' +
  '<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/athena-reader/s</Arn><AssumedRoleId>AROAX:s</AssumedRoleId></AssumedRoleUser>' +
  `<Credentials><AccessKeyId>ASIAWIRE</AccessKeyId><SecretAccessKey>wire-secret</SecretAccessKey><SessionToken>wire-session</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
  '<Provider>accounts.google.com</Provider><Audience>1</Audience></AssumeRoleWithWebIdentityResult>' +
  '<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>';

describe('createStsClient against a local STS double', () => {
  let server: Server;
  let endpoint = '';
  let replies: Reply[] = [];
  let seen: Seen[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: new URLSearchParams(body) });
        const reply = replies.shift() ?? { status: 500, body: errorXml('InternalFailure', 'no scripted reply') };
        if (reply === 'hang') return;
        res.writeHead(reply.status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': 'rid' }).end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    replies = [];
    seen = [];
  });

  const getToken = async (): Promise<IdentityToken> => IdentityToken.fromJwt(JWT, 'sts.amazonaws.com');

  it('sends an unsigned AssumeRoleWithWebIdentity and parses the credentials', async () => {
    replies = [{ status: 200, body: successXml('2026-01-02T04:00:00Z') }];
    const credentials = await webIdentityCredentials({ roleArn: ROLE, region: 'eu-west-1', sessionName: 'a2bq-x', endpoint, getToken })();
    assert.equal(credentials.accessKeyId, 'ASIAWIRE');
    assert.equal(credentials.expiration.toISOString(), '2026-01-02T04:00:00.000Z');
    assert.equal(seen.length, 1);
    const [request] = seen;
    assert.equal(request?.headers.authorization, undefined);
    assert.equal(request?.headers['x-amz-security-token'], undefined);
    assert.equal(request?.body.get('Action'), 'AssumeRoleWithWebIdentity');
    assert.equal(request?.body.get('RoleArn'), ROLE);
    assert.equal(request?.body.get('RoleSessionName'), 'a2bq-x');
    assert.equal(request?.body.get('WebIdentityToken'), JWT);
    assert.equal(request?.body.get('DurationSeconds'), '3600');
  });

  it('the SDK itself retries IDPCommunicationError ($retryable in the STS model)', async () => {
    replies = [
      { status: 400, body: errorXml('IDPCommunicationError', 'x') },
      { status: 400, body: errorXml('IDPCommunicationError', 'x') },
      { status: 200, body: successXml('2026-01-02T04:00:00Z') },
    ];
    const sleeps: number[] = [];
    const credentials = await webIdentityCredentials({
      roleArn: ROLE, region: 'eu-west-1', sessionName: 'a2bq-x', endpoint, getToken, sleep: async (ms) => void sleeps.push(ms),
    })();
    assert.equal(credentials.accessKeyId, 'ASIAWIRE');
    assert.equal(seen.length, 3);
    assert.deepEqual(sleeps, [], 'no provider-level retry needed');
  });

  it('AccessDenied on the wire -> ASSUME_ROLE_DENIED, not retried', async () => {
    replies = [{ status: 403, body: errorXml('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity') }];
    await assert.rejects(
      webIdentityCredentials({ roleArn: ROLE, region: 'eu-west-1', sessionName: 'a2bq-x', endpoint, getToken })(),
      { code: 'ASSUME_ROLE_DENIED' },
    );
    assert.equal(seen.length, 1);
  });

  it('a hanging STS fails after requestTimeoutMs per attempt', async () => {
    replies = ['hang', 'hang'];
    const started = Date.now();
    const error = await webIdentityCredentials({
      roleArn: ROLE, region: 'eu-west-1', sessionName: 'a2bq-x', endpoint, getToken, requestTimeoutMs: 200, maxAttempts: 2,
    })().then(() => assert.fail('expected a timeout'), (e: unknown) => e);
    const elapsed = Date.now() - started;
    assert.ok(error instanceof AssumeRoleFailed);
    assert.equal(error.awsErrorName, 'TimeoutError');
    assert.equal(error.transient, true);
    assert.match(error.message, /within 200 ms per attempt/);
    assert.equal(seen.length, 2);
    assert.ok(elapsed >= 400 && elapsed < 3000, `took ${elapsed} ms`);
  });
});
