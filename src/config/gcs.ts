/**
 * The production reader for `gs://` configs: a thin adapter over @google-cloud/storage with a deadline and
 * a size cap. SDK errors pass through unchanged; load.ts turns them into typed errors (one place decides
 * what a 403 or a timeout means).
 */
import type { Storage } from '@google-cloud/storage';
import { TransferError } from '../errors.ts';
import { MAX_CONFIG_BYTES } from './parse.ts';

export interface GcsReaderOptions {
  /** Whole read, connection to last byte. Default 10 s: a config is tiny, a hang is an outage. */
  timeoutMs?: number;
  /** Stop reading past this many bytes. Default 1 MiB. */
  maxBytes?: number;
}

/** Strict UTF-8: a config in another encoding is reported, not half-decoded. Strips a BOM. */
export function decodeConfigBytes(bytes: Uint8Array, uri: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TransferError('CONFIG_INVALID', `Config ${uri} is not valid UTF-8 text`, {
      status: 500,
      hint: 'Save the config as UTF-8 (it is YAML text; check that CONFIG_URI names the right object).',
      details: { source: uri },
    });
  }
}

/** `(bucket, object) => text` reading one object, for `loadConfig`'s `readGcsObject`. */
export function gcsConfigReader(storage: Storage, options: GcsReaderOptions = {}): (bucket: string, object: string) => Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? MAX_CONFIG_BYTES;
  return (bucket, object) =>
    new Promise<string>((resolve, reject) => {
      const uri = `gs://${bucket}/${object}`;
      const stream = storage.bucket(bucket).file(object).createReadStream();
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const finish = (error: unknown, text?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error === undefined) resolve(text ?? '');
        else {
          stream.destroy();
          reject(error);
        }
      };
      const timer = setTimeout(() => {
        finish(
          new TransferError('GCS_ERROR', `Reading config ${uri} timed out after ${timeoutMs} ms`, {
            status: 504,
            hint: 'GCS did not answer in time; retry. If it persists, check the function\'s network egress and GCS status.',
            details: { source: uri, timeoutMs },
          }),
        );
      }, timeoutMs);
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          finish(
            new TransferError('CONFIG_INVALID', `Config ${uri} is larger than ${maxBytes} bytes`, {
              status: 500,
              hint: 'Check that CONFIG_URI points at the config YAML and not at a data file.',
              details: { source: uri, maxBytes },
            }),
          );
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', (error) => finish(error));
      stream.on('end', () => {
        try {
          finish(undefined, decodeConfigBytes(Buffer.concat(chunks), uri));
        } catch (error) {
          finish(error);
        }
      });
    });
}
