import { type AboutInfo, about } from '../api/connection';
import { type AppError, toAppError } from '../api/errors';

/**
 * The About box: whether it is open, and the versions it shows, asked for
 * afresh each time it opens (the server may have been upgraded meanwhile).
 * The question is the Go side's (api/connection.about) unless one is passed
 * in, as tests do.
 */
export class AboutStore {
  open = $state(false);
  info = $state<AboutInfo | null>(null);
  problem = $state<AppError | null>(null);

  #ask: () => Promise<AboutInfo>;

  constructor(ask: () => Promise<AboutInfo> = about) {
    this.#ask = ask;
  }

  async show(): Promise<void> {
    this.open = true;
    this.problem = null;
    try {
      this.info = await this.#ask();
    } catch (err) {
      this.problem = toAppError(err);
    }
  }

  close(): void {
    this.open = false;
  }
}
