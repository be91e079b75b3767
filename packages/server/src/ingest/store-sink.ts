import type { Registry, Report } from '@candor/protocol';
import { flattenReport } from '../store/rows.js';
import type { ReportSink, ReportStore } from '../store/types.js';

/** The default sink: flatten reports and append them to the store; resolves once the store has them. */
export class StoreSink implements ReportSink {
  constructor(
    private readonly store: ReportStore,
    private readonly registry: Registry,
  ) {}

  async accept(reports: Report[]): Promise<void> {
    const rows = [];
    for (const report of reports) rows.push(...flattenReport(report, this.registry));
    await this.store.append(rows);
  }

  async close(): Promise<void> {}
}
