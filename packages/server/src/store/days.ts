const DAY_MS = 86_400_000;
/** A faked old day must not make the release walk back forever. */
const MAX_RELEASE_BACKLOG_DAYS = 400;

/**
 * The days from `first` through `through` (YYYY-MM-DD) not yet released, oldest first. Every day from the first
 * one on is released, with data or without: a day left out would say nobody reported on it. Both stores use it.
 */
export function daysToRelease(first: string, through: string, released: ReadonlySet<string>): string[] {
  const end = Date.parse(`${through}T00:00:00Z`);
  const start = Math.max(Date.parse(`${first}T00:00:00Z`), end - MAX_RELEASE_BACKLOG_DAYS * DAY_MS);
  const days: string[] = [];
  for (let t = start; t <= end; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (!released.has(day)) days.push(day);
  }
  return days;
}
