export async function benchAudit(_flags: string[]): Promise<void> {
  console.log('bench audit: not built yet');
}
