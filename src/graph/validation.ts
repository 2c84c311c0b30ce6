import type { Hook } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import type { BodyIssue } from "../objects/records";
import { bodyIssues, REQUIRED } from "../schemas/common";
import { GraphError, quoted } from "./errors";

const MAX_ISSUES = 5;

/** A path into a body as messages write it: `historyItems[0].startedDateTime`. */
export const describePath = (path: readonly PropertyKey[]) =>
  path.reduce<string>((text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), "");

/** One sentence per problem, each naming the property and what was expected. */
export function describeIssues(issues: readonly BodyIssue[], subject: string): string {
  const sentences = issues.flatMap((issue) => {
    const where = describePath(issue.path);
    if (issue.code === "unrecognized_keys") {
      return (issue.keys ?? []).map((key) => `The property ${quoted(describePath([...issue.path, key]))} ${issue.message}.`);
    }
    if (!where) return [`The ${subject} is not valid: ${issue.message}.`];
    if (issue.message === REQUIRED) return [`The property ${quoted(where)} is required.`];
    return [`Invalid value for ${quoted(where)}: ${issue.message}.`];
  });
  const shown = sentences.slice(0, MAX_ISSUES).join(" ");
  return sentences.length > MAX_ISSUES ? `${shown} (${sentences.length - MAX_ISSUES} more problems not shown.)` : shown;
}

/**
 * The problems with a request's query options: the query schemas word each as a whole sentence
 * naming the option; an option the route does not take is named with the ones it does.
 */
function describeQueryIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .flatMap((issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => `The query option ${quoted(key)} is not supported (${issue.message}).`)
        : [issue.message],
    )
    .slice(0, MAX_ISSUES)
    .join(" ");
}

/** The validators' one failure path: a 400 in Graph's envelope, never the validator's own body. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  if (result.target === "json") throw new GraphError(400, "BadRequest", describeIssues(bodyIssues(result.error.issues), "request body"));
  if (result.target === "query") throw new GraphError(400, "invalidRequest", describeQueryIssues(result.error.issues));
  throw new GraphError(400, "invalidRequest", describeIssues(bodyIssues(result.error.issues), "URL"));
};
