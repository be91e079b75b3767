import type { Report } from '@candor/protocol';
import type { DedupeKey, ReportSink } from '../store/types.js';
import type { Prio3Leader } from './leader.js';

/**
 * The leader's sink: the secret-shared values are kept for aggregation first, then the plain rows stored. A
 * failure between the two leaves the upload unanswered, so the device retries; the shares are kept once per
 * report id and metric, so the retry adds nothing twice.
 */
export class Prio3Sink implements ReportSink {
  constructor(
    private readonly leader: Prio3Leader,
    private readonly inner: ReportSink,
  ) {}

  async accept(reports: Report[], dedupe?: readonly DedupeKey[]): Promise<void> {
    await this.leader.accept(reports);
    await this.inner.accept(reports, dedupe);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
