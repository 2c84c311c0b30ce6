import { afterEach, expect, it, vi } from "vitest";
import { appActivityPath, call, freshAppActivityId } from "./support/api";
import { activityBody } from "./support/builders";

afterEach(() => vi.restoreAllMocks());

it("writes one JSON line per error answer with id, route, status, duration and tenant, none for a success, never the token", async () => {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
  const put = await call("PUT", appActivityPath(freshAppActivityId()), { body: activityBody() });
  const notFound = await call("GET", "/v1.0/me/activities/1");
  const missing = await call("GET", "/v1.0/me/activities/1", { token: null });
  const entries = lines.map((line) => JSON.parse(line));
  expect([put.status, notFound.status]).toEqual([201, 404]);
  expect(entries).toEqual([
    {
      level: "info",
      requestId: notFound.headers.get("request-id"),
      method: "GET",
      route: "/v1.0/me/activities/:id",
      status: 404,
      durationMs: expect.any(Number),
      tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    },
    {
      level: "info",
      requestId: missing.headers.get("request-id"),
      method: "GET",
      route: "/v1.0/me/*",
      status: 401,
      durationMs: expect.any(Number),
      tenantId: null,
    },
  ]);
  expect(lines.join("\n")).not.toMatch(/eyJ/);
});
