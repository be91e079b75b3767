/** A capture that cannot be read, with the file and the place it broke. */
export class CaptureError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly where: { byte?: number; entry?: number } = {},
  ) {
    const at = [
      where.entry !== undefined ? `log.entries[${where.entry}]` : undefined,
      where.byte !== undefined ? `byte ${where.byte}` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    super(`${file}: ${problem}${at ? ` (at ${at})` : ''}`);
    this.name = 'CaptureError';
  }
}
