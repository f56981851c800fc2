/** One PEM block of a text: its label (`CERTIFICATE`, `PRIVATE KEY`, …) and the block itself. */
export interface PemBlock {
  readonly label: string;
  /** From `-----BEGIN` to the matching `-----END …-----`, without a final newline. */
  readonly pem: string;
}

/** A BEGIN line, the body, and the END line of the same label. */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * The PEM blocks of `text`, in order; text outside blocks (comments) is ignored. For messages
 * that need line numbers or broken blocks, lib/config/ca-bundle.ts reads files line by line.
 */
export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, pem: m[0] }));
}

/** The `CERTIFICATE` blocks of `text`, in order, each ending with a newline. */
export function certificateBlocks(text: string): string[] {
  return pemBlocks(text).filter((b) => b.label === 'CERTIFICATE').map((b) => `${b.pem}\n`);
}
