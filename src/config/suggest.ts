/**
 * "Did you mean …?" for config keys and enum values. A typo must never be ignored (DESIGN §2), and the
 * error is only useful when it names the key the user meant.
 */

/**
 * Optimal string alignment distance: Levenshtein plus adjacent transpositions (`reigon` → `region` is one
 * edit, not two), which is the commonest typing slip.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** `accountId`, `Account-ID` and `account_id` all normalize to `account_id`. */
function normalize(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[-\s.]+/g, '_');
}

/**
 * The candidate the user most likely meant, or undefined when none is close. Rules, in order: same key
 * up to case/separators (`accountId`); small edit distance (≤1 for short words, ≤2 up to 8 characters,
 * else ≤3); one contains the other (`iam_role` → `iam_role_name`, `query_string` → `query`).
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const wanted = normalize(input);
  if (wanted.length === 0) return undefined;
  const exact = candidates.find((c) => normalize(c) === wanted);
  if (exact !== undefined) return exact;
  const limit = wanted.length <= 4 ? 1 : wanted.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normalize(candidate));
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined) return best;
  if (wanted.length < 4) return undefined;
  return candidates.find((c) => {
    const n = normalize(c);
    return n.length >= 4 && (n.includes(wanted) || wanted.includes(n));
  });
}
