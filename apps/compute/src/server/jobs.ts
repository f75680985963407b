// Background jobs of the service (imports today): an in-process registry that runs each job once,
// tracks its progress for the API's polling, and keeps finished jobs for a while so clients can see
// how they ended. Job ids are "<kind>_" + 12 random characters.

import { randomId } from "@sylva/shared";
import type { JobStatus } from "@sylva/shared/api";

export interface JobRecord<R> {
  readonly id: string;
  readonly owner: string;
  status: JobStatus;
  progress: number;
  result?: R;
  error?: string;
  readonly controller: AbortController;
  readonly createdAt: number;
}

export interface JobContext {
  readonly signal: AbortSignal;
  progress(fraction: number): void;
}

/** Runs jobs of one kind; `owner` groups them (a project id) for listing. */
export class JobRegistry<R> {
  private readonly jobs = new Map<string, JobRecord<R>>();

  constructor(
    private readonly kind: "im" | "ex",
    /** How many finished jobs to keep per owner. */
    private readonly keepFinished = 50,
  ) {}

  start(owner: string, run: (ctx: JobContext) => Promise<R>): JobRecord<R> {
    const job: JobRecord<R> = {
      id: randomId(this.kind),
      owner,
      status: "queued",
      progress: 0,
      controller: new AbortController(),
      createdAt: Date.now(),
    };
    this.jobs.set(job.id, job);
    const ctx: JobContext = {
      signal: job.controller.signal,
      progress: (f) => {
        job.progress = Math.max(0, Math.min(1, f));
      },
    };
    queueMicrotask(() => {
      job.status = "running";
      run(ctx).then(
        (result) => {
          job.result = result;
          job.progress = 1;
          job.status = "done";
          this.prune(owner);
        },
        (e: unknown) => {
          job.status = job.controller.signal.aborted ? "cancelled" : "failed";
          job.error = e instanceof Error ? e.message : String(e);
          this.prune(owner);
        },
      );
    });
    return job;
  }

  get(id: string): JobRecord<R> | undefined {
    return this.jobs.get(id);
  }

  list(owner: string): JobRecord<R>[] {
    return [...this.jobs.values()].filter((j) => j.owner === owner).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Aborts every running job and waits for none (their promises settle on their own). */
  cancelAll(): void {
    for (const j of this.jobs.values())
      if (j.status === "running" || j.status === "queued")
        j.controller.abort(new Error("the service is shutting down"));
  }

  private prune(owner: string): void {
    const finished = this.list(owner).filter((j) => j.status !== "running" && j.status !== "queued");
    for (const j of finished.slice(this.keepFinished)) this.jobs.delete(j.id);
  }
}
