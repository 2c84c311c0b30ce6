// Pages outside the API come from the site Worker (binding SITE; in these tests a stand-in with one
// page, /docs/, from vitest.config.ts): a GET or HEAD no route takes is passed to it as received,
// and what it does not have stays the Graph 404. The pages themselves are tested in Node.
import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { call, ORIGIN } from "./support/api";
import { expectGraphError } from "./support/graph";

const page = async (method: string, path: string) => {
  const answer = await exports.default.fetch(new Request(`${ORIGIN}${path}`, { method }));
  return { status: answer.status, type: answer.headers.get("content-type"), body: await answer.text() };
};

it("a GET or HEAD outside the API is the site's page, asked for as received (the routes' canonical URL drops the slash)", async () => {
  expect(await page("GET", "/docs/")).toEqual({ status: 200, type: "text/html", body: "<!doctype html><title>docs</title>" });
  expect(await page("HEAD", "/docs/")).toEqual({ status: 200, type: "text/html", body: "" });
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
