// `candor capture`: the command lives in @candor/capture so it is tested with the proxy it drives.
import { runCapture } from '@candor/capture';

export async function run(argv: string[]): Promise<number> {
  return runCapture(argv);
}
