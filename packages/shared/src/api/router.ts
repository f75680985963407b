// The API contract: the tRPC router every client types against (`AppRouter`) and the compute service
// serves with its own `ApiServices` in the context. Each procedure validates its input with zod, checks
// the caller's project role with `can` (roles.ts, the one permission table), then delegates; service
// errors (`ApiError`) become tRPC errors with the same code.

import { initTRPC, TRPCError } from "@trpc/server";
import { z } from "zod";
import { labelClassSchema } from "../schema/classes.js";
import { datasetIdSchema, importOptionsSchema, stackAlongSchema } from "../schema/dataset.js";
import { exportParamsSchema } from "../schema/export.js";
import { featureSelectionSchema } from "../schema/features.js";
import { exportJobIdSchema } from "../schema/jobs.js";
import { projectIdSchema, projectNameSchema } from "../schema/project.js";
import { can, type Permission, roleSchema, userNameSchema } from "../schema/roles.js";
import { ApiError } from "./errors.js";
import type { ApiContext } from "./types.js";

const t = initTRPC.context<ApiContext>().create({
  errorFormatter({ shape }) {
    return shape;
  },
});

/** Maps the services' ApiError to a TRPCError of the same code; anything else stays an internal error. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof ApiError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  return result;
});

/** Signed-in callers only. */
const authed = t.procedure.use(mapErrors).use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first: no valid token" });
  return next({ ctx: { user: ctx.user } });
});

const projectInput = z.object({ projectId: projectIdSchema });

/** A procedure on one project, for callers whose role there grants `permission`. */
function inProject(permission: Permission) {
  return authed.input(projectInput).use(async ({ ctx, input, next }) => {
    const role = await ctx.services.roleOf(ctx.user.name, input.projectId);
    // A project the caller has no role in is reported as missing: ids are not probed for existence.
    if (role === undefined)
      throw new TRPCError({ code: "NOT_FOUND", message: `project ${input.projectId} not found` });
    if (!can(role, permission))
      throw new TRPCError({ code: "FORBIDDEN", message: `a ${role} may not do this (needs ${permission})` });
    return next({ ctx: { role } });
  });
}

const sourcesSchema = z.array(z.string().min(1).max(4096)).min(1).max(10_000);
const classIdSchema = z.number().int().min(1).max(99);

export const appRouter = t.router({
  /** The signed-in caller. */
  me: authed.query(({ ctx }) => ctx.user),
  projects: t.router({
    list: authed.query(({ ctx }) => ctx.services.projects.list(ctx.user.name)),
    create: authed
      .input(z.object({ name: projectNameSchema }))
      .mutation(({ ctx, input }) => ctx.services.projects.create(ctx.user.name, input.name)),
    get: inProject("project.read").query(({ ctx, input }) =>
      ctx.services.projects.get(ctx.user.name, input.projectId),
    ),
    rename: inProject("members.manage")
      .input(z.object({ name: projectNameSchema }))
      .mutation(({ ctx, input }) => ctx.services.projects.rename(input.projectId, input.name)),
  }),
  members: t.router({
    list: inProject("project.read").query(({ ctx, input }) => ctx.services.members.list(input.projectId)),
    set: inProject("members.manage")
      .input(z.object({ user: userNameSchema, role: roleSchema }))
      .mutation(({ ctx, input }) => ctx.services.members.set(input.projectId, input.user, input.role)),
    remove: inProject("members.manage")
      .input(z.object({ user: userNameSchema }))
      .mutation(({ ctx, input }) => ctx.services.members.remove(input.projectId, input.user)),
  }),
  datasets: t.router({
    list: inProject("project.read").query(({ ctx, input }) => ctx.services.datasets.list(input.projectId)),
    probe: inProject("datasets.import")
      .input(
        z.object({
          sources: sourcesSchema,
          axes: importOptionsSchema.shape.axes,
          stackAlong: stackAlongSchema.optional(),
        }),
      )
      .query(({ ctx, input }) =>
        ctx.services.datasets.probe(input.sources, { axes: input.axes, stackAlong: input.stackAlong }),
      ),
    import: inProject("datasets.import")
      .input(z.object({ sources: sourcesSchema, options: importOptionsSchema }))
      .mutation(({ ctx, input }) =>
        ctx.services.datasets.import(input.projectId, ctx.user.name, input.sources, input.options),
      ),
    importJobs: inProject("project.read").query(({ ctx, input }) =>
      ctx.services.datasets.importJobs(input.projectId),
    ),
    attach: inProject("datasets.import")
      .input(z.object({ datasetId: datasetIdSchema }))
      .mutation(({ ctx, input }) => ctx.services.datasets.attach(input.projectId, input.datasetId)),
    detach: inProject("datasets.import")
      .input(z.object({ datasetId: datasetIdSchema }))
      .mutation(({ ctx, input }) => ctx.services.datasets.detach(input.projectId, input.datasetId)),
  }),
  classes: t.router({
    list: inProject("project.read").query(({ ctx, input }) => ctx.services.classes.list(input.projectId)),
    add: inProject("labels.write")
      .input(z.object({ init: labelClassSchema.partial().default({}) }))
      .mutation(({ ctx, input }) => ctx.services.classes.add(input.projectId, input.init)),
    update: inProject("labels.write")
      .input(z.object({ id: classIdSchema, change: labelClassSchema.partial() }))
      .mutation(({ ctx, input }) => ctx.services.classes.update(input.projectId, input.id, input.change)),
    remove: inProject("labels.write")
      .input(z.object({ id: classIdSchema }))
      .mutation(({ ctx, input }) => ctx.services.classes.remove(input.projectId, input.id)),
  }),
  features: t.router({
    get: inProject("project.read").query(({ ctx, input }) => ctx.services.features.get(input.projectId)),
    set: inProject("classifier.train")
      .input(z.object({ selection: featureSelectionSchema }))
      .mutation(({ ctx, input }) => ctx.services.features.set(input.projectId, input.selection)),
  }),
  training: t.router({
    state: inProject("project.read").query(({ ctx, input }) => ctx.services.training.state(input.projectId)),
  }),
  exports: t.router({
    create: inProject("export.run")
      .input(z.object({ params: exportParamsSchema }))
      .mutation(({ ctx, input }) =>
        ctx.services.exports.create(input.projectId, ctx.user.name, input.params),
      ),
    list: inProject("project.read").query(({ ctx, input }) => ctx.services.exports.list(input.projectId)),
    get: inProject("project.read")
      .input(z.object({ jobId: exportJobIdSchema }))
      .query(({ ctx, input }) => ctx.services.exports.get(input.projectId, input.jobId)),
  }),
});

export type AppRouter = typeof appRouter;
