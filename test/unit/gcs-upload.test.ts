/**
 * The resumable upload client: exact bytes across chunk boundaries (multi-byte characters included), the
 * 256 KiB chunk rule, and recovery from 503s, dropped connections and partially persisted chunks by asking
 * the session where to go on. Against an in-memory fake of GCS's protocol (test/emulators/gcs-resumable-fake.ts).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { CHUNK_GRANULARITY, uploadResumable, type GcsUploadClient } from '../../src/bigquery/gcs-upload.ts';
import { TransferError } from '../../src/errors.ts';
import { FAKE_BASE, resumableFake, type ResumableFakeKnobs } from '../emulators/gcs-resumable-fake.ts';

const CHUNK = CHUNK_GRANULARITY; // 256 KiB: the smallest legal chunk, so a few hundred KB cross several

/** Text pieces like NDJSON chunks, with multi-byte characters so chunk boundaries fall inside them. */
function pieces(totalChars: number, piece = 7_001): string[] {
  const out: string[] = [];
  let made = 0;
  for (let i = 0; made < totalChars; i++) {
    const line = `{"id":"${i}","s":"ü✓😀 ${'x'.repeat(i % 50)}"}\n`;
    const last = out.at(-1);
    if (last !== undefined && last.length < piece) out[out.length - 1] = last + line;
    else out.push(line);
    made += line.length;
  }
  return out;
}

function setup(knobs: ResumableFakeKnobs = {}) {
  const fake = resumableFake(new Map(), knobs);
  const client: GcsUploadClient = { baseUrl: FAKE_BASE, authHeaders: async () => ({ authorization: 'Bearer t' }), send: fake.send };
  const sleeps: number[] = [];
  return { fake, client, sleeps, sleep: async (ms: number) => void sleeps.push(ms) };
}

function puller(items: string[], failAt?: number): () => Promise<string | undefined> {
  let i = 0;
  return async () => {
    if (i === failAt) throw new TransferError('BAD_RECORDS', 'row 1234 cannot be loaded', { hint: 'fix it' });
    return items[i++];
  };
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('base64');

describe('uploadResumable', () => {
  it('stores exactly the bytes pulled, in 256 KiB chunks plus a final one that carries the total', async () => {
    const { fake, client } = setup();
    const items = pieces(900_000);
    const expected = Buffer.from(items.join(''), 'utf8');
    const result = await uploadResumable(client, 'bkt', 'runs/p-0.ndjson', puller(items), { chunkBytes: CHUNK });
    assert.deepEqual(fake.objects.get('bkt/runs/p-0.ndjson'), expected);
    assert.equal(result.bytes, expected.length);
    assert.equal(result.md5, md5(expected));
    const chunks = fake.requests.filter((r) => r.kind === 'chunk');
    assert.ok(chunks.slice(0, -1).every((c) => c.bytes === CHUNK), 'every non-final chunk is exactly chunkBytes');
    assert.match(chunks.at(-1)!.range!, new RegExp(`/${expected.length}$`));
    assert.ok(chunks.slice(0, -1).every((c) => c.range!.endsWith('/*')));
    assert.equal(fake.requests[0]!.kind, 'initiate');
  });

  it('data ending exactly on a chunk boundary is finalized with an empty `bytes */total` request', async () => {
    const { fake, client } = setup();
    const exact = 'a'.repeat(CHUNK - 1) + '\n';
    await uploadResumable(client, 'bkt', 'x.ndjson', puller([exact, exact]), { chunkBytes: CHUNK });
    assert.equal(fake.objects.get('bkt/x.ndjson')?.length, 2 * CHUNK);
    const last = fake.requests.at(-1)!;
    assert.equal(last.range, `bytes */${2 * CHUNK}`);
  });

  const recoveries: Array<{ name: string; knobs: ResumableFakeKnobs; backoffs: number }> = [
    { name: '503 on a chunk: backoff, ask the session, re-send', knobs: { fail503: 2 }, backoffs: 2 },
    { name: 'connection dropped after half a chunk was persisted: re-send only the rest', knobs: { drop: 1 }, backoffs: 1 },
    { name: 'the session kept half a chunk (308 with a shorter Range): send the rest at once', knobs: { keepHalf: 3 }, backoffs: 0 },
  ];
  for (const c of recoveries) {
    it(c.name, async () => {
      const { fake, client, sleeps, sleep } = setup();
      const items = pieces(700_000);
      const expected = Buffer.from(items.join(''), 'utf8');
      let pulled = 0;
      const pull = puller(items);
      await uploadResumable(client, 'bkt', 'r.ndjson', async () => {
        const v = await pull();
        // Faults start once the first chunk is under way, so they hit a chunk in the middle.
        if (++pulled === 50) Object.assign(fake.knobs, c.knobs);
        return v;
      }, { chunkBytes: CHUNK, sleep });
      assert.deepEqual(fake.objects.get('bkt/r.ndjson'), expected, 'every byte exactly once');
      assert.equal(sleeps.length, c.backoffs);
      if (c.knobs.drop) {
        const after = fake.requests.findIndex((r) => r.kind === 'status');
        assert.ok(after > 0, 'the session was asked');
        assert.equal(fake.requests[after + 1]!.bytes, CHUNK - Math.floor(CHUNK / 2), 'only the unpersisted half is re-sent');
      }
    });
  }

  it('a chunk that keeps failing: GCS_ERROR after maxRetries, and the session is cancelled', async () => {
    const { fake, client, sleeps, sleep } = setup({ fail503: 100 });
    await assert.rejects(uploadResumable(client, 'bkt', 'f.ndjson', puller(pieces(600_000)), { chunkBytes: CHUNK, maxRetries: 3, sleep }), (e: unknown) => {
      assert.ok(e instanceof TransferError);
      assert.equal(e.code, 'GCS_ERROR');
      assert.equal(e.details.retries, 3);
      assert.match(e.hint, /nothing was loaded/);
      return true;
    });
    assert.deepEqual(sleeps, [1000, 2000, 4000]);
    await new Promise((r) => setImmediate(r));
    assert.equal(fake.cancelled, 1);
    assert.equal(fake.objects.size, 0);
  });

  it('403 when opening the session: GCS_ERROR naming the role to grant, no retry', async () => {
    const { client, sleeps, sleep } = setup({ initiateStatus: 403 });
    await assert.rejects(uploadResumable(client, 'bkt', 'd.ndjson', puller(['{}\n']), { chunkBytes: CHUNK, sleep }), (e: unknown) => {
      assert.ok(e instanceof TransferError);
      assert.equal(e.details.httpStatus, 403);
      assert.match(e.hint, /roles\/storage\.objectAdmin/);
      return true;
    });
    assert.equal(sleeps.length, 0);
  });

  it('the source failing (a bad record): its own error, no object, session cancelled', async () => {
    const { fake, client } = setup();
    await assert.rejects(uploadResumable(client, 'bkt', 'b.ndjson', puller(pieces(800_000), 60), { chunkBytes: CHUNK }), { code: 'BAD_RECORDS' });
    await new Promise((r) => setImmediate(r));
    assert.equal(fake.objects.size, 0);
    assert.equal(fake.cancelled, 1);
    assert.equal(fake.openSessions(), 0);
  });

  it('refuses a chunk size GCS would reject', async () => {
    const { client } = setup();
    await assert.rejects(uploadResumable(client, 'bkt', 'c', puller([]), { chunkBytes: CHUNK + 1 }), RangeError);
  });
});
