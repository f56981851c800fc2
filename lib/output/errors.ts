/**
 * Synth cannot write its output: an output folder it must not touch, a file in the way, a lock
 * held by another run, a folder it may not write. The message says what and how to proceed.
 */
export class OutputError extends Error {
  /**
   * @param exitCode 2 when the command line named a folder synth refuses (nothing was touched),
   *   1 when writing failed
   */
  constructor(
    message: string,
    public readonly exitCode: 1 | 2 = 1,
    /** The new output was committed (the journal exists): the folders are not "left unchanged". */
    public readonly committed = false,
  ) {
    super(message);
    this.name = 'OutputError';
  }
}
