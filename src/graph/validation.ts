import type { Hook } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { REQUIRED } from "../schemas/common";
import { GraphError } from "./errors";

const MAX_ISSUES = 5;

const describePath = (path: PropertyKey[]) =>
  path.reduce<string>((text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), "");

/** One sentence per problem, each naming the property and what was expected. */
function describeIssues(issues: z.core.$ZodIssue[], subject: string): string {
  const sentences = issues.flatMap((issue) => {
    const where = describePath(issue.path);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => `The property '${describePath([...issue.path, key])}' ${issue.message}.`);
    }
    if (!where) return [`The ${subject} is not valid: ${issue.message}.`];
    if (issue.message === REQUIRED) return [`The property '${where}' is required.`];
    return [`Invalid value for '${where}': ${issue.message}.`];
  });
  const shown = sentences.slice(0, MAX_ISSUES).join(" ");
  return sentences.length > MAX_ISSUES ? `${shown} (${sentences.length - MAX_ISSUES} more problems not shown.)` : shown;
}

/** The validators' one failure path: a 400 in Graph's envelope, never the validator's own body. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  if (result.target === "json") throw new GraphError(400, "BadRequest", describeIssues(result.error.issues, "request body"));
  const subject = result.target === "query" ? "query" : "URL";
  throw new GraphError(400, "invalidRequest", describeIssues(result.error.issues, subject));
};
