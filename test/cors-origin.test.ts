import { expect, it } from "vitest";
import { appActivityPath, call, freshAppActivityId } from "./support/api";
import { activityBody } from "./support/builders";

const corsHeaders = (headers: Headers) => Object.fromEntries([...headers].filter(([name]) => name.startsWith("access-control-")));

it("adds CORS headers only to a browser's request, one that carries Origin", async () => {
  const path = appActivityPath(freshAppActivityId());
  const fromServer = await call("PUT", path, { body: activityBody() });
  const fromPage = await call("PUT", path, { body: activityBody(), headers: { Origin: "https://app.contoso.com" } });
  expect([fromServer.status, corsHeaders(fromServer.headers)]).toEqual([201, {}]);
  expect([fromPage.status, corsHeaders(fromPage.headers)]).toEqual([
    200,
    {
      "access-control-allow-origin": "*",
      "access-control-expose-headers": "WWW-Authenticate,request-id,client-request-id,Retry-After,Location,Preference-Applied",
    },
  ]);
});
