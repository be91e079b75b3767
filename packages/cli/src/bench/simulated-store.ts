// Simulated history for the query and dashboard benchmarks: device-day reports flattened exactly as ingest does.
import { candorBrowserRegistry } from '@candor/protocol';
import { type DuckDbStore, flattenReport } from '@candor/server';
import { sampleReport, seededRandom } from '@candor/server/testing';

export interface SimulatedData {
  /** Device-day reports to simulate, spread evenly over the days. */
  reports: number;
  days: number;
  /** The last UTC day, YYYY-MM-DD. */
  endDay: string;
}

/**
 * Loads `reports` device-day reports over `days` days ending at `endDay`, flattened by ingest's own flattenReport
 * and appended through the store, so the rows are exactly what the store holds for open days.
 */
export async function loadSimulatedReports(
  store: DuckDbStore,
  { reports, days, endDay }: SimulatedData,
): Promise<void> {
  const random = seededRandom(2026);
  const end = Date.parse(`${endDay}T00:00:00Z`);
  const perDay = Math.ceil(reports / days);
  for (let d = 0; d < days; d++) {
    const day = new Date(end - (days - 1 - d) * 86_400_000).toISOString().slice(0, 10);
    for (let start = 0; start < perDay; start += 1000) {
      const rows = [];
      for (let i = start; i < Math.min(perDay, start + 1000); i++) {
        rows.push(...flattenReport(sampleReport(random, { day }), candorBrowserRegistry));
      }
      await store.append(rows);
    }
  }
}
