import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { writePrivateFile } from '../keys/files.js';

/**
 * The central-DP budget ledger: epsilon spent per metric per UTC day of querying. Once a metric's budget for the
 * day is spent, further queries on it are refused until the next UTC day. Persisted (when given a path) so a
 * restart does not hand out a fresh budget.
 */
export class BudgetLedger {
  private spent = new Map<string, number>();
  private day = '';

  constructor(
    readonly budgetPerDay: number,
    private readonly path?: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  today(): string {
    return this.now().toISOString().slice(0, 10);
  }

  private roll(): void {
    const today = this.today();
    if (today !== this.day) {
      this.day = today;
      this.spent = new Map();
    }
  }

  async load(): Promise<void> {
    if (!this.path) return;
    try {
      const saved = JSON.parse(await readFile(this.path, 'utf8')) as { day: string; spent: Record<string, number> };
      if (saved.day === this.today()) {
        this.day = saved.day;
        this.spent = new Map(Object.entries(saved.spent));
      }
    } catch {
      // No ledger yet.
    }
  }

  spentToday(metric: string): number {
    this.roll();
    return this.spent.get(metric) ?? 0;
  }

  /** Spends epsilon on a metric if the day's budget allows; returns false (spending nothing) otherwise. */
  async trySpend(metric: string, epsilon: number): Promise<boolean> {
    this.roll();
    const after = (this.spent.get(metric) ?? 0) + epsilon;
    if (after > this.budgetPerDay + 1e-9) return false;
    this.spent.set(metric, after);
    if (this.path) {
      await writePrivateFile(
        dirname(this.path),
        basename(this.path),
        JSON.stringify({ day: this.day, spent: Object.fromEntries(this.spent) }),
      );
    }
    return true;
  }

  entries(): [string, number][] {
    this.roll();
    return [...this.spent];
  }

  /** Seconds until the budget renews (next UTC midnight). */
  secondsUntilRenewal(): number {
    const now = this.now();
    const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
  }
}
