// Errors the command line reports as a plain message (exit status 1) rather than a stack trace.

import {
  AxesError,
  ClassifierFormatError,
  ExportError,
  ForestError,
  IlastikProjectError,
  ImageFormatError,
  InvalidScaleError,
  LabelError,
} from "@sylva/core";
import { ZodError } from "zod";
import { TokenError } from "../auth/token.js";
import { DatasetNotFoundError } from "../datasets/catalog.js";
import { ImportError } from "../datasets/import.js";
import { MetadataError } from "../db/errors.js";
import { ExportWriteError } from "../export/write.js";
import { InputError } from "../io/errors.js";
import { InvalidKeyError, StoreConfigError, StoreError } from "../storage/errors.js";

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
    e instanceof ClassifierFormatError ||
    e instanceof ExportError ||
    e instanceof ExportWriteError ||
    e instanceof ForestError ||
    e instanceof IlastikProjectError ||
    e instanceof LabelError ||
    e instanceof ZodError ||
    e instanceof DatasetNotFoundError ||
    e instanceof ImportError ||
    e instanceof StoreError ||
    e instanceof StoreConfigError ||
    e instanceof InvalidKeyError ||
    e instanceof MetadataError ||
    e instanceof TokenError
  );
}

export function describeError(e: Error): string {
  if (e instanceof ZodError)
    return e.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");
  return e.message;
}
