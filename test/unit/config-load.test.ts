/**
 * loadConfig (gs:// and paths, with fake readers), read-failure mapping, the production readers
 * (gcsConfigReader over a fake Storage, readFile over a temp dir), and selectJobs.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Storage } from '@google-cloud/storage';
import { defaultConfigReaders, gcsConfigReader, loadConfig, parseConfig, parseConfigUri, selectJobs } from '../../src/config/index.ts';
import type { ConfigReaders, TransferConfig } from '../../src/config/index.ts';
import { ConfigInvalid, TransferError } from '../../src/errors.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'configs');
const VALID = readFileSync(join(fixtures, 'original-with-query.yaml'), 'utf8');
const JOBS = readFileSync(join(fixtures, 'jobs.yaml'), 'utf8');

/** Readers that record their calls and answer from a table, or throw what they are given. */
function fakeReaders(answer: { gcs?: string | Error | object; file?: string | Error | object }) {
  const calls: string[] = [];
  const respond = async (value: string | Error | object | undefined): Promise<string> => {
    if (typeof value === 'string') return value;
    throw value ?? new Error('not configured');
  };
  const readers: ConfigReaders = {
    readGcsObject: (bucket, object) => {
      calls.push(`gcs ${bucket} ${object}`);
      return respond(answer.gcs);
    },
    readFile: (path) => {
      calls.push(`file ${path}`);
      return respond(answer.file);
    },
  };
  return { readers, calls };
}

/** Runs `fn`, returns what it threw (fails when it does not throw). */
async function rejection(fn: () => Promise<unknown>): Promise<TransferError> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof TransferError, `expected a TransferError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/** An error shaped like @google-cloud/storage's ApiError, with text that must never reach a response. */
function apiError(code: number, reason?: string): Error {
  return Object.assign(new Error('sa@p.iam.gserviceaccount.com Authorization: Bearer ya29.SECRET'), {
    code,
    errors: reason === undefined ? [] : [{ reason, message: 'ya29.SECRET' }],
  });
}
function fsError(code: string): Error {
  return Object.assign(new Error(`${code}: /secret/path`), { code });
}

describe('loadConfig', () => {
  it('reads gs:// URIs through readGcsObject with bucket and object split', async () => {
    const { readers, calls } = fakeReaders({ gcs: VALID });
    const config = await loadConfig('gs://my-bucket/configs/prod/config.yaml', readers);
    assert.deepEqual(calls, ['gcs my-bucket configs/prod/config.yaml']);
    assert.equal(config.source, 'gs://my-bucket/configs/prod/config.yaml');
    assert.equal(config.jobs[0]?.bigquery.tableId, 'my_table');
  });

  it('reads plain paths and file:// URLs through readFile', async () => {
    const { readers, calls } = fakeReaders({ file: VALID });
    await loadConfig('./config.yaml', readers);
    await loadConfig('file:///etc/app/config.yaml', readers);
    assert.deepEqual(calls, ['file ./config.yaml', 'file /etc/app/config.yaml']);
  });

  it('an invalid file read from GCS throws ConfigInvalid naming the URI', async () => {
    const { readers } = fakeReaders({ gcs: 'aws: {}\n' });
    const error = await rejection(() => loadConfig('gs://b-1/c.yaml', readers));
    assert.ok(error instanceof ConfigInvalid);
    assert.match(error.message, /^Invalid config gs:\/\/b-1\/c\.yaml: /);
  });

  const failures: Array<{ name: string; uri: string; thrown: object; code: string; status: number; message: RegExp; hint: RegExp; details: Record<string, unknown> }> = [
    { name: 'missing GCS object', uri: 'gs://cfg/config.yaml', thrown: apiError(404, 'notFound'), code: 'CONFIG_NOT_FOUND', status: 500, message: /^Config object gs:\/\/cfg\/config\.yaml does not exist$/, hint: /gsutil cp config\.yaml gs:\/\/cfg\/config\.yaml.*CONFIG_URI|gcloud storage cp config\.yaml gs:\/\/cfg\/config\.yaml/, details: { source: 'gs://cfg/config.yaml', status: 404, reason: 'notFound' } },
    { name: 'GCS permission denied', uri: 'gs://cfg/config.yaml', thrown: apiError(403, 'forbidden'), code: 'CONFIG_NOT_FOUND', status: 500, message: /Permission denied reading config gs:\/\/cfg\/config\.yaml \(GCS 403 forbidden\)/, hint: /roles\/storage\.objectViewer.*gs:\/\/cfg /, details: { source: 'gs://cfg/config.yaml', status: 403, reason: 'forbidden' } },
    { name: 'GCS rejects credentials', uri: 'gs://cfg/c.yaml', thrown: apiError(401), code: 'GCS_ERROR', status: 500, message: /rejected the credentials/, hint: /application-default login/, details: { source: 'gs://cfg/c.yaml', status: 401 } },
    { name: 'GCS 503 is transient', uri: 'gs://cfg/c.yaml', thrown: apiError(503, 'backendError'), code: 'GCS_ERROR', status: 503, message: /right now \(503 backendError\)/, hint: /retry/, details: { source: 'gs://cfg/c.yaml', status: 503, reason: 'backendError' } },
    { name: 'GCS 429 is transient', uri: 'gs://cfg/c.yaml', thrown: apiError(429), code: 'GCS_ERROR', status: 503, message: /right now/, hint: /retry/, details: { source: 'gs://cfg/c.yaml', status: 429 } },
    { name: 'gaxios-style status field', uri: 'gs://cfg/c.yaml', thrown: Object.assign(new Error('x'), { status: 404 }), code: 'CONFIG_NOT_FOUND', status: 500, message: /does not exist/, hint: /gcloud storage cp/, details: { source: 'gs://cfg/c.yaml', status: 404 } },
    { name: 'network failure', uri: 'gs://cfg/c.yaml', thrown: fsError('ECONNRESET'), code: 'GCS_ERROR', status: 503, message: /\(ECONNRESET\)/, hint: /retry/, details: { source: 'gs://cfg/c.yaml', errno: 'ECONNRESET' } },
    { name: 'unknown GCS failure', uri: 'gs://cfg/c.yaml', thrown: apiError(400, 'invalid'), code: 'GCS_ERROR', status: 500, message: /Could not read config gs:\/\/cfg\/c\.yaml \(400 invalid\)/, hint: /gcloud storage cat gs:\/\/cfg\/c\.yaml/, details: { source: 'gs://cfg/c.yaml', status: 400, reason: 'invalid' } },
    { name: 'missing file', uri: 'conf/config.yaml', thrown: fsError('ENOENT'), code: 'CONFIG_NOT_FOUND', status: 500, message: /^Config file conf\/config\.yaml does not exist$/, hint: /CONFIG_URI/, details: { source: 'conf/config.yaml', errno: 'ENOENT' } },
    { name: 'unreadable file', uri: '/etc/c.yaml', thrown: fsError('EACCES'), code: 'CONFIG_NOT_FOUND', status: 500, message: /Permission denied reading config file \/etc\/c\.yaml/, hint: /readable/, details: { source: '/etc/c.yaml', errno: 'EACCES' } },
    { name: 'a directory', uri: 'conf/', thrown: fsError('EISDIR'), code: 'CONFIG_NOT_FOUND', status: 500, message: /is a directory/, hint: /conf\/config\.yaml/, details: { source: 'conf/', errno: 'EISDIR' } },
  ];
  for (const f of failures) {
    it(`${f.name} → ${f.code}`, async () => {
      const { readers } = fakeReaders({ gcs: f.thrown, file: f.thrown });
      const error = await rejection(() => loadConfig(f.uri, readers));
      assert.equal(error.code, f.code);
      assert.equal(error.status, f.status);
      assert.match(error.message, f.message);
      assert.match(error.hint, f.hint);
      assert.deepEqual(error.details, f.details);
      const body = JSON.stringify(error.toJSON());
      assert.doesNotMatch(body, /SECRET|Bearer|gserviceaccount|\/secret\/path/, 'raw SDK text must not reach the error body');
      assert.equal(error.cause, undefined, 'the raw SDK error (which may carry request headers) is not chained');
    });
  }

  it('passes typed errors from a reader through unchanged', async () => {
    const typed = new TransferError('GCS_ERROR', 'timed out', { hint: 'retry', status: 504 });
    const { readers } = fakeReaders({ gcs: typed });
    assert.equal(await rejection(() => loadConfig('gs://cfg/c.yaml', readers)), typed);
  });

  const badUris: Array<[string, RegExp, RegExp]> = [
    ['', /No config location/, /CONFIG_URI to gs:\/\/BUCKET\/config\.yaml/],
    ['   ', /No config location/, /CONFIG_URI/],
    ['gs://bucket-only', /names no object/, /gs:\/\/bucket-only\/config\.yaml/],
    ['gs://bucket/folder/', /names no object/, /config\.yaml/],
    ['gs://Bad_Bucket!/c.yaml', /invalid bucket name/, /Bucket names/],
    ['s3://bucket/config.yaml', /scheme s3:\/\/ is not supported/, /gcloud storage cp/],
    ['https://example.com/config.yaml', /scheme https:\/\/ is not supported/, /CONFIG_URI/],
  ];
  for (const [uri, message, hint] of badUris) {
    it(`refuses the URI ${JSON.stringify(uri)} without reading anything`, async () => {
      const { readers, calls } = fakeReaders({ gcs: VALID, file: VALID });
      const error = await rejection(() => loadConfig(uri, readers));
      assert.equal(error.code, 'CONFIG_NOT_FOUND');
      assert.match(error.message, message);
      assert.match(error.hint, hint);
      assert.deepEqual(calls, []);
    });
  }

  it('parseConfigUri splits gs:// URIs and keeps object names verbatim', () => {
    assert.deepEqual(parseConfigUri('gs://b.example.com/a b/c.yaml'), { kind: 'gcs', uri: 'gs://b.example.com/a b/c.yaml', bucket: 'b.example.com', object: 'a b/c.yaml' });
    assert.deepEqual(parseConfigUri(' config.yaml '), { kind: 'file', uri: 'config.yaml', path: 'config.yaml' });
  });
});

describe('defaultConfigReaders().readFile', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a real file end to end through loadConfig', async () => {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, `\uFEFF${VALID}`);
    const config = await loadConfig(pathToFileURL(path).href, defaultConfigReaders());
    assert.equal(config.jobs[0]?.aws.accountId, '123456789012');
  });

  const cases: Array<{ name: string; setup: (path: string) => void; code: string; message: RegExp }> = [
    { name: 'missing file', setup: () => undefined, code: 'CONFIG_NOT_FOUND', message: /does not exist/ },
    { name: 'directory', setup: (path) => mkdirSync(path), code: 'CONFIG_NOT_FOUND', message: /is a directory/ },
    { name: 'not UTF-8', setup: (path) => writeFileSync(path, Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a])), code: 'CONFIG_INVALID', message: /not valid UTF-8/ },
    { name: 'over 1 MiB', setup: (path) => writeFileSync(path, Buffer.alloc(1024 * 1024 + 1, 0x23)), code: 'CONFIG_INVALID', message: /1048577 bytes; a config is at most 1048576/ },
  ];
  cases.forEach((c, index) => {
    it(`${c.name} → ${c.code}`, async () => {
      const path = join(dir, `case-${index}`);
      c.setup(path);
      const error = await rejection(() => loadConfig(path, defaultConfigReaders()));
      assert.equal(error.code, c.code);
      assert.match(error.message, c.message);
    });
  });
});

/** A Storage whose one object is served by `serve` (write to / end / error the stream). */
function fakeStorage(serve: (stream: PassThrough, bucket: string, object: string) => void): { storage: Storage; destroyed: () => boolean } {
  let last: PassThrough | undefined;
  const storage = {
    bucket: (bucket: string) => ({
      file: (object: string) => ({
        createReadStream: () => {
          const stream = new PassThrough();
          last = stream;
          setImmediate(() => serve(stream, bucket, object));
          return stream;
        },
      }),
    }),
  } as unknown as Storage;
  return { storage, destroyed: () => last?.destroyed === true };
}

describe('gcsConfigReader', () => {
  it('returns the object as text, BOM stripped, from the right bucket and object', async () => {
    const seen: string[] = [];
    const { storage } = fakeStorage((stream, bucket, object) => {
      seen.push(`${bucket}/${object}`);
      stream.write(Buffer.from([0xef, 0xbb, 0xbf]));
      stream.write('aws: ');
      stream.end('{}\n');
    });
    assert.equal(await gcsConfigReader(storage)('b', 'dir/c.yaml'), 'aws: {}\n');
    assert.deepEqual(seen, ['b/dir/c.yaml']);
  });

  it('passes the storage error through for loadConfig to classify', async () => {
    const notFound = apiError(404, 'notFound');
    const { storage } = fakeStorage((stream) => stream.destroy(notFound));
    await assert.rejects(gcsConfigReader(storage)('b', 'c.yaml'), (error) => error === notFound);
  });

  const failures: Array<{ name: string; serve: (stream: PassThrough) => void; options: { timeoutMs?: number; maxBytes?: number }; code: string; status: number; message: RegExp; aborts: boolean }> = [
    { name: 'a read that never finishes times out', serve: (stream) => stream.write('aws:'), options: { timeoutMs: 50 }, code: 'GCS_ERROR', status: 504, message: /timed out after 50 ms/, aborts: true },
    { name: 'an object over the size cap', serve: (stream) => stream.write(Buffer.alloc(64, 0x23)), options: { maxBytes: 32 }, code: 'CONFIG_INVALID', status: 500, message: /larger than 32 bytes/, aborts: true },
    { name: 'bytes that are not UTF-8', serve: (stream) => stream.end(Buffer.from([0xc3, 0x28])), options: {}, code: 'CONFIG_INVALID', status: 500, message: /not valid UTF-8/, aborts: false },
  ];
  for (const f of failures) {
    it(`${f.name} → ${f.code}`, async () => {
      const { storage, destroyed } = fakeStorage(f.serve);
      const error = await rejection(() => gcsConfigReader(storage, f.options)('b', 'c.yaml'));
      assert.equal(error.code, f.code);
      assert.equal(error.status, f.status);
      assert.match(error.message, f.message);
      if (f.aborts) assert.ok(destroyed(), 'the download is aborted, not left running');
    });
  }
});

describe('selectJobs', () => {
  const config: TransferConfig = parseConfig(JOBS, 'gs://b/jobs.yaml');

  it('no name selects every job, in order', () => {
    assert.deepEqual(selectJobs(config).map((j) => j.name), ['active_records', 'orders', 'custom_sql']);
  });

  it('a name selects that job only', () => {
    assert.deepEqual(selectJobs(config, 'orders').map((j) => j.name), ['orders']);
  });

  const unknown: Array<[string, RegExp]> = [
    ['order', /^No job named "order" in the config; did you mean "orders"\?$/],
    ['nothing_like_it', /^No job named "nothing_like_it" in the config$/],
    ['', /^No job named "" in the config$/],
    ['x'.repeat(500), /^No job named "x{63}…" in the config$/],
    ['"; DROP TABLE x', /^No job named "\\"; DROP TABLE x" in the config$/],
  ];
  for (const [name, message] of unknown) {
    it(`an unknown name (${JSON.stringify(name.slice(0, 20))}) is a 400 listing the jobs`, () => {
      assert.throws(
        () => selectJobs(config, name),
        (error: unknown) => {
          assert.ok(error instanceof TransferError);
          assert.equal(error.code, 'REQUEST_INVALID');
          assert.equal(error.status, 400);
          assert.match(error.message, message);
          assert.equal(error.hint, 'Send one of: "active_records", "orders", "custom_sql" (or no job name to run all of them).');
          assert.deepEqual(error.details, { jobs: ['active_records', 'orders', 'custom_sql'], source: 'gs://b/jobs.yaml' });
          return true;
        },
      );
    });
  }
});
