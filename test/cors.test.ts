import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { call } from "./support/api";

it("answers a browser's preflight without a token, allowing the headers Graph clients send", async () => {
  const response = await exports.default.fetch(
    new Request("https://feed.test/v1.0/me/activities/1/historyItems", {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.contoso.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, client-request-id",
      },
    }),
  );
  expect(response.status).toBe(204);
  expect(Object.fromEntries([...response.headers].filter(([name]) => name.startsWith("access-control-")))).toEqual({
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET,PUT,POST,PATCH,DELETE",
    "access-control-allow-headers":
      "Authorization,Content-Type,Accept,client-request-id,return-client-request-id,SdkVersion,User-Agent,Retry-Attempt,Prefer,ConsistencyLevel,Cache-Control,If-Match,If-None-Match",
    "access-control-max-age": "600",
    "access-control-expose-headers": "WWW-Authenticate,request-id,client-request-id,Retry-After,Location,Preference-Applied",
  });
});

it("lets a page read the request id of an answer, errors included", async () => {
  const answer = await call("GET", "/v1.0/me/activities/1", { token: null, headers: { Origin: "https://app.contoso.com" } });
  expect(answer.status).toBe(401);
  expect(answer.headers.get("access-control-allow-origin")).toBe("*");
  expect(answer.headers.get("access-control-expose-headers")).toBe(
    "WWW-Authenticate,request-id,client-request-id,Retry-After,Location,Preference-Applied",
  );
});
