/**
 * Jobs: inheritance, the checks that only make sense after it, and the domain objects.
 *
 * A job's key wins over the top-level key of the same section; `athena.query` and `athena.table` are one
 * choice ("what to read"), so a job that sets either one replaces both inherited ones. The checks here run
 * on the raw YAML value even when the schema found problems elsewhere, so one run reports every issue; they
 * look only at presence, and at values whose type is already right, so they never repeat a schema issue.
 */
import { TransferError } from '../errors.ts';
import { FIELDS, JOB_SECTIONS, sectionKeys } from './fields.ts';
import type { FieldSpec, JobSectionName } from './fields.ts';
import { formatPath, isRecord, lookup } from './path.ts';
import type { KeyPath, RawIssue } from './path.ts';
import { selectAllQuery } from './sql.ts';
import { READ_PATHS, TYPE_PROBE_MODES, WRITE_MODES } from './types.ts';
import type { JobConfig } from './types.ts';

/** An effective value and where in the file it was set. */
interface Setting {
  value: unknown;
  at: KeyPath;
}

/** A job after inheritance, values still raw. */
export interface PlannedJob {
  name: string;
  /** `[]` for the implicit `default` job, `['jobs', i]` otherwise. */
  at: KeyPath;
  sections: Record<JobSectionName, Map<string, Setting>>;
}

export interface Plan {
  jobs: PlannedJob[];
  issues: RawIssue[];
}

interface JobSource {
  name: string | undefined;
  at: KeyPath;
  /** The job's own section values, `undefined` when absent, `null` when present but not a mapping. */
  own: Record<JobSectionName, Record<string, unknown> | undefined | null>;
}

function sectionValue(container: Record<string, unknown>, section: string): Record<string, unknown> | undefined | null {
  if (!Object.hasOwn(container, section)) return undefined;
  const value = container[section];
  return isRecord(value) ? value : null;
}

function emptyOwn(): JobSource['own'] {
  return { athena: undefined, bigquery: undefined, transfer: undefined };
}

/** Merges and checks the jobs of a parsed file (`root` must be a mapping). */
export function planJobs(root: Record<string, unknown>): Plan {
  const issues: RawIssue[] = [];
  const hasJobList = Object.hasOwn(root, 'jobs');
  let sources: JobSource[];
  if (!hasJobList) {
    sources = [{ name: 'default', at: [], own: emptyOwn() }];
  } else if (Array.isArray(root['jobs'])) {
    sources = root['jobs'].map((item: unknown, index): JobSource => {
      const at = ['jobs', index];
      if (!isRecord(item)) return { name: undefined, at, own: { athena: null, bigquery: null, transfer: null } };
      const own = emptyOwn();
      for (const section of JOB_SECTIONS) own[section] = sectionValue(item, section);
      return { name: typeof item['name'] === 'string' ? item['name'] : undefined, at, own };
    });
  } else {
    return { jobs: [], issues }; // the schema reports what `jobs` should be
  }

  issues.push(...duplicateNames(sources));

  const top = emptyOwn();
  for (const section of JOB_SECTIONS) top[section] = sectionValue(root, section);

  const planned: PlannedJob[] = [];
  /** `section.key` → indexes of the jobs that lack it. */
  const missing = new Map<string, number[]>();
  sources.forEach((source, index) => {
    const sections = {} as PlannedJob['sections'];
    for (const section of JOB_SECTIONS) {
      const merged = mergeSection(section, top[section], source.own[section], source.at);
      sections[section] = merged;
      // A section that is not a mapping is reported by the schema; do not add "missing" noise for it.
      if (top[section] === null || source.own[section] === null) continue;
      for (const key of requiredKeys(section)) {
        if (!merged.has(key)) pushTo(missing, `${section}.${key}`, index);
      }
      if (section === 'athena') issues.push(...athenaChecks(merged, source.at, missing, index));
    }
    planned.push({ name: source.name ?? `#${index}`, at: source.at, sections });
  });

  for (const [dotted, indexes] of missing) issues.push(...missingIssues(dotted, indexes, sources, hasJobList));
  return { jobs: planned, issues: dedupe(issues) };
}

function requiredKeys(section: JobSectionName): string[] {
  const fields: Record<string, FieldSpec> = FIELDS[section];
  return Object.entries(fields)
    .filter(([, spec]) => spec.required === true)
    .map(([key]) => key);
}

function mergeSection(
  section: JobSectionName,
  top: Record<string, unknown> | undefined | null,
  own: Record<string, unknown> | undefined | null,
  jobAt: KeyPath,
): Map<string, Setting> {
  const merged = new Map<string, Setting>();
  const ownOverridesSource = section === 'athena' && isRecord(own) && (Object.hasOwn(own, 'query') || Object.hasOwn(own, 'table'));
  for (const key of sectionKeys(section)) {
    if (isRecord(own) && Object.hasOwn(own, key)) {
      merged.set(key, { value: own[key], at: [...jobAt, section, key] });
    } else if (isRecord(top) && Object.hasOwn(top, key) && !(ownOverridesSource && (key === 'query' || key === 'table'))) {
      merged.set(key, { value: top[key], at: [section, key] });
    }
  }
  return merged;
}

function athenaChecks(athena: Map<string, Setting>, jobAt: KeyPath, missing: Map<string, number[]>, index: number): RawIssue[] {
  const issues: RawIssue[] = [];
  const query = athena.get('query');
  const table = athena.get('table');
  if (query === undefined && table === undefined) pushTo(missing, 'athena.query', index);
  if (query !== undefined && table !== undefined) {
    issues.push({
      at: table.at,
      message: 'is set together with athena.query; set only one',
      hint: `Remove one of them from \`${formatPath(table.at.slice(0, -1))}\`: \`query\` runs your SQL, \`table\` copies the whole table.`,
    });
  }
  const min = numberSetting(athena.get('poll_min_ms'), FIELDS.athena.poll_min_ms);
  const max = numberSetting(athena.get('poll_max_ms'), FIELDS.athena.poll_max_ms);
  if (min !== undefined && max !== undefined && min.value > max.value) {
    const at = athena.get('poll_min_ms')?.at ?? athena.get('poll_max_ms')?.at ?? [...jobAt, 'athena', 'poll_min_ms'];
    issues.push({
      at,
      message: `poll_min_ms (${min.value}) is greater than poll_max_ms (${max.value})`,
      hint: `Make poll_min_ms at most poll_max_ms (defaults ${FIELDS.athena.poll_min_ms.default} and ${FIELDS.athena.poll_max_ms.default}).`,
    });
  }
  return issues;
}

/** The setting's number or the default, only when it is a valid value (else the schema reports it). */
function numberSetting(setting: Setting | undefined, spec: FieldSpec): { value: number } | undefined {
  const value = setting === undefined ? spec.default : setting.value;
  if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
  const [min, max] = spec.range ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  return value >= min && value <= max ? { value } : undefined;
}

function missingIssues(dotted: string, indexes: number[], sources: JobSource[], hasJobList: boolean): RawIssue[] {
  const [section = '', key = ''] = dotted.split('.');
  const isQuery = dotted === 'athena.query';
  const spec: FieldSpec | undefined = isQuery ? undefined : (FIELDS as Record<string, Record<string, FieldSpec>>)[section]?.[key];
  const example = spec?.example ?? '';
  const what = isQuery ? 'is missing: say what to read' : 'is missing';
  const queryHint =
    'Add `query: SELECT * FROM active_records_view` (your SQL) under `athena:`, or `table: active_records_view` to copy a whole table. The original function kept its SQL in code; this one reads it from the config.';
  const add = (where: string): string => (isQuery ? queryHint : `Add \`${key}: ${example}\` under ${where}. ${spec?.hint ?? ''}`.trim());

  if (!hasJobList) return [{ at: [section, key], missing: true, message: what, hint: add(`\`${section}:\``) }];
  if (indexes.length === sources.length) {
    return [
      {
        at: [section, key],
        missing: true,
        message: `${what} (no job sets it, and the top-level ${section} section does not either)`,
        hint: add(`the top-level \`${section}:\` (shared by all jobs) or under each job's \`${section}:\``),
      },
    ];
  }
  return indexes.map((index) => {
    const source = sources[index];
    const label = source?.name === undefined ? `jobs[${index}]` : `job "${source.name}"`;
    return {
      at: [...(source?.at ?? ['jobs', index]), section, key],
      missing: true,
      message: `${what} for ${label} (not set in the job nor at the top level)`,
      hint: add(`this job's \`${section}:\` or the top-level \`${section}:\``),
    };
  });
}

function duplicateNames(sources: JobSource[]): RawIssue[] {
  const first = new Map<string, number>();
  const issues: RawIssue[] = [];
  sources.forEach((source, index) => {
    if (source.name === undefined || source.at.length === 0) return;
    const seen = first.get(source.name);
    if (seen === undefined) {
      first.set(source.name, index);
      return;
    }
    issues.push({
      at: [...source.at, 'name'],
      message: `duplicate job name "${source.name}" (jobs[${seen}] has it too)`,
      hint: 'Give each job its own name: requests and BigQuery job ids select jobs by name.',
    });
  });
  return issues;
}

function pushTo(map: Map<string, number[]>, key: string, index: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [index]);
  else list.push(index);
}

/** An inherited problem shows up once per job: report it once. */
function dedupe(issues: RawIssue[]): RawIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const id = `${formatPath(issue.at)}\u0000${issue.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

// --- domain -----------------------------------------------------------------------------------------

/** Called only after every check passed; a wrong type here is a bug in the checks, not in the file. */
function bug(path: string): never {
  throw new TransferError('INTERNAL', `Config value ${path} passed validation with an unexpected type`, {
    hint: 'This is a bug in athena-to-bigquery: report it with the config file (without secrets).',
    details: { path },
  });
}

function pick(settings: Map<string, Setting>, section: JobSectionName, key: string): unknown {
  const setting = settings.get(key);
  if (setting !== undefined) return setting.value;
  return (FIELDS[section] as Record<string, FieldSpec>)[key]?.default;
}

function text(value: unknown, path: string): string {
  return typeof value === 'string' ? value : bug(path);
}
function optionalText(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : text(value, path);
}
function integer(value: unknown, path: string): number {
  return typeof value === 'number' && Number.isInteger(value) ? value : bug(path);
}
function oneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  return allowed.find((option) => option === value) ?? bug(path);
}
function flag(value: unknown, path: string): boolean {
  return typeof value === 'boolean' ? value : bug(path);
}

/**
 * AWS partition of a region, for the role ARN: China and GovCloud (and the isolated regions) are separate
 * partitions, and an `arn:aws:` ARN is rejected there (AWS docs, "Identify AWS resources with ARNs").
 */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  return 'aws';
}

/** A validated root + planned job → the domain object, every default applied. */
export function buildJob(root: Record<string, unknown>, job: PlannedJob): JobConfig {
  const aws = (key: string): unknown => {
    const { value } = lookup(root, ['aws', key]);
    return value === undefined ? (FIELDS.aws as Record<string, FieldSpec>)[key]?.default : value;
  };
  const rawAccount = aws('account_id');
  const accountId = typeof rawAccount === 'number' ? String(rawAccount) : text(rawAccount, 'aws.account_id');
  const region = text(aws('region'), 'aws.region');
  const roleName = text(aws('iam_role_name'), 'aws.iam_role_name');
  const rolePath = text(aws('iam_role_path'), 'aws.iam_role_path');

  const a = job.sections.athena;
  const catalog = text(pick(a, 'athena', 'catalog'), 'athena.catalog');
  const database = text(pick(a, 'athena', 'database'), 'athena.database');
  const table = optionalText(pick(a, 'athena', 'table'), 'athena.table');
  const query = table === undefined ? text(pick(a, 'athena', 'query'), 'athena.query') : selectAllQuery(catalog, database, table);
  const outputLocation = optionalText(pick(a, 'athena', 'output_location'), 'athena.output_location');

  const b = job.sections.bigquery;
  const location = optionalText(pick(b, 'bigquery', 'location'), 'bigquery.location');
  const stagingUri = optionalText(pick(b, 'bigquery', 'staging_uri'), 'bigquery.staging_uri');

  return {
    name: job.name,
    aws: {
      accountId,
      region,
      roleName,
      roleArn: `arn:${partitionOf(region)}:iam::${accountId}:role${rolePath}${roleName}`,
      sessionDurationSeconds: integer(aws('session_duration_seconds'), 'aws.session_duration_seconds'),
    },
    athena: {
      workgroup: text(pick(a, 'athena', 'workgroup'), 'athena.workgroup'),
      catalog,
      database,
      query,
      ...(table === undefined ? {} : { table }),
      ...(outputLocation === undefined ? {} : { outputLocation }),
      timeoutSeconds: integer(pick(a, 'athena', 'timeout_seconds'), 'athena.timeout_seconds'),
      pollMinMs: integer(pick(a, 'athena', 'poll_min_ms'), 'athena.poll_min_ms'),
      pollMaxMs: integer(pick(a, 'athena', 'poll_max_ms'), 'athena.poll_max_ms'),
    },
    bigquery: {
      projectId: text(lookup(root, ['gcp', 'project_id']).value, 'gcp.project_id'),
      datasetId: text(pick(b, 'bigquery', 'dataset_id'), 'bigquery.dataset_id'),
      tableId: text(pick(b, 'bigquery', 'table_id'), 'bigquery.table_id'),
      ...(location === undefined ? {} : { location }),
      writeMode: oneOf(pick(b, 'bigquery', 'write_mode'), WRITE_MODES, 'bigquery.write_mode'),
      createTable: flag(pick(b, 'bigquery', 'create_table'), 'bigquery.create_table'),
      maxBadRecords: integer(pick(b, 'bigquery', 'max_bad_records'), 'bigquery.max_bad_records'),
      allowFieldAddition: flag(pick(b, 'bigquery', 'allow_field_addition'), 'bigquery.allow_field_addition'),
      widenToString: flag(pick(b, 'bigquery', 'widen_to_string'), 'bigquery.widen_to_string'),
      ...(stagingUri === undefined ? {} : { stagingUri }),
      stagingThresholdMb: integer(pick(b, 'bigquery', 'staging_threshold_mb'), 'bigquery.staging_threshold_mb'),
    },
    transfer: {
      readPath: oneOf(pick(job.sections.transfer, 'transfer', 'read_path'), READ_PATHS, 'transfer.read_path'),
      typeProbe: oneOf(pick(job.sections.transfer, 'transfer', 'type_probe'), TYPE_PROBE_MODES, 'transfer.type_probe'),
    },
  };
}
