// The error the `sylva` command line reports when an input image cannot be found, read or decoded:
// its message names the path and the problem, ready to print.

export class InputError extends Error {
  override readonly name = "InputError";
  /** The file or folder the problem is about. */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.path = path;
  }
}
