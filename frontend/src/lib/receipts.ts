import type { Receipt } from './api/types';

/** The window's title: the app's name, with the total unread when there is any ("Doorstep (3)"). */
export function windowTitle(unread: number): string {
  return unread > 0 ? `Doorstep (${unread})` : 'Doorstep';
}

/** The receipts of a thread by message seq. */
export function receiptsBySeq(receipts: Receipt[] | null | undefined): Map<number, Receipt> {
  return new Map((receipts ?? []).map((r) => [r.seq, r]));
}
