// @ts-check
// A Storage held in memory, standing in for the tab's sessionStorage
// (which Node has not); `full` makes every write fail as a full storage does.

/** @implements {Storage} */
export class MemoryStorage {
  /** @type {Map<string, string>} */
  #items = new Map();
  full = false;

  get length() {
    return this.#items.size;
  }

  /** @param {number} i */
  key(i) {
    return [...this.#items.keys()][i] ?? null;
  }

  /** @param {string} k */
  getItem(k) {
    return this.#items.get(k) ?? null;
  }

  /** @param {string} k @param {string} v */
  setItem(k, v) {
    if (this.full) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    this.#items.set(k, String(v));
  }

  /** @param {string} k */
  removeItem(k) {
    this.#items.delete(k);
  }

  clear() {
    this.#items.clear();
  }
}
