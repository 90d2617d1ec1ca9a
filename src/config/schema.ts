/**
 * The zod schema of the YAML file, built from the FIELDS table, and the JSON Schema derived from it.
 *
 * The zod schema checks shape and values: unknown keys (every object is strict), types, value rules.
 * Keys that jobs inherit (`athena.database`, `bigquery.table_id`, …) are optional here; whether each job
 * ends up with them is decided after inheritance, in plan.ts.
 */
import * as z from 'zod';
import { FIELDS, JOB_NAME_FIELD, JOB_SECTIONS, REQUIRED_SECTIONS, SECTIONS } from './fields.ts';
import type { FieldSpec, SectionName } from './fields.ts';

type Mode = 'top' | 'job';

function fieldSchema(section: SectionName, key: string, spec: FieldSpec, mode: Mode): z.ZodType {
  const description = mode === 'top' ? spec.description : `${spec.description} Overrides ${section}.${key} for this job.`;
  const meta: Record<string, unknown> = { description, ...spec.json };
  // A default belongs to the top level only: a job without the key inherits, it does not reset.
  if (mode === 'top' && spec.default !== undefined) meta['default'] = spec.default;
  const schema = spec.schema.meta(meta);
  const requiredHere = mode === 'top' && spec.required === true && (REQUIRED_SECTIONS as readonly string[]).includes(section);
  return requiredHere ? schema : schema.optional();
}

function sectionSchema(section: SectionName, mode: Mode) {
  const fields: Record<string, FieldSpec> = FIELDS[section];
  const shape: Record<string, z.ZodType> = {};
  for (const [key, spec] of Object.entries(fields)) shape[key] = fieldSchema(section, key, spec, mode);
  return z.strictObject(shape);
}

const SECTION_DESCRIPTIONS: Record<SectionName, string> = {
  aws: 'The AWS side: the role the function assumes with its Google identity (no AWS keys anywhere).',
  athena: 'The query: where it runs and what it selects. Jobs inherit these keys.',
  gcp: 'The Google Cloud project of the BigQuery dataset.',
  bigquery: 'The target table and how rows are written. Jobs inherit these keys.',
  transfer: 'How results move from Athena to BigQuery. Jobs inherit these keys.',
};

const jobSchema = z
  .strictObject({
    name: JOB_NAME_FIELD.schema.meta({ description: JOB_NAME_FIELD.description, ...JOB_NAME_FIELD.json }),
    athena: sectionSchema('athena', 'job').meta({ description: 'Overrides of the top-level athena keys.' }).optional(),
    bigquery: sectionSchema('bigquery', 'job').meta({ description: 'Overrides of the top-level bigquery keys.' }).optional(),
    transfer: sectionSchema('transfer', 'job').meta({ description: 'Overrides of the top-level transfer keys.' }).optional(),
  })
  .meta({ description: 'One query → one table. Keys not set here come from the top-level sections.' });

function rootShape(): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const section of SECTIONS) {
    const schema = sectionSchema(section, 'top').meta({ description: SECTION_DESCRIPTIONS[section] });
    shape[section] = (REQUIRED_SECTIONS as readonly string[]).includes(section) ? schema : schema.optional();
  }
  shape['jobs'] = z
    .array(jobSchema)
    .min(1)
    .meta({ description: 'Several transfers in one file. Without jobs there is one job, named default, made of the top-level sections.' })
    .optional();
  return shape;
}

/** The whole file. Parse with `{ reportInput: true }` so issues carry the offending value. */
export const configSchema = z.strictObject(rootShape()).meta({
  title: 'athena-to-bigquery config',
  description: 'Runs Athena queries and loads the rows into BigQuery. The original function\'s config.yaml is accepted unchanged; add athena.database and athena.query (or athena.table).',
});

/** Keys allowed at each level, for "did you mean" suggestions. */
export const ROOT_KEYS: readonly string[] = [...SECTIONS, 'jobs'];
export const JOB_KEYS: readonly string[] = ['name', ...JOB_SECTIONS];

/**
 * The JSON Schema (draft 2020-12) of the config, as committed in `config.schema.json`. Regenerate with:
 * `./node_modules/.bin/node -e "import('./src/config/index.ts').then((m) => process.stdout.write(m.renderConfigJsonSchema()))" > config.schema.json`
 */
export function renderConfigJsonSchema(): string {
  const schema = z.toJSONSchema(configSchema, { target: 'draft-2020-12', io: 'input' });
  const ordered = {
    $schema: schema.$schema,
    $comment: 'Generated from src/config/fields.ts by renderConfigJsonSchema(); edit that file, not this one.',
    ...schema,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
