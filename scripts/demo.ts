/**
 * `npm run demo`: the original function's scenario, end to end on the local stack, keyless.
 *  1. starts moto (STS, Athena, S3), fake-gcs-server, bigquery-emulator and our metadata-server emulator;
 *  2. uploads the original config.yaml (plus the SQL it kept in code) to gs://demo-config/config.yaml;
 *  3. queues the original `active_records_view` result in moto's Athena, in the role's account;
 *  4. starts the function under functions-framework and POSTs to it as curl would;
 *  5. prints the response and the table read back through the BigQuery API; stops everything.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMetadataServer } from '../test/emulators/metadata-server.ts';
import { startFunction, type RunningFunction } from '../test/support/function.ts';
import { bigQueryClient, queueAthenaResult, readTable, startStack, storageClient, type Stack } from '../test/support/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const PROJECT = 'my-project';
const BUCKET = 'demo-config';

const step = (text: string): void => console.log(`\n\x1b[1m== ${text}\x1b[0m`);

async function main(): Promise<void> {
  let stack: Stack | undefined;
  let metadata: Awaited<ReturnType<typeof startMetadataServer>> | undefined;
  let fn: RunningFunction | undefined;
  try {
    step('starting the local stack (moto, fake-gcs-server, bigquery-emulator, metadata server) on 127.0.0.1');
    stack = await startStack({ projectId: PROJECT });
    metadata = await startMetadataServer({ projectId: PROJECT });
    console.log(`moto ${stack.motoUrl}  gcs ${stack.gcsUrl}  bigquery ${stack.bigqueryUrl}  metadata ${metadata.url}`);

    step(`uploading config.yaml to gs://${BUCKET}/config.yaml`);
    const configText = readFileSync(join(here, 'demo', 'config.yaml'), 'utf8');
    console.log(configText.trim());
    const storage = storageClient(stack);
    await storage.createBucket(BUCKET);
    await storage.bucket(BUCKET).file('config.yaml').save(configText, { contentType: 'application/yaml', resumable: false });

    step('creating BigQuery dataset my_dataset (the function creates the table itself)');
    await bigQueryClient(stack).createDataset('my_dataset');

    step('queueing the original active_records_view result in Athena (moto, account 123456789012)');
    const columns = [
      { name: 'int_col', type: 'integer' },
      { name: 'string_col', type: 'varchar' },
      { name: 'float_col', type: 'double' },
      { name: 'boolean_col', type: 'boolean' },
    ];
    // moto answers queries in queue order: first the type probe (SELECT * FROM (…) LIMIT 0: names and types, no rows).
    await queueAthenaResult(stack, { accountId: '123456789012', columns, rows: [] });
    await queueAthenaResult(stack, {
      accountId: '123456789012',
      columns,
      rows: [
        ['1001', 'sample_data_1', '3.14159', 'true'],
        ['1003', 'test_string_3', '1.41421', 'true'],
        ['1005', 'demo_value_5', '2.23607', 'true'],
      ],
    });

    step('starting the function (functions-framework, no AWS keys in its environment)');
    fn = await startFunction({ ...stack.env, GCE_METADATA_HOST: metadata.host, CONFIG_URI: `gs://${BUCKET}/config.yaml` });
    console.log(`listening on ${fn.url}`);

    step('POST, as curl would');
    console.log(`$ curl -X POST ${fn.url} -H 'Content-Type: application/json' -d '{}'`);
    const { status, body } = await fn.post({});
    console.log(`HTTP ${status}`);
    console.log(JSON.stringify(body, null, 2));

    step('the table, read back through the BigQuery API');
    const [metadataTable] = await bigQueryClient(stack).dataset('my_dataset').table('my_table').getMetadata();
    const fields = (metadataTable.schema?.fields ?? []) as { name: string; type: string; mode?: string }[];
    console.log('schema: ' + fields.map((f) => `${f.name} ${f.type}`).join(', '));
    const rows = await readTable(stack, 'my_dataset', 'my_table', { orderBy: 'int_col' });
    console.table(rows);
    if (status !== 200 || rows.length !== 3) {
      console.error('\nThe demo did not transfer the 3 rows; the function logged:\n' + fn.logs.join('\n'));
      process.exitCode = 1;
    }
  } finally {
    step('stopping everything the demo started');
    await fn?.stop();
    await metadata?.stop();
    await stack?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
