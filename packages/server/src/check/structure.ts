/**
 * Structural limits on an opened upload. JSON.parse itself is iterative, but later walks recurse, so nesting deeper
 * than any real report is refused by the first walk (the PII firewall's, firewall/firewall.ts) before any other; the
 * shape check run before it reads only the schema's own structure. A real batch nests seven containers deep: batch,
 * reports, report, metrics, a metric's sites, a site's distribution, its buckets.
 */
export const MAX_JSON_DEPTH = 8;

/**
 * The path of the first container nested deeper than `maxDepth`, or of the first own key `__proto__` (which
 * JSON.parse keeps as a plain key, but which assignment-based code would turn into a prototype), or null.
 * Iterative, so hostile input cannot exhaust the stack.
 */
export function findStructureProblem(
  value: unknown,
  maxDepth = MAX_JSON_DEPTH,
): { problem: 'too-deep' | 'forbidden-key'; path: string } | null {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: '' }];
  while (stack.length) {
    const item = stack.pop() as (typeof stack)[number];
    if (typeof item.value !== 'object' || item.value === null) continue;
    const depth = item.depth + 1;
    if (depth > maxDepth) return { problem: 'too-deep', path: item.path };
    if (Array.isArray(item.value)) {
      for (let i = 0; i < item.value.length; i++) {
        stack.push({ value: item.value[i], depth, path: item.path ? `${item.path}.${i}` : String(i) });
      }
      continue;
    }
    for (const key of Object.keys(item.value)) {
      if (key === '__proto__') return { problem: 'forbidden-key', path: item.path ? `${item.path}.(key)` : '(key)' };
      const inner = (item.value as Record<string, unknown>)[key];
      // Paths name keys only where they are structure; data keys (labels, sites) are not echoed.
      if (typeof inner === 'object' && inner !== null) stack.push({ value: inner, depth, path: item.path || key });
    }
  }
  return null;
}

/** A cheap pre-test on the text: only then can a parsed key be `__proto__` (plain or written with escapes). */
export function mayHoldForbiddenKey(text: string): boolean {
  return text.includes('__proto__') || text.includes('\\u');
}
