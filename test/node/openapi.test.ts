// The OpenAPI document as the service serves it: the static asset public/openapi.json (generated
// from the routes; test/openapi.test.ts checks it is current), ahead of the Worker.
import { readFileSync } from "node:fs";
import { expect, inject, it } from "vitest";

it("serves public/openapi.json at /openapi.json as JSON, to any origin", async () => {
  const response = await fetch(`${inject("serviceUrl")}/openapi.json`, { headers: { Origin: "https://app.example" } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json");
  expect(response.headers.get("access-control-allow-origin")).toBe("*");
  expect(await response.json()).toEqual(JSON.parse(readFileSync(new URL("../../public/openapi.json", import.meta.url), "utf8")));
});
