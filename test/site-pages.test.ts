// Pages outside the API come from the site Worker (binding SITE; in these tests a stand-in with one
// page, /docs/, and the /timeline redirect, from vitest.config.ts): a GET or HEAD no route takes is
// passed to it as received, and what it does not have stays the Graph 404. The pages themselves,
// and the headers the site gives them, are tested in Node.
import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { call, GUID, ORIGIN } from "./support/api";
import { expectGraphError } from "./support/graph";

const page = async (method: string, path: string, headers: Record<string, string> = {}) => {
  const answer = await exports.default.fetch(new Request(`${ORIGIN}${path}`, { method, headers, redirect: "manual" }));
  return {
    status: answer.status,
    type: answer.headers.get("content-type"),
    location: answer.headers.get("location"),
    requestId: answer.headers.get("request-id"),
    clientRequestId: answer.headers.get("client-request-id"),
    body: await answer.text(),
  };
};

it("a GET or HEAD outside the API is the site's page, asked for as received (the routes' canonical URL drops the slash)", async () => {
  const docs = { status: 200, type: "text/html", location: null, requestId: expect.stringMatching(GUID) };
  const sent = { "client-request-id": "docs-page-1" };
  expect(await page("GET", "/docs/", sent)).toEqual({
    ...docs,
    clientRequestId: "docs-page-1",
    body: "<!doctype html><title>docs</title>",
  });
  expect(await page("HEAD", "/docs/", sent)).toEqual({ ...docs, clientRequestId: "docs-page-1", body: "" });
  expect(await page("GET", "/timeline", sent)).toEqual({
    status: 307,
    type: null,
    location: "/timeline/",
    requestId: expect.stringMatching(GUID),
    clientRequestId: "docs-page-1",
    body: "",
  });
});

it("a page, as every answer, carries its own request-id, and echoes it as client-request-id when none was sent", async () => {
  const [first, second] = [await page("GET", "/docs/"), await page("GET", "/timeline")];
  expect(first.requestId).toMatch(GUID);
  expect(second.requestId).toMatch(GUID);
  expect(first.requestId).not.toBe(second.requestId);
  expect([first.clientRequestId, second.clientRequestId]).toEqual([first.requestId, second.requestId]);
});

it("what the site does not have, and any other method, is the Graph 404", async () => {
  for (const [method, path] of [
    ["GET", "/nothing"],
    ["GET", "/docs"],
    ["POST", "/docs/"],
    ["DELETE", "/docs/"],
  ] as const) {
    expectGraphError(await call(method, path, { token: null }), 404, "itemNotFound", `No resource exists at '${path.replace(/\/$/, "")}'.`);
  }
});
