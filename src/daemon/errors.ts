/**
 * The daemon's start-up failure.
 * @module
 */

/** Raised when the daemon cannot start; the message is one line. */
export class DaemonError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DaemonError";
  }
}
