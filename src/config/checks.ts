/**
 * Value checks for config keys. Each check is a custom function rather than zod's `.regex()` so a wrong
 * value gets a message naming the likely mistake (an availability zone instead of a region, an ARN
 * instead of a role name…) and a fix. Each rule cites the naming rule it enforces; fields.ts gives the
 * JSON Schema the equivalent `pattern`, and a unit test keeps the two in agreement on sample values.
 */
import * as z from 'zod';

/** What is wrong with a value and how to fix it. */
export interface Problem {
  message: string;
  hint: string;
}

type Check = (value: string) => Problem | undefined;

/** A value as it appears in messages: quoted, control characters escaped, cut at 60 characters. */
export function show(value: unknown): string {
  if (typeof value === 'string') {
    const quoted = JSON.stringify(value);
    return quoted.length > 62 ? `${quoted.slice(0, 60)}…"` : quoted;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** A string validated by `checks` in order; the first problem found is the one reported. */
export function text(checks: readonly Check[]): z.ZodType<string> {
  return z.string().superRefine((value, ctx) => {
    for (const check of checks) {
      const problem = check(value);
      if (problem !== undefined) {
        ctx.addIssue({ code: 'custom', message: problem.message, params: { hint: problem.hint }, input: value });
        return;
      }
    }
  });
}

export function integer(min: number, max: number): z.ZodType<number> {
  return z.number().int().min(min).max(max);
}

const utf8 = new TextEncoder();

const notBlank: Check = (v) =>
  v.trim().length === 0 ? { message: 'is empty', hint: 'Write a value or remove the key.' } : undefined;

/** No control characters, no surrounding spaces (a pasted name with a trailing space never matches). */
function plainName(what: string, maxChars: number): Check {
  return (v) => {
    if (v.length > maxChars) return { message: `is ${v.length} characters; ${what} has at most ${maxChars}`, hint: `Use a shorter ${what}.` };
    if (v !== v.trim()) return { message: `${show(v)} has spaces around it`, hint: `Remove the spaces: \`${v.trim()}\`.` };
    if (/[\u0000-\u001f\u007f]/.test(v)) return { message: `${show(v)} contains a control character`, hint: `Retype the ${what}.` };
    return undefined;
  };
}

// --- aws --------------------------------------------------------------------------------------------

/**
 * A 12-digit id, as text or as a YAML number. YAML 1.2 reads `012345678901` as the integer 12345678901
 * (the leading zero is gone), so a number with fewer than 12 digits is flagged with the quoted fix.
 */
export function checkAccountId(value: string | number): Problem | undefined {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      return { message: `must be 12 digits; got ${show(value)}`, hint: 'Quote the account id: account_id: "123456789012".' };
    }
    const digits = String(value);
    if (digits.length < 12) {
      return {
        message: `is the number ${digits} (${digits.length} digits): YAML dropped its leading zero${digits.length === 11 ? '' : 's'}`,
        hint: `Quote it so the zeros stay: account_id: "${digits.padStart(12, '0')}".`,
      };
    }
    if (digits.length > 12) {
      return { message: `has ${digits.length} digits; an AWS account id has exactly 12`, hint: 'Copy the account id from the AWS console (account menu, top right).' };
    }
    return undefined;
  }
  if (/^\d{12}$/.test(value)) return undefined;
  const compact = value.replace(/[\s-]/g, '');
  if (/^\d{12}$/.test(compact)) {
    return { message: `${show(value)} has separators`, hint: `Write the 12 digits only: account_id: "${compact}".` };
  }
  if (/^\d+$/.test(value)) {
    return { message: `has ${value.length} digits; an AWS account id has exactly 12`, hint: 'Copy the account id from the AWS console (account menu, top right).' };
  }
  return { message: `must be 12 digits; got ${show(value)}`, hint: 'Use the AWS account id that owns the role, e.g. account_id: "123456789012".' };
}

export const accountIdSchema: z.ZodType<string | number> = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  const problem = checkAccountId(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem.message, params: { hint: problem.hint }, input: value });
});

/** `us-east-1`, `us-gov-west-1`, `ap-southeast-7`, `us-isob-east-1`. */
export const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

export const region = text([
  notBlank,
  (v) => {
    if (AWS_REGION.test(v)) return undefined;
    if (AWS_REGION.test(v.toLowerCase())) return { message: `${show(v)} must be lower case`, hint: `Write region: ${v.toLowerCase()}.` };
    const zone = /^([a-z]{2}(?:-[a-z]+)+-\d{1,2})[a-z]$/.exec(v);
    if (zone) return { message: `${show(v)} is an availability zone, not a region`, hint: `Write region: ${zone[1]}.` };
    const gcpStyle = /^([a-z]+-[a-z]+)(\d+)$/.exec(v);
    if (gcpStyle) return { message: `${show(v)} is not an AWS region name`, hint: `AWS regions have a dash before the number: region: ${gcpStyle[1]}-${gcpStyle[2]}.` };
    return { message: `${show(v)} is not an AWS region name`, hint: 'Use the region of the Athena workgroup, e.g. region: us-east-1.' };
  },
]);

/** IAM role names: 1–64 of `[\w+=,.@-]` (IAM API reference, CreateRole RoleName). */
export const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

export const roleName = text([
  notBlank,
  (v) => {
    const arn = /^arn:aws[\w-]*:iam::\d{12}:role(\/(?:.*\/)?)?([^/]+)$/.exec(v);
    if (arn) {
      const path = arn[1] ?? '/';
      return {
        message: 'is a role ARN; this key takes the role name',
        hint: `Write iam_role_name: ${arn[2]}${path === '/' ? '' : ` and iam_role_path: ${path}`} (the ARN is built from account_id, the path and the name).`,
      };
    }
    if (v.includes('/')) {
      const name = v.slice(v.lastIndexOf('/') + 1);
      const path = `/${v.slice(0, v.lastIndexOf('/') + 1).replace(/^\/+/, '')}`;
      return { message: `${show(v)} contains a path`, hint: `Write iam_role_name: ${name} and iam_role_path: ${path}.` };
    }
    if (v.length > 64) return { message: `is ${v.length} characters; IAM role names have at most 64`, hint: 'Copy the role name from the IAM console.' };
    if (!IAM_ROLE_NAME.test(v)) return { message: `${show(v)} has characters IAM role names cannot have`, hint: 'Role names use letters, digits and + = , . @ _ - only; copy it from the IAM console.' };
    return undefined;
  },
]);

/** IAM paths: `/` or `/a/b/`, 1–512 printable ASCII characters (IAM API reference, CreateRole Path). */
export const IAM_PATH = /^\/(?:[\u0021-\u007e]*\/)?$/;

export const rolePath = text([
  (v) => {
    if (v.length <= 512 && IAM_PATH.test(v)) return undefined;
    return { message: `${show(v)} is not an IAM path`, hint: 'A path starts and ends with "/", e.g. iam_role_path: /service-role/ (leave it out for roles without a path).' };
  },
]);

// --- athena -----------------------------------------------------------------------------------------

/** Athena WorkGroup names: `[a-zA-Z0-9._-]{1,128}` (Athena API reference, StartQueryExecution). */
export const ATHENA_WORKGROUP = /^[a-zA-Z0-9._-]{1,128}$/;

export const workgroup = text([
  (v) => (ATHENA_WORKGROUP.test(v) ? undefined : { message: `${show(v)} is not a workgroup name`, hint: 'Workgroup names use letters, digits, ".", "_" and "-" (1–128), e.g. workgroup: primary.' }),
]);

export const catalog = text([notBlank, plainName('catalog name', 256)]);
export const database = text([notBlank, plainName('database name', 255)]);

/** StartQueryExecution QueryString: at most 262,144 bytes (Athena API reference). */
export const MAX_QUERY_BYTES = 262_144;

export const query = text([
  notBlank,
  (v) => {
    const bytes = utf8.encode(v).length;
    return bytes > MAX_QUERY_BYTES ? { message: `is ${bytes} bytes; Athena accepts at most ${MAX_QUERY_BYTES}`, hint: 'Move logic into a view and select from it.' } : undefined;
  },
]);

export const table = text([
  notBlank,
  plainName('table name', 255),
  (v) => {
    const dot = v.lastIndexOf('.');
    if (dot < 0) return undefined;
    return { message: `${show(v)} contains a "." (a qualified name?)`, hint: `Put the database in athena.database and write table: ${v.slice(dot + 1)}.` };
  },
]);

/** `s3://bucket` or `s3://bucket/prefix…` with a valid bucket name (S3 bucket naming rules: 3–63 of a-z 0-9 . -). */
export const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/.*)?$/;

export const outputLocation = text([
  (v) => {
    if (S3_URI.test(v)) return undefined;
    const bucketOnly = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/.*)?$/.test(v);
    if (bucketOnly) return { message: `${show(v)} has no s3:// scheme`, hint: `Write output_location: s3://${v}${v.endsWith('/') ? '' : '/'}.` };
    const other = /^(?:s3a|s3n|S3|https?):\/\//.exec(v);
    if (other) return { message: `${show(v)} must start with s3://`, hint: 'Write it as s3://bucket/prefix/ (Athena takes s3:// URIs only).' };
    return { message: `${show(v)} is not an s3:// URI`, hint: 'Use an S3 location the role can write, e.g. output_location: s3://my-athena-results/athena-to-bigquery/.' };
  },
]);

// --- gcp / bigquery ---------------------------------------------------------------------------------

/**
 * Project ids: 6–30 characters, lower-case letters, digits and hyphens, starting with a letter and not
 * ending with a hyphen; legacy domain-scoped ids carry a `domain:` prefix (Resource Manager docs).
 */
export const GCP_PROJECT_ID = /^(?:[a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export const projectId = text([
  notBlank,
  (v) => {
    if (GCP_PROJECT_ID.test(v)) return undefined;
    if (/^\d+$/.test(v)) return { message: `${show(v)} is a project number; this key takes the project id`, hint: `Find the id with: gcloud projects describe ${v} --format='value(projectId)'.` };
    if (/[A-Z ]/.test(v)) return { message: `${show(v)} looks like a project display name`, hint: 'Use the project id (lower case, e.g. my-project), shown by: gcloud projects list.' };
    return { message: `${show(v)} is not a Google Cloud project id`, hint: 'Project ids have 6–30 lower-case letters, digits or hyphens and start with a letter, e.g. project_id: my-project.' };
  },
]);

/** Dataset ids: letters, digits and underscores, at most 1,024 characters (BigQuery docs, "Name datasets"). */
export const BQ_DATASET_ID = /^[A-Za-z0-9_]{1,1024}$/;

export const datasetId = text([
  notBlank,
  (v) => {
    if (BQ_DATASET_ID.test(v)) return undefined;
    const qualified = /^(?:[^.:]+[.:])+([A-Za-z0-9_]+)$/.exec(v);
    if (qualified) return { message: `${show(v)} is a qualified name`, hint: `Write dataset_id: ${qualified[1]}; the project comes from gcp.project_id.` };
    if (v.includes('-')) return { message: `${show(v)} contains "-"`, hint: `Dataset ids allow letters, digits and underscores only: dataset_id: ${v.replace(/-/g, '_')} (and create the dataset under that name).` };
    return { message: `${show(v)} is not a BigQuery dataset id`, hint: 'Dataset ids use letters, digits and underscores only, e.g. dataset_id: my_dataset.' };
  },
]);

/**
 * Table ids: up to 1,024 UTF-8 bytes of Unicode letters, marks, numbers, connectors (incl. `_`), dashes
 * and spaces (BigQuery docs, "Table naming").
 */
export const BQ_TABLE_ID = /^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}]+$/u;

export const tableId = text([
  notBlank,
  (v) => {
    if (v.includes('$')) return { message: `${show(v)} has a partition decorator`, hint: 'Name the table only; partition decorators are not supported here (use write_mode for truncate/append).' };
    const dot = v.lastIndexOf('.');
    if (dot >= 0) return { message: `${show(v)} is a qualified name`, hint: `Write table_id: ${v.slice(dot + 1)} and put the dataset in bigquery.dataset_id.` };
    if (!BQ_TABLE_ID.test(v)) return { message: `${show(v)} has characters BigQuery table ids cannot have`, hint: 'Table ids use letters, digits, "_", "-" and spaces, e.g. table_id: my_table.' };
    const bytes = utf8.encode(v).length;
    if (bytes > 1024) return { message: `is ${bytes} bytes; BigQuery table ids have at most 1,024`, hint: 'Use a shorter table id.' };
    return undefined;
  },
]);

/** Multi-regions `US`/`EU` (any case) or a region such as `us-central1`, `europe-west12`. */
export const BQ_LOCATION = /^(?:[Uu][Ss]|[Ee][Uu]|[a-z]+-[a-z]+\d+)$/;

export const location = text([
  (v) => (BQ_LOCATION.test(v) ? undefined : { message: `${show(v)} is not a BigQuery location`, hint: 'Use the dataset location: US, EU or a region such as us-central1 (bq show --format=prettyjson DATASET shows it).' }),
]);

/**
 * `gs://bucket` or `gs://bucket/prefix…`: bucket names are 3–222 of a-z 0-9 . _ - starting and ending with a
 * letter or digit (GCS docs, "Bucket names").
 */
export const GCS_URI = /^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](?:\/.*)?$/;

export const stagingUri = text([
  (v) => {
    if (GCS_URI.test(v)) return undefined;
    if (/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](?:\/.*)?$/.test(v)) return { message: `${show(v)} has no gs:// scheme`, hint: `Write staging_uri: gs://${v}${v.endsWith('/') ? '' : '/'}.` };
    if (/^(?:https?|s3):\/\//i.test(v)) return { message: `${show(v)} must start with gs://`, hint: 'Write it as gs://bucket/prefix/ (a Cloud Storage location the function may write and delete in).' };
    return { message: `${show(v)} is not a gs:// URI`, hint: 'Use a Cloud Storage location, e.g. staging_uri: gs://my-staging-bucket/athena-to-bigquery/.' };
  },
]);

/** Job names: they appear in URLs, logs and BigQuery job ids, so keep them to a safe alphabet. */
export const JOB_NAME = /^[a-z0-9_-]{1,63}$/;
