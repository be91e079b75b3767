import type { Registry, Report } from '@candor/protocol';
import { flattenReport } from '../store/rows.js';
import type { DedupeKey, ReportSink, ReportStore } from '../store/types.js';

/** The default sink: flatten reports and append them to the store; resolves once the store has them. */
export class StoreSink implements ReportSink {
  constructor(
    private readonly store: ReportStore,
    private readonly registry: Registry,
  ) {}

  /** Dedupe keys go to the store with the rows, so a store that keeps them writes both in one transaction. */
  async accept(reports: Report[], dedupe?: readonly DedupeKey[]): Promise<void> {
    const rows = [];
    for (const report of reports) rows.push(...flattenReport(report, this.registry));
    await this.store.append(rows, dedupe);
  }

  async close(): Promise<void> {}
}
