// An error message quotes at most limits.quotedChars characters of what the client sent, then the
// length of the rest: a 100 KB option name, path, header, property name or batch id never comes back whole.
import { describe, expect, it } from "vitest";
import { limits } from "../src/limits";
import { appActivityPath, call, createActivity, freshAppActivityId } from "./support/api";
import { batch, errorAnswer, expectBatchAnswer, expectBatchError } from "./support/batch";
import { activityBody } from "./support/builders";
import { expectGraphError } from "./support/graph";

const LONG = 5000;

/** How a message quotes `text` of LONG characters: its start, an ellipsis and its length. */
const cut = (text: string) => `'${text.slice(0, limits.quotedChars)}…' (${text.length} characters)`;
/** The same without the quotes, as a list (a cycle of ids) shows it. */
const shortened = (text: string) => `${text.slice(0, limits.quotedChars)}… (${text.length} characters)`;

describe("an error message quotes long input briefly", () => {
  it("an unsupported query option's name", async () => {
    const name = "x".repeat(LONG);
    expectGraphError(
      await call("GET", `/v1.0/me/activities?${name}=1`),
      400,
      "invalidRequest",
      `The query option ${cut(name)} is not supported (supported here: $top, $filter, $expand, $select, $skiptoken, $count, $orderby).`,
    );
  });

  it("a path that names nothing, and a user in /users/{user} who is not the caller", async () => {
    const path = `/v1.0/${"x".repeat(LONG)}`;
    expectGraphError(await call("GET", path), 404, "itemNotFound", `No resource exists at ${cut(path)}.`);
    const user = "y".repeat(LONG);
    expectGraphError(
      await call("GET", `/v1.0/users/${user}/activities`),
      403,
      "accessDenied",
      `Access denied: you may act only on your own activities (/me, or /users/ with your own id or user principal name), not those of ${cut(user)}.`,
    );
  });

  it("a Content-Type that is not JSON, and a property that does not exist", async () => {
    const user = crypto.randomUUID();
    const path = appActivityPath(freshAppActivityId());
    const type = `text/${"t".repeat(LONG)}`;
    expectGraphError(
      await call("PUT", path, { body: activityBody(), headers: { "Content-Type": type }, as: { user } }),
      415,
      "UnsupportedMediaType",
      `The request body must be JSON in UTF-8: send 'Content-Type: application/json' (got ${cut(type)}).`,
    );
    const property = "p".repeat(LONG);
    expectGraphError(
      await call("PUT", path, { body: { ...activityBody(), [property]: 1 }, as: { user } }),
      400,
      "BadRequest",
      `The property ${cut(property)} does not exist on type 'microsoft.graph.userActivity'.`,
    );
    expect((await call("GET", "/v1.0/me/activities", { as: { user } })).body.value).toEqual([]);
  });

  it("a batch's ids and urls", async () => {
    const id = "i".repeat(LONG);
    const get = (requestId: string, extra: object = {}) => ({ id: requestId, method: "GET", url: "/me/activities", ...extra });
    expectBatchError(
      await batch([get(id), get(id.toUpperCase())]),
      400,
      "BadRequest",
      `Invalid value for 'requests[1].id': ${cut(id.toUpperCase())} is already the id of requests[0] (ids are compared ignoring case).`,
    );
    expectBatchError(
      await batch([get("a", { dependsOn: [id] })]),
      400,
      "BadRequest",
      `Invalid value for 'requests[0].dependsOn[0]': no request in the batch has the id ${cut(id)}.`,
    );
    const other = "o".repeat(LONG);
    expectBatchError(
      await batch([get(id, { dependsOn: [other] }), get(other, { dependsOn: [id] })]),
      400,
      "BadRequest",
      `Invalid value for 'requests[0].dependsOn': the requests depend on each other in a cycle (${[id, other, id].map(shortened).join(" → ")}).`,
    );
    const activityId = await createActivity();
    const url = `/${"u".repeat(LONG)}`;
    const sent = await batch([
      get(id, { url: `/me/activities/${activityId}/historyItems/${crypto.randomUUID()}` }),
      get("after", { dependsOn: [id] }),
      get("url", { url }),
    ]);
    const [missing, after, outside] = sent.body.responses;
    expectBatchAnswer(sent, [
      errorAnswer(missing, id, 404, "itemNotFound", expect.stringMatching(/^The history item '[0-9a-f-]{36}' does not exist\.$/)),
      errorAnswer(after, "after", 424, "failedDependency", `The request was not run: it depends on ${cut(id)}, which answered 404.`),
      errorAnswer(
        outside,
        "url",
        400,
        "invalidRequest",
        `The url ${cut(url)} is not a path of this API; a batch request's url is relative to the version, such as /me/activities.`,
      ),
    ]);
  });
});
