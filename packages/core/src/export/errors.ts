// The error every export step throws on a bad option or an impossible combination (a cutout out of bounds,
// an unknown filename placeholder, a float volume for PNG, ...): its message says what was asked and why it
// cannot be done, ready for the command line to print.

export class ExportError extends Error {
  override readonly name = "ExportError";
}
