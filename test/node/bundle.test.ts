// The Worker as wrangler bundles it for `npm run dev` and deploy, with the substitutions of
// wrangler.toml's [alias] (zod in English only, without its code generator or its JSON Schema
// conversion; no OpenAPI generator), which the workers project's build does not make: it validates
// and answers as that build does.
import { expect, inject, it } from "vitest";
import { mintToken } from "./token";

const ERROR_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

it("refuses an invalid body naming the property and what was expected", async () => {
  const response = await fetch(`${inject("serviceUrl")}/v1.0/me/activities/${encodeURIComponent(`/bundle/${crypto.randomUUID()}`)}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${await mintToken()}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      activitySourceHost: "https://www.contoso.com",
      activationUrl: "https://www.contoso.com/a",
      visualElements: { displayText: 5 },
    }),
  });
  expect({ status: response.status, body: await response.json() }).toEqual({
    status: 400,
    body: {
      error: {
        code: "BadRequest",
        message: "Invalid value for 'visualElements.displayText': expected a string.",
        innerError: {
          date: expect.stringMatching(ERROR_DATE),
          "request-id": expect.stringMatching(GUID),
          "client-request-id": expect.stringMatching(GUID),
        },
      },
    },
  });
});
