/** A file's size as people read it: 512 B, 1.5 KB, 12.3 MB. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * When a refused action may be tried again, as a clock time: with seconds
 * when that is within two minutes.
 */
export function retryTime(at: Date, now = new Date()): string {
  const soon = at.getTime() - now.getTime() < 120_000;
  return at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', ...(soon ? { second: '2-digit' } : {}) });
}
