// `candor audit FILE...`: the command lives in @candor/audit so it is tested with the auditor it drives.
import { runAudit } from '@candor/audit';

export async function run(argv: string[]): Promise<number> {
  return runAudit(argv);
}
