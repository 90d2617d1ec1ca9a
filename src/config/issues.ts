/**
 * zod issues → config issues that name the key path, say what is wrong in the user's terms, and give the
 * fix. zod's own messages ("Invalid input: expected string, received number") are never shown: each
 * issue is rewritten from the FIELDS table and the offending value.
 */
import type * as z from 'zod';
import { closest } from './suggest.ts';
import { FIELDS, JOB_NAME_FIELD, SECTIONS, fieldSpec, isJobSection, isSection, sectionKeys, show, valueKind } from './fields.ts';
import type { FieldSpec } from './fields.ts';
import { JOB_KEYS, ROOT_KEYS } from './schema.ts';
import { formatPath, lookup } from './path.ts';
import type { KeyPath, PathSegment, RawIssue } from './path.ts';

type Issue = z.core.$ZodIssue;

/** Rewrites zod's issues; `root` is the parsed YAML value the issues are about. */
export function fromZodIssues(issues: readonly Issue[], root: unknown): RawIssue[] {
  const out: RawIssue[] = [];
  for (const issue of issues) {
    const at = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(unknownKey(at, key));
    } else {
      out.push(rewrite(issue, at, root));
    }
  }
  return out;
}

// --- unknown keys -----------------------------------------------------------------------------------

/** The keys allowed in the mapping at `at`. */
function knownKeysAt(at: KeyPath): readonly string[] {
  if (at.length === 0) return ROOT_KEYS;
  const [first, second, third] = at;
  if (at.length === 1 && typeof first === 'string' && isSection(first)) return sectionKeys(first);
  if (first === 'jobs' && typeof second === 'number') {
    if (at.length === 2) return JOB_KEYS;
    if (at.length === 3 && typeof third === 'string' && isSection(third)) return sectionKeys(third);
  }
  return [];
}

/** Label of the mapping at `at`, for messages: `aws`, `jobs[1].athena`, `the top level`. */
function where(at: KeyPath): string {
  return at.length === 0 ? 'the top level' : `\`${formatPath(at)}\``;
}

/** Sections (other than the current one) that have `key`. */
function sectionsWithKey(key: string): string[] {
  return SECTIONS.filter((section) => fieldSpec(section, key) !== undefined);
}

function unknownKey(parent: KeyPath, key: string): RawIssue {
  const at = [...parent, key];
  const known = knownKeysAt(parent);
  const inJob = parent[0] === 'jobs';
  const current = parent[parent.length - 1];

  // A key that exists, only in another place: say where it goes rather than guessing a near spelling.
  if (parent.length === 0 || (inJob && parent.length === 2)) {
    if (inJob && (key === 'aws' || key === 'gcp')) {
      return { at, message: `a job cannot set \`${key}\``, hint: `Every job uses the top-level \`${key}\` section (one AWS role and one project per function); move it to the top level.` };
    }
    const homes = sectionsWithKey(key);
    if (homes.length > 0) {
      const home = homes[0] ?? '';
      return {
        at,
        covers: inJob && isJobSection(home) ? [...parent, home, key] : [home, key],
        message: `unknown key at ${where(parent)}; \`${key}\` belongs in the \`${home}\` section`,
        hint: `Indent it under \`${home}:\`${inJob && isJobSection(home) ? ' (in this job)' : ''}.`,
      };
    }
  } else if (typeof current === 'string' && isSection(current)) {
    const homes = sectionsWithKey(key).filter((s) => s !== current);
    const home = homes[0];
    if (home !== undefined && !known.includes(key)) {
      const movable = !inJob || isJobSection(home);
      return {
        at,
        covers: inJob && isJobSection(home) ? [...parent.slice(0, -1), home, key] : [home, key],
        message: `unknown key in ${where(parent)}; \`${key}\` belongs in the \`${home}\` section`,
        hint: movable ? `Move it under \`${home}:\`.` : `Move it to the top-level \`${home}:\` section (jobs cannot override ${home}).`,
      };
    }
  }

  const suggestion = closest(key, known);
  const list = known.length > 0 ? ` Keys allowed in ${where(parent)}: ${known.join(', ')}.` : '';
  if (suggestion !== undefined) {
    return { at, covers: [...parent, suggestion], message: `unknown key; did you mean \`${suggestion}\`?`, hint: `Rename \`${key}\` to \`${suggestion}\`.${list}` };
  }
  return { at, message: 'unknown key', hint: `Remove it or correct its name (misspelt keys are errors, never ignored).${list}` };
}

// --- everything else --------------------------------------------------------------------------------

/** The FieldSpec for a path such as `aws.region` or `jobs[2].bigquery.table_id`. */
function fieldAt(at: KeyPath): FieldSpec | undefined {
  const [a, b, c, d] = at;
  if (at.length === 2 && typeof a === 'string' && typeof b === 'string') return fieldSpec(a, b);
  if (at.length === 3 && a === 'jobs' && typeof b === 'number' && c === 'name') return JOB_NAME_FIELD;
  if (at.length === 4 && a === 'jobs' && typeof b === 'number' && typeof c === 'string' && typeof d === 'string' && isJobSection(c)) return fieldSpec(c, d);
  return undefined;
}

function keyOf(at: KeyPath): string {
  const last = at[at.length - 1];
  return typeof last === 'string' ? last : formatPath(at);
}

function parentLabel(at: KeyPath): string {
  const parent = at.slice(0, -1);
  return parent.length === 0 ? 'the top level' : `\`${formatPath(parent)}:\``;
}

/** What a wrong-typed value is, in YAML terms. */
function kindOf(value: unknown): string {
  if (typeof value === 'string') return `the text ${show(value)}`;
  if (typeof value === 'number') return `the number ${show(value)}`;
  if (typeof value === 'boolean') return `${value}`;
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  return show(value);
}

function rewrite(issue: Issue, at: KeyPath, root: unknown): RawIssue {
  const { present, value } = lookup(root, at);
  const spec = fieldAt(at);
  const key = keyOf(at);

  if (spec === undefined) return structural(issue, at, present, value);

  if (!present) {
    return { at, missing: true, message: 'required key is missing', hint: `Add \`${key}: ${spec.example}\` under ${parentLabel(at)}. ${spec.hint}` };
  }
  if (value === null) {
    return { at, message: 'has no value', hint: `Write a value after \`${key}:\`, e.g. \`${key}: ${spec.example}\`.` };
  }
  switch (issue.code) {
    case 'custom': {
      const params = issue.params as { hint?: unknown } | undefined;
      return { at, message: issue.message, hint: typeof params?.hint === 'string' ? params.hint : spec.hint };
    }
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const guess = typeof value === 'string' ? closest(value, allowed) : undefined;
      return {
        at,
        message: `must be one of ${allowed.join(', ')}; got ${show(value)}${guess === undefined ? '' : ` (did you mean \`${guess}\`?)`}`,
        hint: guess === undefined ? spec.hint : `Write \`${key}: ${guess}\`.`,
      };
    }
    case 'too_small':
    case 'too_big':
      return rangeIssue(at, spec, value);
    case 'invalid_type':
    case 'invalid_union':
      if (spec.range !== undefined && typeof value === 'number') return rangeIssue(at, spec, value);
      return wrongType(at, spec, key, value);
    default:
      return { at, message: `is not valid: must be ${spec.expects}; got ${kindOf(value)}`, hint: spec.hint };
  }
}

function rangeIssue(at: KeyPath, spec: FieldSpec, value: unknown): RawIssue {
  const [min, max] = spec.range ?? [0, 0];
  return { at, message: `must be a whole number from ${min} to ${max}; got ${show(value)}`, hint: spec.hint };
}

function wrongType(at: KeyPath, spec: FieldSpec, key: string, value: unknown): RawIssue {
  const message = `must be ${spec.expects}; got ${kindOf(value)}`;
  const kind = valueKind(spec);
  if (kind === 'integer' && typeof value === 'string') {
    return { at, message, hint: `Write a plain number without quotes or units, e.g. \`${key}: ${spec.example}\`.` };
  }
  if (kind === 'text' && (typeof value === 'number' || typeof value === 'boolean')) {
    // YAML made a number (or boolean) of it. If the quoted text would be valid, say "quote it"; if not,
    // quoting would not help, so report what is wrong with the text itself.
    const asText = spec.schema.safeParse(String(value));
    if (asText.success) return { at, message, hint: `Quote it so YAML keeps it as text: \`${key}: "${String(value)}"\`.` };
    const custom = asText.error.issues.find((issue) => issue.code === 'custom');
    const params = custom?.params as { hint?: unknown } | undefined;
    if (typeof value === 'number' && custom !== undefined && typeof params?.hint === 'string') return { at, message: custom.message, hint: params.hint };
  }
  return { at, message, hint: spec.hint };
}

/** Issues about sections, the jobs list and job entries (paths that are not a single key). */
function structural(issue: Issue, at: KeyPath, present: boolean, value: unknown): RawIssue {
  const [first, second] = at;
  if (at.length === 0) {
    if (value === null || value === undefined) {
      return { at, message: 'the config file is empty', hint: 'Start from config.example.yaml: the file needs aws, gcp, athena and bigquery sections.' };
    }
    return { at, message: `the file must be a mapping of sections; got ${kindOf(value)}`, hint: 'Write top-level keys aws:, athena:, gcp:, bigquery: (see config.example.yaml).' };
  }
  if (at.length === 1 && typeof first === 'string' && isSection(first)) {
    const required = Object.entries(FIELDS[first] as Record<string, FieldSpec>).filter(([, spec]) => spec.required === true);
    const sample = required.map(([k, spec]) => `  ${k}: ${spec.example}`).join('\n');
    if (!present) return { at, missing: true, message: 'section is missing', hint: `Add it:\n${first}:\n${sample}` };
    if (value === null) return { at, message: 'section is empty', hint: `Add its keys, indented:\n${first}:\n${sample}` };
    return { at, message: `must be a mapping of keys; got ${kindOf(value)}`, hint: `Indent the section's keys under \`${first}:\`, e.g.\n${first}:\n${sample}` };
  }
  if (first === 'jobs' && at.length === 1) {
    if (issue.code === 'too_small') return { at, message: 'lists no jobs', hint: 'Add jobs (`- name: …`) or remove `jobs:` to run the top-level sections as one job.' };
    if (value === null) return { at, message: 'has no value', hint: 'List jobs under it (`- name: daily_orders`), or remove `jobs:`.' };
    return { at, message: `must be a list of jobs; got ${kindOf(value)}`, hint: 'Start each job with "- ", e.g.\njobs:\n  - name: daily_orders\n    athena: {table: orders}\n    bigquery: {table_id: orders}' };
  }
  if (first === 'jobs' && typeof second === 'number' && at.length === 2) {
    return { at, message: `each job must be a mapping with name, athena and bigquery; got ${kindOf(value)}`, hint: 'Write the job as "- name: daily_orders" followed by its indented athena:/bigquery: keys.' };
  }
  if (first === 'jobs' && typeof second === 'number' && at.length === 3 && typeof at[2] === 'string' && isJobSection(at[2])) {
    const section = at[2];
    if (value === null) return { at, message: 'section is empty', hint: `Add the keys this job overrides under \`${section}:\`, or remove it.` };
    return { at, message: `must be a mapping of keys; got ${kindOf(value)}`, hint: `Indent the keys this job overrides under \`${section}:\`.` };
  }
  return { at, message: `is not valid (${issue.code})`, hint: 'See config.example.yaml for the expected shape.' };
}
