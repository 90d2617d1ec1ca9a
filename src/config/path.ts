/** Key paths inside the parsed YAML, and their dotted form for messages (`jobs[1].bigquery.table_id`). */

export type PathSegment = string | number;
export type KeyPath = readonly PathSegment[];

/** A problem before it is placed in the file: raw path, message, hint. */
export interface RawIssue {
  at: KeyPath;
  message: string;
  hint: string;
  /** A required key that is absent. */
  missing?: boolean;
  /**
   * The key this issue is really about: `iam_rol_name` (unknown) covers `aws.iam_role_name`, so the
   * "missing" issues for that key (and keys under it) are dropped instead of reporting one typo twice.
   */
  covers?: KeyPath;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['jobs', 1, 'bigquery', 'table_id']` → `jobs[1].bigquery.table_id`; odd keys are quoted: `aws["my key"]`. */
export function formatPath(at: KeyPath): string {
  let out = '';
  for (const segment of at) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `at` and whether its key exists (a YAML `key:` with no value exists and is null). */
export function lookup(root: unknown, at: KeyPath): { present: boolean; value: unknown } {
  let node: unknown = root;
  for (const segment of at) {
    if (typeof segment === 'number') {
      if (!Array.isArray(node) || segment >= node.length) return { present: false, value: undefined };
      node = node[segment];
    } else {
      if (!isRecord(node) || !Object.hasOwn(node, segment)) return { present: false, value: undefined };
      node = node[segment];
    }
  }
  return { present: true, value: node };
}
