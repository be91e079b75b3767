import { type MetricDefinition, type Prio3Value, prio3Kind } from '@candor/protocol';
import { prio3For, shareSizes } from '@candor/protocol/prio3';

const sizes = new Map<string, ReturnType<typeof shareSizes>>();

/**
 * What is wrong with a secret-shared value's shares, checked at upload so a malformed one gets a clear answer
 * instead of vanishing at aggregation: the public and leader shares must have their circuit's exact lengths (the
 * helper's share is sealed to the helper; only the helper can check it). Null when they do.
 */
export function prio3ValueProblem(def: MetricDefinition, value: Prio3Value): { field: string; message: string } | null {
  const kind = prio3Kind(def);
  const id = JSON.stringify(kind);
  let expected = sizes.get(id);
  if (!expected) {
    expected = shareSizes(prio3For(kind));
    sizes.set(id, expected);
  }
  for (const field of ['public', 'leader'] as const) {
    const length = Buffer.from(value[field], 'base64url').length;
    if (length !== expected[field]) {
      return { field, message: `${length} bytes, but this metric's ${field} share has ${expected[field]}` };
    }
  }
  return null;
}
