// Errors the command line reports as a plain message (exit status 1) rather than a stack trace.

import { AxesError, ImageFormatError, InvalidScaleError } from "@sylva/core";
import { ZodError } from "zod";
import { InputError } from "../io/errors.js";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function isUserError(e: unknown): e is Error {
  return (
    e instanceof UsageError ||
    e instanceof InputError ||
    e instanceof ImageFormatError ||
    e instanceof InvalidScaleError ||
    e instanceof AxesError ||
    e instanceof ZodError
  );
}

export function describeError(e: Error): string {
  if (e instanceof ZodError)
    return e.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");
  return e.message;
}
