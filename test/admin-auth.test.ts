// Who may call the admin routes: an application token (client credentials) with the admin role,
// acting on users of its own tenant only. Everyone else gets 401 or 403 in Graph's envelope.
import { describe, expect, it } from "vitest";
import { call, send } from "./support/api";
import { activityIdFor } from "../src/objects/addresses";
import { appUser, exportLines, exportOf, importInto, operationAt, ownView, runErasure, seedActivity } from "./support/admin";
import { expectGraphError } from "./support/graph";
import { ADMIN_ROLE, DEV_CALLER, mintAdminToken, mintToken } from "./support/tokens";

const TENANT = DEV_CALLER.tenantId;
const OTHER_TENANT = "5a1b2c3d-0000-4000-8000-000000000003";
const OPERATION = "9d0b74e4-4b41-43ea-b34d-f9c1bf9f809c";

const DELEGATED = "Delegated (user) tokens are not accepted here; this route needs an application token (client credentials).";
const NO_ROLE = `Insufficient privileges: the application token needs the app role ${ADMIN_ROLE}.`;
const APP_ONLY = "Application-only tokens are not supported; this API needs a delegated (user) token.";

/** Each admin route, as a method and a path about `user`. */
const routes = (user: string): [string, string][] => [
  ["GET", `/admin/users/${user}/activities`],
  ["POST", `/admin/users/${user}/activities`],
  ["DELETE", `/admin/users/${user}`],
  ["GET", `/admin/users/${user}/operations/${OPERATION}`],
  ["GET", `/admin/users/${user}/subscriptions`],
];

/** Calls an admin route with a client-request-id (its errors are JSON, like every other route's). */
const adminCall = (method: string, path: string, token: string | null, vars?: Partial<Env>) => send(method, path, { token, vars });

describe("admin routes refuse", () => {
  it("a request without a token: 401 with a Bearer challenge", async () => {
    for (const [method, path] of routes(crypto.randomUUID())) {
      const answer = await adminCall(method, path, null);
      expectGraphError(answer, 401, "InvalidAuthenticationToken", "Access token is empty. Send 'Authorization: Bearer <token>'.");
      expect(answer.headers.get("WWW-Authenticate")).toBe("Bearer");
    }
  });

  it("a user's delegated token, even one that also claims the admin role: 403", async () => {
    const tokens = [await mintToken(), await mintToken({ claims: { roles: [ADMIN_ROLE] } })];
    for (const token of tokens) {
      for (const [method, path] of routes(crypto.randomUUID()))
        expectGraphError(await adminCall(method, path, token), 403, "accessDenied", DELEGATED);
    }
  });

  it("an application token without the admin role, or with other roles only: 403", async () => {
    const tokens = [await mintAdminToken({ roles: [] }), await mintAdminToken({ roles: ["UserActivity.Read.All", `${ADMIN_ROLE}.Other`] })];
    for (const token of tokens) {
      for (const [method, path] of routes(crypto.randomUUID()))
        expectGraphError(await adminCall(method, path, token), 403, "accessDenied", NO_ROLE);
    }
  });

  it("an expired application token: 401", async () => {
    const expired = await mintAdminToken({ ttl: -120 });
    for (const [method, path] of routes(crypto.randomUUID())) {
      expectGraphError(
        await adminCall(method, path, expired),
        401,
        "InvalidAuthenticationToken",
        "Lifetime validation failed: the token is expired.",
      );
    }
  });

  it("a tenant that is not allowed: 401, exactly as for a user's token", async () => {
    const token = await mintAdminToken({ tenant: OTHER_TENANT });
    for (const [method, path] of routes(crypto.randomUUID())) {
      expectGraphError(
        await adminCall(method, path, token, { AUTH_TENANTS: TENANT }),
        401,
        "InvalidAuthenticationToken",
        "The token's tenant is not allowed to call this service.",
      );
    }
  });

  it("the role a deployment does not name: ADMIN_ROLE decides, and an empty one admits nobody", async () => {
    const user = crypto.randomUUID();
    const path = `/admin/users/${user}/operations/${OPERATION}`;
    const custom = await mintAdminToken({ roles: ["Feed.Operator"] });
    expectGraphError(await adminCall("GET", path, custom), 403, "accessDenied", NO_ROLE);
    expectGraphError(
      await adminCall("GET", path, custom, { ADMIN_ROLE: "Feed.Operator" }),
      404,
      "itemNotFound",
      `No erasure '${OPERATION}' exists for this user.`,
    );
    expectGraphError(
      await adminCall("GET", path, await mintAdminToken(), { ADMIN_ROLE: "" }),
      403,
      "accessDenied",
      "Insufficient privileges: the application token needs the app role (none is configured).",
    );
  });
});

describe("the delegated routes", () => {
  it("keep refusing application tokens, the administrator's included: 403", async () => {
    const token = await mintAdminToken();
    for (const [method, path] of [
      ["GET", "/v1.0/me/activities"],
      ["GET", "/me/activities/recent"],
      ["DELETE", "/beta/me/activities/1"],
    ] as const) {
      expectGraphError(await send(method, path, { token }), 403, "accessDenied", APP_ONLY);
    }
  });
});

describe("an administrator acts only within its own tenant", () => {
  it("another tenant's administrator neither sees, imports nor erases this tenant's user, nor reads its operations", async () => {
    const own = await appUser("contoso-notes");
    const id = await seedActivity(own, 2);
    const before = await exportOf(own.caller.userId);
    expect(before).toEqual([{ appId: "contoso-notes", ...(await ownView(own, id)) }]);

    const foreign = await mintAdminToken({ tenant: OTHER_TENANT });
    expect(await exportOf(own.caller.userId, foreign)).toEqual([]);
    // An export of this tenant's user is another tenant's data there: its ids are refused, and nothing is written on either side.
    const line = (await exportLines(own.caller.userId))[0]!;
    const foreignId = await activityIdFor(
      { tenantId: OTHER_TENANT, userId: own.caller.userId, appId: "contoso-notes" },
      before[0]!.appActivityId as string,
    );
    const imported = await importInto(own.caller.userId, [line], foreign);
    expect({ status: imported.status, body: imported.body }).toEqual({
      status: 200,
      body: {
        linesRead: 1,
        activities: { imported: 0, skipped: 0, expired: 0 },
        historyItems: { imported: 0, skipped: 0, expired: 0 },
        failedLines: 1,
        errors: [
          {
            line: 1,
            code: "BadRequest",
            message: `Invalid value for 'id': expected '${foreignId}', the id of appActivityId '${before[0]!.appActivityId}' of app 'contoso-notes' for this user; an activity keeps its id only for the same tenant, user and app.`,
          },
        ],
      },
    });
    expect(await exportOf(own.caller.userId, foreign)).toEqual([]);
    const erasure = await call("DELETE", `/admin/users/${own.caller.userId}`, { token: foreign });
    expect(erasure.status).toBe(202);
    const done = await runErasure({ tenantId: OTHER_TENANT, userId: own.caller.userId }, erasure.headers.get("Location")!);
    expect(done.body).toMatchObject({ status: "succeeded", erased: { apps: 0, activities: 0, historyItems: 0 } });
    expect(await exportOf(own.caller.userId)).toEqual(before);

    const mine = await call("DELETE", `/admin/users/${own.caller.userId}`, { token: await mintAdminToken() });
    expectGraphError(
      await send("GET", new URL(mine.headers.get("Location")!).pathname, { token: foreign }),
      404,
      "itemNotFound",
      `No erasure '${mine.body.id}' exists for this user.`,
    );
    expect((await operationAt(mine.headers.get("Location")!)).status).toBe(200);
  });
});

describe("admin routes check their input", () => {
  it("an unknown query option, an operation id that is not a GUID, an oid that is too long: 400 naming it", async () => {
    const token = await mintAdminToken();
    const user = crypto.randomUUID();
    expectGraphError(
      await adminCall("GET", `/admin/users/${user}/activities?$top=5`, token),
      400,
      "invalidRequest",
      "The query option '$top' is not supported (this request takes none).",
    );
    expectGraphError(
      await adminCall("GET", `/admin/users/${user}/operations/not-a-guid`, token),
      400,
      "invalidRequest",
      "Invalid value for 'operationId': expected a GUID such as 9d0b74e4-4b41-43ea-b34d-f9c1bf9f809c.",
    );
    expectGraphError(
      await adminCall("DELETE", `/admin/users/${"a".repeat(129)}`, token),
      400,
      "invalidRequest",
      "Invalid value for 'oid': expected a user's object id (oid) of at most 128 characters.",
    );
  });

  it("an operation that does not exist: 404; a wrong method: 405 with Allow", async () => {
    const token = await mintAdminToken();
    const user = crypto.randomUUID();
    expectGraphError(
      await adminCall("GET", `/admin/users/${user}/operations/${OPERATION}`, token),
      404,
      "itemNotFound",
      `No erasure '${OPERATION}' exists for this user.`,
    );
    for (const [method, path, allow] of [
      ["PUT", `/admin/users/${user}`, "DELETE"],
      ["PUT", `/admin/users/${user}/activities`, "GET, POST"],
      ["DELETE", `/admin/users/${user}/operations/${OPERATION}`, "GET"],
    ] as const) {
      const answer = await adminCall(method, path, token);
      expectGraphError(answer, 405, "notAllowed", `The method ${method} is not allowed on this resource; use ${allow}.`);
      expect(answer.headers.get("Allow")).toBe(allow);
    }
  });
});
