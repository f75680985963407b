// The error every image decoder and encoder throws: it names the file (or other source) and the problem,
// so a message like `cells.png: not a PNG file (no PNG signature)` can go straight to the user.

/** What a decoder calls its input in messages when the caller gave no name. */
export const UNNAMED_SOURCE = "image data";

export class ImageFormatError extends Error {
  override readonly name = "ImageFormatError";
  /** The file or source the problem is about. */
  readonly source: string;
  /** The problem alone, without the source. */
  readonly problem: string;

  constructor(source: string | undefined, problem: string, options?: { cause?: unknown }) {
    const src = source ?? UNNAMED_SOURCE;
    super(`${src}: ${problem}`, options);
    this.source = src;
    this.problem = problem;
  }
}

/** The message of anything thrown, for wrapping a library's error into an ImageFormatError. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
