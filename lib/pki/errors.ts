/**
 * Errors of the PKI command.
 *
 * Like `ConfigError` (lib/config/errors.ts), a {@link PkiError}'s message is complete and meant for the user (what is
 * wrong, the value, what is expected, the fix): the CLI prints it as is, without a stack trace.
 */

/** A PKI operation that cannot go on: a refusal, a missing or broken file, a certificate that does not fit. */
export class PkiError extends Error {
  /** @param message lowercase, no trailing period, naming the file or field and what is expected */
  constructor(message: string) {
    super(message);
    this.name = 'PkiError';
  }
}
