/**
 * YAML text → plain value, syntax errors with line and column, and a way to find where a key path sits
 * in the file so every config issue can say "(line N)".
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { KeyPath, RawIssue } from './path.ts';

export interface Position {
  line: number;
  col: number;
  /** Character offset, for sorting issues in file order. */
  offset: number;
}

export interface ReadYaml {
  value: unknown;
  /** Syntax problems; when non-empty, `value` must not be trusted. */
  issues: RawIssue[];
  /** Where `at` is in the file: the key itself, else its nearest existing parent. */
  locate(at: KeyPath): Position | undefined;
}

/** Anchors/aliases are allowed, but a config has no business expanding into a huge tree ("billion laughs"). */
const MAX_ALIAS_COUNT = 100;

const SYNTAX_HINTS: Record<string, string> = {
  DUPLICATE_KEY: 'Remove one of the two keys: YAML would silently keep only the last one.',
  TAB_AS_INDENT: 'Indent with spaces, not tabs.',
  BAD_INDENT: 'Check the indentation: keys of one section line up, nested keys are indented further.',
  MULTIPLE_DOCS: 'Keep one YAML document in the file (remove the extra "---").',
  MISSING_CHAR: 'Close the bracket or quote that was opened.',
  UNEXPECTED_TOKEN: 'Check the line for a stray character; quote values that contain ": " or start with a special character.',
  BLOCK_AS_IMPLICIT_KEY: 'Check the indentation and the ":" after each key.',
  MULTILINE_IMPLICIT_KEY: 'A key must fit on one line: check for a missing ":" or quote on the line above.',
};

/** Parses `text`; never throws. */
export function readYaml(text: string): ReadYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter, uniqueKeys: true });
  const positionAt = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col, offset };
  };
  const locate = (at: KeyPath): Position | undefined => {
    const offset = offsetOf(doc, at);
    return offset === undefined ? undefined : positionAt(offset);
  };

  const issues: RawIssue[] = doc.errors.map((error) => {
    const where = error.linePos?.[0];
    // With prettyErrors the message ends in a source excerpt after ":\n\n"; keep the first line only.
    const headline = (error.message.split('\n')[0] ?? error.message).replace(/:$/, '');
    const withPlace = where === undefined || headline.includes(' at line ') ? headline : `${headline} at line ${where.line}, column ${where.col}`;
    return {
      at: [],
      message: `YAML syntax error: ${withPlace}`,
      hint: SYNTAX_HINTS[error.code] ?? 'Fix the YAML syntax at that line (indentation, ":" after keys, matching quotes and brackets).',
    };
  });
  if (issues.length > 0) return { value: undefined, issues, locate };

  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), issues, locate };
  } catch (error) {
    // toJS throws for an alias without anchor (`*x` before `&x`) or too many alias expansions.
    const reason = error instanceof Error ? error.message : 'unreadable value';
    return {
      value: undefined,
      issues: [{ at: [], message: `YAML error: ${reason}`, hint: 'Define each anchor (&name) before its alias (*name), or write the values out.' }],
      locate,
    };
  }
}

/** Offset of the deepest node of `at` that exists; undefined when not even its first key does. */
function offsetOf(doc: Document, at: KeyPath): number | undefined {
  let node: unknown = doc.contents;
  let best: number | undefined;
  for (const segment of at) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) return best;
      best = rangeStart(pair.key) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) return best;
      best = rangeStart(item) ?? best;
      node = item;
    } else {
      return best;
    }
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
