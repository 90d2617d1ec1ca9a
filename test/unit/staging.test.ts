/**
 * GCS staging: when a result is staged, how it is split into objects, that one load job gets every URI,
 * and that staged objects are removed after success and failure. Storage and BigQuery are in-memory
 * doubles with the client methods staging.ts calls, and uploads go through an injected UploadObject; the
 * production uploader (gcsUploader) is checked here against a Storage double for the options it hands the
 * SDK and for backpressure, and on the wire against fake-gcs-server and bigquery-emulator by
 * test/integration/bulk-path.test.ts.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { BigQuery } from '@google-cloud/bigquery';
import type { Storage } from '@google-cloud/storage';
import { gcsUploader, loadNdjsonStaged, parseGcsPrefix, stagingOptions, type StagingOptions, type UploadObject } from '../../src/bigquery/staging.ts';
import type { LoadSpec } from '../../src/bigquery/load.ts';
import { TransferError } from '../../src/errors.ts';

/** The Storage calls staging makes itself (deletes). */
class FakeStorage {
  readonly objects = new Map<string, Buffer>();
  readonly deleted: string[] = [];
  failDelete = false;
  bucket(bucket: string) {
    return {
      file: (name: string) => {
        const path = `${bucket}/${name}`;
        return {
          delete: async () => {
            if (this.failDelete) throw Object.assign(new Error('Forbidden'), { code: 403 });
            this.deleted.push(path);
            this.objects.delete(path);
            return [{}];
          },
        };
      },
    };
  }
}

interface UploaderKnobs {
  /** Reject the next upload with this error before reading anything (as the SDK does for a denied session). */
  rejectWith?: unknown;
  /** Wait this long per piece (honouring the abort signal), like a slow connection. */
  pieceDelayMs?: number;
}

/**
 * An UploadObject double with GCS's visible behaviour: the object exists only once the whole body was
 * taken (a failed upload leaves nothing), create-only, and the body is pulled one piece at a time.
 */
function fakeUploader(storage: FakeStorage, knobs: UploaderKnobs = {}) {
  const uploads: Array<{ name: string; pieces: number; deadline: number }> = [];
  const upload: UploadObject = async ({ bucket, name }, body, { signal, deadline }) => {
    const key = `${bucket}/${name}`;
    if (knobs.rejectWith !== undefined) throw knobs.rejectWith;
    if (storage.objects.has(key)) throw Object.assign(new Error('Precondition failed'), { code: 412 });
    const record = { name, pieces: 0, deadline };
    uploads.push(record);
    const parts: Buffer[] = [];
    for await (const text of body) {
      if (knobs.pieceDelayMs) await new Promise((r) => setTimeout(r, knobs.pieceDelayMs));
      signal.throwIfAborted();
      parts.push(Buffer.from(text, 'utf8'));
      record.pieces++;
    }
    const data = Buffer.concat(parts);
    storage.objects.set(key, data);
    return { bytes: data.length };
  };
  return { upload, uploads };
}

interface JobScript {
  /** GETs answered RUNNING before DONE (Infinity: never done). */
  runningPolls?: number;
  errorResult?: { reason: string; message: string };
  createError?: unknown;
}

/** Counts rows by reading the staged objects, as BigQuery would from gs:// URIs. */
class FakeBigQuery {
  readonly jobs: Array<Record<string, unknown>> = [];
  readonly directUploads: string[] = [];
  private polls = 0;
  private outputRows = 0;
  private readonly storage: FakeStorage;
  private readonly script: JobScript;
  constructor(storage: FakeStorage, script: JobScript = {}) {
    this.storage = storage;
    this.script = script;
  }
  async createJob(options: { jobId: string; configuration: { load: { sourceUris: string[] } } }) {
    this.jobs.push(options as unknown as Record<string, unknown>);
    if (this.script.createError) throw this.script.createError;
    this.outputRows = 0;
    for (const uri of options.configuration.load.sourceUris) {
      const data = this.storage.objects.get(uri.slice('gs://'.length));
      assert.ok(data, `load job reads a missing object ${uri}`);
      this.outputRows += data.toString('utf8').split('\n').filter((l) => l !== '').length;
    }
    return [{ metadata: { status: { state: 'RUNNING' } } }];
  }
  job(_id: string) {
    return {
      getMetadata: async () => {
        this.polls++;
        if (this.polls <= (this.script.runningPolls ?? 1)) return [{ status: { state: 'RUNNING' } }];
        return [
          this.script.errorResult
            ? { status: { state: 'DONE', errorResult: this.script.errorResult } }
            : { status: { state: 'DONE' }, statistics: { load: { outputRows: String(this.outputRows) } } },
        ];
      },
      promise: async () => undefined,
    };
  }
  dataset() {
    return {
      table: () => ({
        createWriteStream: () => {
          let text = '';
          const stream: Writable = new Writable({
            write: (chunk: Buffer, _enc, cb) => {
              text += chunk.toString('utf8');
              cb();
            },
            final: (cb) => {
              this.directUploads.push(text);
              stream.emit('job', { metadata: { statistics: { load: { outputRows: String(text.split('\n').filter(Boolean).length) } } } });
              cb();
            },
          });
          return stream;
        },
      }),
    };
  }
}

const SPEC: LoadSpec = {
  ref: { projectId: 'p', datasetId: 'd', tableId: 't' },
  jobId: 'athena_to_bq_default_abc_0',
  writeDisposition: 'WRITE_APPEND',
  schema: [{ name: 'id', type: 'INT64' }],
  timeoutMs: 30_000,
};

/** `count` rows as NDJSON chunks of `perChunk` lines (like one chunk per Athena page). */
async function* lines(count: number, perChunk = 100, failAfter?: number): AsyncGenerator<string> {
  let chunk = '';
  for (let i = 0; i < count; i++) {
    if (i === failAfter) throw new TransferError('BAD_RECORDS', `Row ${i + 1} cannot be loaded`, { hint: 'fix it' });
    chunk += `{"id":"${i}"}\n`;
    if ((i + 1) % perChunk === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

const expected = (count: number): string => Array.from({ length: count }, (_, i) => `{"id":"${i}"}\n`).join('');

function setup(script: JobScript = {}, overrides: Partial<StagingOptions> = {}, knobs: UploaderKnobs = {}) {
  const storage = new FakeStorage();
  const gcs = fakeUploader(storage, knobs);
  const bq = new FakeBigQuery(storage, script);
  const staging: StagingOptions = {
    storage: storage as unknown as Storage,
    target: { bucket: 'stage', prefix: 'runs/' },
    thresholdBytes: 1000,
    nonce: () => 'n0nce',
    pollMinMs: 1,
    pollMaxMs: 1,
    upload: gcs.upload,
    ...overrides,
  };
  return { storage, gcs, bq, staging, client: bq as unknown as BigQuery };
}

function stagedText(storage: FakeStorage): string {
  return [...storage.objects.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v.toString('utf8')).join('');
}

describe('loadNdjsonStaged: direct or staged', () => {
  it('without staging options: one direct upload, no GCS object', async () => {
    const { gcs, bq, client } = setup();
    const result = await loadNdjsonStaged(client, SPEC, lines(500), undefined);
    assert.equal(result.staging.staged, false);
    assert.equal(bq.directUploads[0], expected(500));
    assert.equal(gcs.uploads.length, 0);
    assert.equal(bq.jobs.length, 0);
  });

  it('a result within the threshold is uploaded directly', async () => {
    const { gcs, bq, staging, client } = setup({}, { thresholdBytes: 100_000 });
    const result = await loadNdjsonStaged(client, SPEC, lines(500), staging);
    assert.equal(result.staging.staged, false);
    assert.equal(result.outputRows, 500);
    assert.equal(bq.directUploads[0], expected(500));
    assert.equal(gcs.uploads.length, 0);
  });

  it('an empty result is uploaded directly even with threshold 0 (a load job needs at least one URI)', async () => {
    const { gcs, bq, staging, client } = setup({}, { thresholdBytes: 0 });
    const result = await loadNdjsonStaged(client, SPEC, lines(0), staging);
    assert.equal(result.staging.staged, false);
    assert.deepEqual(bq.directUploads, ['']);
    assert.equal(gcs.uploads.length, 0);
  });

  it('a larger result is staged: every row exactly once, one load job over the URIs, objects deleted after', async () => {
    const { storage, gcs, bq, staging, client } = setup();
    const result = await loadNdjsonStaged(client, SPEC, lines(50_000), staging);
    assert.equal(result.staging.staged, true);
    assert.equal(result.staging.objects, 1);
    assert.equal(result.staging.bytes, Buffer.byteLength(expected(50_000)));
    assert.equal(result.staging.uri, 'gs://stage/runs/athena_to_bq_default_abc_0-n0nce/');
    assert.equal(result.staging.cleanedUp, true);
    assert.equal(result.outputRows, 50_000);
    assert.equal(result.attached, false);
    assert.equal(bq.jobs.length, 1);
    const job = bq.jobs[0] as { jobId: string; configuration: { load: Record<string, unknown> } };
    assert.equal(job.jobId, SPEC.jobId, 'the deterministic job id');
    assert.deepEqual(job.configuration.load.sourceUris, ['gs://stage/runs/athena_to_bq_default_abc_0-n0nce/part-00000.ndjson']);
    assert.equal(job.configuration.load.sourceFormat, 'NEWLINE_DELIMITED_JSON');
    assert.equal(job.configuration.load.writeDisposition, 'WRITE_APPEND');
    assert.equal(job.configuration.load.createDisposition, 'CREATE_NEVER');
    assert.deepEqual(job.configuration.load.schema, { fields: SPEC.schema });
    assert.deepEqual(storage.deleted, ['stage/runs/athena_to_bq_default_abc_0-n0nce/part-00000.ndjson']);
    assert.equal(storage.objects.size, 0);
    assert.equal(bq.directUploads.length, 0);
    assert.deepEqual(gcs.uploads.map((u) => [u.name, u.pieces]), [['runs/athena_to_bq_default_abc_0-n0nce/part-00000.ndjson', 500]], 'one upload, fed piece by piece');
    assert.ok(Math.abs(gcs.uploads[0]!.deadline - (Date.now() + SPEC.timeoutMs)) < 5000, 'the upload gets the run deadline');
  });

  it('parts roll over at partBytes; all of them go into the ONE load job, in order, rows exactly once', async () => {
    const { storage, bq, staging, client } = setup({}, { partBytes: 20_000 });
    const written: string[] = [];
    const original = storage.objects.set.bind(storage.objects);
    storage.objects.set = (k, v) => {
      written.push(v.toString('utf8'));
      return original(k, v);
    };
    const result = await loadNdjsonStaged(client, SPEC, lines(5000), staging);
    assert.ok(result.staging.objects >= 3, `${result.staging.objects} parts`);
    assert.equal(written.join(''), expected(5000));
    assert.equal(bq.jobs.length, 1);
    const uris = (bq.jobs[0] as { configuration: { load: { sourceUris: string[] } } }).configuration.load.sourceUris;
    assert.deepEqual(uris, uris.map((_, i) => `gs://stage/runs/athena_to_bq_default_abc_0-n0nce/part-${String(i).padStart(5, '0')}.ndjson`));
    assert.equal(result.outputRows, 5000);
    assert.equal(storage.deleted.length, result.staging.objects);
  });

  it('the source failing mid-way (a bad record): its error, no load job, staged parts deleted', async () => {
    const { storage, bq, staging, client } = setup({}, { partBytes: 5000 });
    await assert.rejects(loadNdjsonStaged(client, SPEC, lines(5000, 100, 3000), staging), { code: 'BAD_RECORDS' });
    assert.equal(bq.jobs.length, 0);
    assert.ok(storage.deleted.length > 0, 'finished parts existed');
    assert.equal(storage.objects.size, 0);
  });

  it('a failed load job: BIGQUERY_LOAD_FAILED with the reason, staged objects deleted', async () => {
    const { storage, staging, client } = setup({ errorResult: { reason: 'invalid', message: 'Error while reading data, error message: JSON parsing error in row starting at position 0' } });
    await assert.rejects(loadNdjsonStaged(client, SPEC, lines(5000), staging), (e: unknown) => {
      assert.ok(e instanceof TransferError);
      assert.equal(e.code, 'BIGQUERY_LOAD_FAILED');
      assert.match(e.message, /JSON parsing error/);
      return true;
    });
    assert.equal(storage.objects.size, 0);
    assert.equal(storage.deleted.length, 1);
  });

  it('409 on the job id: an earlier attempt created the job, so attach (no second load) and delete our objects', async () => {
    const duplicate = Object.assign(new Error('Already Exists: Job p:athena_to_bq_default_abc_0'), { code: 409, errors: [{ reason: 'duplicate' }] });
    const { storage, staging, client } = setup({ createError: duplicate, runningPolls: 0 });
    const result = await loadNdjsonStaged(client, SPEC, lines(5000), staging);
    assert.equal(result.attached, true);
    assert.equal(storage.objects.size, 0);
  });

  it('a load job still running at the deadline: 504 saying it may finish, objects KEPT for it', async () => {
    const { storage, staging, client } = setup({ runningPolls: Infinity }, { pollMinMs: 20, pollMaxMs: 20 });
    await assert.rejects(loadNdjsonStaged(client, { ...SPEC, timeoutMs: 1000 }, lines(5000), staging), (e: unknown) => {
      assert.ok(e instanceof TransferError);
      assert.equal(e.status, 504);
      assert.equal(e.details.jobMayFinish, true);
      assert.match(e.hint, /attaches/);
      return true;
    });
    assert.equal(storage.objects.size, 1, 'the running job still needs its source');
    assert.equal(storage.deleted.length, 0);
  });

  it('the run budget running out mid-upload: 504 saying nothing was loaded, no load job, no object left', async () => {
    const { storage, bq, staging, client } = setup({}, {}, { pieceDelayMs: 50 });
    await assert.rejects(loadNdjsonStaged(client, { ...SPEC, timeoutMs: 1000 }, lines(60_000), staging), (e: unknown) => {
      assert.ok(e instanceof TransferError);
      assert.equal(e.code, 'BIGQUERY_LOAD_FAILED');
      assert.equal(e.status, 504);
      assert.match(e.message, /did not finish within 1 s/);
      return true;
    });
    assert.equal(bq.jobs.length, 0);
    assert.equal(storage.objects.size, 0);
  });

  // What the SDK rejects with: gaxios errors from the session request, an ApiError, or after its own retries
  // a plain Error "Retry limit exceeded - status: 503 - …" (resumable-upload.js buildRetryError).
  const storageFailures: Array<[string, unknown, number | undefined, RegExp]> = [
    ['403 opening the session (gaxios error)', Object.assign(new Error('Forbidden'), { status: 403, response: { status: 403 } }), 403, /storage\.objectAdmin/],
    ['404: no such bucket (ApiError)', Object.assign(new Error('Not Found'), { code: 404 }), 404, /Create the bucket/],
    ['503 after the SDK retried', new Error('Retry limit exceeded - status: 503 - Service Unavailable'), 503, /Retry the run/],
    ['the SDK refusing to resume past lost bytes', new RangeError('The offset is lower than the number of bytes written. … Stopping as this could result in data loss.'), undefined, /Retry the run/],
  ];
  for (const [name, failure, httpStatus, hint] of storageFailures) {
    it(`a Storage failure, ${name}: GCS_ERROR (HTTP ${httpStatus ?? '-'}) with its hint; nothing loaded, nothing left`, async () => {
      const { storage, bq, staging, client } = setup({}, {}, { rejectWith: failure });
      await assert.rejects(loadNdjsonStaged(client, SPEC, lines(5000), staging), (e: unknown) => {
        assert.ok(e instanceof TransferError);
        assert.equal(e.code, 'GCS_ERROR');
        assert.equal(e.details.httpStatus, httpStatus);
        assert.match(e.hint, hint);
        assert.equal(e.cause, failure);
        return true;
      });
      assert.equal(bq.jobs.length, 0);
      assert.deepEqual(storage.deleted, ['stage/runs/athena_to_bq_default_abc_0-n0nce/part-00000.ndjson'], 'the object it may have created is deleted');
    });
  }

  it('a delete that fails does not fail a loaded run: cleanedUp false', async () => {
    const { storage, staging, client } = setup();
    storage.failDelete = true;
    const result = await loadNdjsonStaged(client, SPEC, lines(5000), staging);
    assert.equal(result.outputRows, 5000);
    assert.equal(result.staging.cleanedUp, false);
    assert.equal(stagedText(storage), expected(5000));
  });
});

describe('parseGcsPrefix', () => {
  const cases: Array<[string, { bucket: string; prefix: string } | RegExp]> = [
    ['gs://bucket/prefix/', { bucket: 'bucket', prefix: 'prefix/' }],
    ['gs://bucket/a/b', { bucket: 'bucket', prefix: 'a/b/' }],
    ['gs://bucket', { bucket: 'bucket', prefix: '' }],
    ['gs://bucket/', { bucket: 'bucket', prefix: '' }],
    ['s3://bucket/x', /gs:\/\/bucket\/prefix/],
    ['gs://B/x', /not a gs/],
  ];
  for (const [uri, want] of cases) {
    it(uri, () => {
      if (want instanceof RegExp) assert.throws(() => parseGcsPrefix(uri), (e: unknown) => e instanceof TransferError && want.test(`${e.message} ${e.hint}`));
      else assert.deepEqual(parseGcsPrefix(uri), want);
    });
  }
});

describe('stagingOptions', () => {
  it('no staging_uri: no staging', () => assert.equal(stagingOptions(undefined, 16, undefined), undefined));
  it('staging_uri + storage: the threshold in bytes', () => {
    const options = stagingOptions('gs://bkt/p/', 16, {} as Storage);
    assert.equal(options?.thresholdBytes, 16 * 1024 * 1024);
    assert.deepEqual(options?.target, { bucket: 'bkt', prefix: 'p/' });
  });
  it('staging_uri without a Storage client is a wiring bug, not a silent direct upload', () => {
    assert.throws(() => stagingOptions('gs://bkt/p/', 16, undefined), { code: 'INTERNAL' });
  });
});

/**
 * gcsUploader against a Storage double that records what it is asked for and stands in for the SDK's
 * write stream: a Writable that completes each write after a tick (like a request taking the bytes) and
 * records whether it was finalized (`final`: the SDK then ends the PUT, and GCS makes the object).
 */
function sdkDouble(options: { writeDelayMs?: number } = {}) {
  const calls: Array<{ bucket: string; name: string; options: Record<string, unknown>; interceptors: Array<{ request: (o: object) => object }> }> = [];
  const state = { written: [] as Buffer[], finalized: false, destroyedWith: undefined as unknown, inFlightMax: 0 };
  let pulled = 0;
  const storage = {
    bucket: (bucket: string) => ({
      file: (name: string) => {
        const call = { bucket, name, options: {} as Record<string, unknown>, interceptors: [] as Array<{ request: (o: object) => object }> };
        calls.push(call);
        return {
          interceptors: call.interceptors,
          createWriteStream: (o: Record<string, unknown>) => {
            call.options = o;
            return new Writable({
              highWaterMark: 1,
              write(chunk: Buffer, _enc, cb) {
                state.written.push(chunk);
                state.inFlightMax = Math.max(state.inFlightMax, pulled - state.written.length);
                setTimeout(cb, options.writeDelayMs ?? 0);
              },
              final(cb) {
                state.finalized = true;
                cb();
              },
              destroy(error, cb) {
                state.destroyedWith = error;
                cb(error);
              },
            });
          },
        };
      },
    }),
  };
  /** NDJSON pieces, counting how many were pulled; throws at piece `failAt`. */
  async function* pieces(count: number, failAt?: number): AsyncGenerator<string> {
    for (let i = 0; i < count; i++) {
      if (i === failAt) throw new TransferError('BAD_RECORDS', `Row ${i} cannot be loaded`, { hint: 'fix it' });
      pulled++;
      yield `{"id":"${i}","s":"ünï"}\n`;
    }
  }
  return { storage: storage as unknown as Storage, calls, state, pieces };
}

describe('gcsUploader (the @google-cloud/storage default)', () => {
  it('one single-request resumable upload, create-only, MD5-validated, NDJSON; bytes counted as UTF-8', async () => {
    const sdk = sdkDouble();
    const deadline = Date.now() + 60_000;
    const result = await gcsUploader(sdk.storage)({ bucket: 'bkt', name: 'runs/x/part-00000.ndjson' }, sdk.pieces(100), { signal: new AbortController().signal, deadline });
    const text = Buffer.concat(sdk.state.written).toString('utf8');
    assert.equal(text, Array.from({ length: 100 }, (_, i) => `{"id":"${i}","s":"ünï"}\n`).join(''));
    assert.equal(result.bytes, Buffer.byteLength(text), 'UTF-8 bytes, not characters');
    assert.notEqual(result.bytes, text.length);
    assert.equal(sdk.state.finalized, true);
    const [call] = sdk.calls;
    assert.equal(call?.bucket, 'bkt');
    assert.equal(call?.name, 'runs/x/part-00000.ndjson');
    assert.deepEqual(call?.options, { resumable: true, contentType: 'application/x-ndjson', preconditionOpts: { ifGenerationMatch: 0 }, validation: 'md5' });
    assert.equal('chunkSize' in (call?.options ?? {}), false, 'no chunkSize: one streaming PUT, not chunk buffers');
  });

  it('every SDK request of the upload gets a timeout ending at the run deadline (closes a PUT the SDK would leave open)', async () => {
    const sdk = sdkDouble();
    const deadline = Date.now() + 42_000;
    await gcsUploader(sdk.storage)({ bucket: 'bkt', name: 'o' }, sdk.pieces(1), { signal: new AbortController().signal, deadline });
    const interceptors = sdk.calls[0]!.interceptors;
    assert.equal(interceptors.length, 1);
    const timeout = (interceptors[0]!.request({ method: 'PUT' }) as { timeout?: number; method?: string }).timeout;
    assert.ok(timeout !== undefined && timeout > 40_000 && timeout <= 42_000, `timeout ${timeout}`);
  });

  it('backpressure: the source is pulled only as fast as the upload takes bytes', async () => {
    const sdk = sdkDouble({ writeDelayMs: 1 });
    await gcsUploader(sdk.storage)({ bucket: 'bkt', name: 'o' }, sdk.pieces(200), { signal: new AbortController().signal, deadline: Date.now() + 60_000 });
    assert.equal(sdk.state.written.length, 200);
    assert.ok(sdk.state.inFlightMax <= 2, `at most 2 pieces pulled ahead of the upload, saw ${sdk.state.inFlightMax}`);
  });

  const failures: Array<[string, (sdk: ReturnType<typeof sdkDouble>) => { body: AsyncIterable<string>; signal: AbortSignal }, RegExp | { code: string }]> = [
    ['the source failing mid-way', (sdk) => ({ body: sdk.pieces(100, 50), signal: new AbortController().signal }), { code: 'BAD_RECORDS' }],
    [
      'the run budget aborting',
      (sdk) => {
        const ac = new AbortController();
        setTimeout(() => ac.abort(new DOMException('budget', 'TimeoutError')), 30);
        return { body: sdk.pieces(100_000), signal: ac.signal };
      },
      /aborted|budget/,
    ],
  ];
  for (const [name, make, expected] of failures) {
    it(`${name}: rejects, the SDK stream is destroyed with the error and never finalized (no partial object)`, async () => {
      const sdk = sdkDouble({ writeDelayMs: 1 });
      const { body, signal } = make(sdk);
      await assert.rejects(gcsUploader(sdk.storage)({ bucket: 'bkt', name: 'o' }, body, { signal, deadline: Date.now() + 60_000 }), expected);
      assert.equal(sdk.state.finalized, false);
      assert.ok(sdk.state.destroyedWith instanceof Error, 'destroyed with the error');
    });
  }
});
