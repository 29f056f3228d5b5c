/** A file's size as people read it: 512 B, 1.5 KB, 12.3 MB. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * An amount in cents as people read it, in the organisation's currency
 * (ISO 4217, as the server says it): "$1,250.00". With no currency, or a
 * code this system does not know, the plain amount: "1,250.00".
 */
export function money(cents: number, currency: string, locale?: string): string {
  const amount = cents / 100;
  if (currency) {
    try {
      return amount.toLocaleString(locale, { style: 'currency', currency });
    } catch {
      // RangeError: not a currency code; the plain amount below.
    }
  }
  return amount.toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/**
 * When a refused action may be tried again, as a clock time: with seconds
 * when that is within two minutes.
 */
export function retryTime(at: Date, now = new Date()): string {
  const soon = at.getTime() - now.getTime() < 120_000;
  return at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', ...(soon ? { second: '2-digit' } : {}) });
}

// One formatter each, made once: toLocaleDateString and toLocaleTimeString
// with options set one up on every call, which WebKit's JavaScriptCore does
// not cache, and a thread's page formats a hundred times.
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** Formats a day for separators: Today, Yesterday, or the date. */
export function dayLabel(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const day = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const diff = Math.round((day(now) - day(d)) / 86_400_000);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Yesterday';
  return dayFormat.format(d);
}

/** Short time of a message. */
export function timeLabel(iso: string): string {
  return timeFormat.format(new Date(iso));
}
