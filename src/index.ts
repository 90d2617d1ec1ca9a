/**
 * The Cloud Functions (gen2) entry point: registers the HTTP function and nothing else. Everything it
 * needs is built once per instance from the environment (src/runtime.ts).
 */
import { http } from '@google-cloud/functions-framework';
import { createRuntime, parseOptions } from './runtime.ts';

const { handler } = createRuntime(parseOptions(process.env));

http('athenaToBigQuery', handler);
