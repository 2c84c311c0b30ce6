// Where a batch request's url leads: judged as the URL parser resolves it (dot segments, backslashes
// and percent-encodings applied), with control characters, which the parser would drop, refused, so a
// batch runs only the API's own requests: never another $batch, an admin route or a page of the site.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { limits } from "../src/limits";
import { type Answer, call, freshAppActivityId } from "./support/api";
import { answer, batch, errorAnswer, expectBatchAnswer, expectBatchError, JSON_HEADERS } from "./support/batch";
import { activityBody } from "./support/builders";
import { activitiesContext } from "./support/graph";

const notAPath = (url: string) =>
  `The url '${url}' is not a path of this API; a batch request's url is relative to the version, such as /me/activities.`;

/** A nested batch that would run twenty requests for each one of its own. */
const nestedBatch = (url: string) => ({
  method: "POST",
  url,
  headers: JSON_HEADERS,
  body: { requests: Array.from({ length: limits.batchRequests }, (_, n) => ({ id: `${n}`, method: "GET", url: "/me/activities" })) },
});

describe("POST /$batch refuses the whole batch, naming the request, for a url that", () => {
  const refused: [string, object, string][] = [
    // Each of the first three ran on the parser's reading before: `.\t.` passed as a segment, then was `..`.
    [
      "has a tab (read as a nested $batch)",
      nestedBatch("me/.\t./$batch"),
      "expected a URL without control characters (this one has U+0009 at character 5)",
    ],
    [
      "has line feeds (read as a site page)",
      { method: "GET", url: "/me/.\n./.\n./docs/" },
      "expected a URL without control characters (this one has U+000A at character 6)",
    ],
    [
      "has carriage returns (read as an admin route)",
      { method: "GET", url: "me/.\r./.\r./admin/users/x/activities" },
      "expected a URL without control characters (this one has U+000D at character 5)",
    ],
    [
      "has another control character",
      { method: "GET", url: "/me/activities\u0000" },
      "expected a URL without control characters (this one has U+0000 at character 15)",
    ],
    [
      "has a C1 control character",
      { method: "GET", url: "/me/\u0085activities" },
      "expected a URL without control characters (this one has U+0085 at character 5)",
    ],
    ["resolves to $batch through a dot segment", nestedBatch("/me/../$batch"), "a batch cannot contain another $batch"],
    ["resolves to $batch through encoded dot segments", nestedBatch("me/%2e%2E/%24BATCH"), "a batch cannot contain another $batch"],
    ["resolves to $batch through backslashes", nestedBatch("/me\\..\\$batch"), "a batch cannot contain another $batch"],
    ["resolves to another version's $batch", nestedBatch("me/../../beta/$batch"), "a batch cannot contain another $batch"],
  ];

  it.each(refused)("%s", async (_name, request, message) => {
    const user = crypto.randomUUID();
    // A valid write first: that the refused batch did not run it shows that none of it ran.
    const write = {
      id: "write",
      method: "PUT",
      url: `/me/activities/${encodeURIComponent(freshAppActivityId())}`,
      headers: JSON_HEADERS,
      body: activityBody(),
    };
    const sent = await batch([write, { id: "url", ...request }], { as: { user } });
    expectBatchError(sent, 400, "BadRequest", `Invalid value for 'requests[1].url': ${message}.`);
    expect((await call("GET", "/v1.0/me/activities", { as: { user } })).body.value).toEqual([]);
  });

  it(`is longer than ${limits.batchUrlChars} characters, without reading it`, async () => {
    // 100,000 spaces in a $filter took 17.6 s of CPU before; the cap answers at once and quotes none of it.
    const url = `/me/activities?$filter=a${" ".repeat(100_000)}b`;
    const sent = await batch([{ id: "long", method: "GET", url }]);
    expectBatchError(
      sent,
      400,
      "BadRequest",
      `Invalid value for 'requests[0].url': expected at most ${limits.batchUrlChars} characters (this url has ${url.length}).`,
    );
  });
});

describe("POST /$batch judges each request's url as it resolves", () => {
  it("answers 400 for a url that resolves outside the API, however it is spelled, and runs the others", async () => {
    const user = crypto.randomUUID();
    const urls = [
      "/me/%2e%2e/%2e%2e/docs/",
      "me\\..\\..\\admin\\users\\x\\activities",
      "/v1.0/me/../../docs/",
      "me/.%2E/.%2e/openapi.json",
      "/me/activities/../../../../timeline/",
      "%6De/../admin/users/x/activities",
    ];
    const sent = await batch(
      [...urls.map((url, n) => ({ id: `${n}`, method: "GET", url })), { id: "feed", method: "GET", url: "/me/activities" }],
      { as: { user } },
    );
    const responses = sent.body.responses;
    expectBatchAnswer(sent, [
      ...urls.map((url, n) => errorAnswer(responses[n], `${n}`, 400, "invalidRequest", notAPath(url))),
      answer("feed", 200, { "@odata.context": activitiesContext({ user }), value: [] }),
    ]);
  });

  it("runs a url whose dot segments and backslashes resolve inside the API as the URL it resolves to, which never reaches the site", async () => {
    const user = crypto.randomUUID();
    const sent = await batch(
      [
        { id: "dots", method: "GET", url: "/me/x/../activities" },
        { id: "backslash", method: "GET", url: "me\\activities" },
        { id: "encoded", method: "GET", url: "%6De/activities/%2e/" },
        // An encoded slash is no separator: it stays inside /me, where nothing answers.
        { id: "slash", method: "GET", url: "/me/..%2F..%2Fdocs/" },
      ],
      { as: { user } },
    );
    const feed = { "@odata.context": activitiesContext({ user }), value: [] };
    const responses = sent.body.responses;
    expectBatchAnswer(sent, [
      answer("dots", 200, feed),
      answer("backslash", 200, feed),
      answer("encoded", 200, feed),
      errorAnswer(responses[3], "slash", 404, "itemNotFound", "No resource exists at '/v1.0/me/..%2F..%2Fdocs'."),
    ]);
  });
});

describe("POST /$batch, for any url however spelled", () => {
  const SEGMENTS = ["me", "users", "activities", "recent", "$batch", "%24batch", "$BATCH", "admin", "docs", "timeline", "openapi.json"];
  const SPELLINGS = ["v1.0", "beta", "x", "", ".", "..", "%2e", "%2E", "%2e%2e", ".%2E", "%2e.", "%2F", "%5C", "%00"];
  const SEPARATORS = ["/", "\\", "%2F", "%5c"];
  const CONTROLS = ["\t", "\n", "\r", "\u0000", "\u001f", "\u007f", "\u0085"];

  /** A url from the API's and the service's other paths, dot segments in every spelling, percent-encodings and control characters. */
  const anyUrl = fc
    .record({
      // Half of them start inside the API, where dot segments can lead out of it.
      lead: fc.oneof(
        fc.constantFrom("", "/", "\\", "/v1.0/", "beta/", "/beta\\"),
        fc.constantFrom("me/", "/me/", "/v1.0/me\\", "users/x/"),
      ),
      parts: fc.array(fc.tuple(fc.constantFrom(...SEGMENTS, ...SPELLINGS), fc.constantFrom(...SEPARATORS)), { minLength: 1, maxLength: 7 }),
      encoded: fc.array(fc.nat(), { maxLength: 3 }),
      controls: fc.oneof(fc.constant([]), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...CONTROLS)), { minLength: 1, maxLength: 2 })),
      end: fc.constantFrom("", "/", "?$top=1", "#x"),
    })
    .map(({ lead, parts, encoded, controls, end }) => {
      const chars = [...`${lead}${parts.map(([segment, separator]) => `${segment}${separator}`).join("")}`];
      // Percent-encode a few characters, in either case.
      for (const at of encoded) {
        const index = at % chars.length;
        const hex = chars[index]!.charCodeAt(0).toString(16).padStart(2, "0");
        chars[index] = `%${at % 2 ? hex.toUpperCase() : hex}`;
      }
      for (const [at, control] of controls) chars.splice(at % (chars.length + 1), 0, control);
      return `${chars.join("")}${end}`;
    });

  /**
   * A 404 for a path inside the API (`users/x/..` is `/users`, where no route answers), its segments
   * as written or percent-encoded (`%75sers` is `users`, which the router does not decode).
   */
  const API_MISS = /^No resource exists at '(\/v1\.0|\/beta)?\/(me|users)(\/[^']*)?'\.$/;
  const isApiMiss = (message: string) => {
    try {
      return API_MISS.test(decodeURIComponent(message));
    } catch {
      return API_MISS.test(message);
    }
  };

  /** What became of a batch of one request, from its answer and how often the user routes' rate limiter was passed. */
  function outcomeOf(sent: Answer, limited: number): string {
    const response = sent.body?.responses?.[0];
    const message: string = (sent.status === 200 ? response?.body?.error?.message : sent.body?.error?.message) ?? "";
    if (sent.status === 400 && message.startsWith("Invalid value for 'requests[0].url': ")) return "batch refused";
    if (sent.status === 200 && limited === 1) return "ran in the user routes";
    if (
      sent.status === 200 &&
      limited === 0 &&
      response.status === 400 &&
      /^The url '.*' is (absolute|not a path of this API)/s.test(message)
    )
      return "request refused";
    if (sent.status === 200 && limited === 0 && response.status === 404 && isApiMiss(message)) return "no route of the API";
    return `ran elsewhere (${limited} requests limited): ${sent.status} ${JSON.stringify(response ?? sent.body)}`;
  }

  it("runs it in the API's user routes, or refuses it; never a $batch, an admin route or a site page", async () => {
    const user = crypto.randomUUID();
    let siteFetches = 0;
    let limited = 0;
    // Every request that reaches the API's user routes passes the rate limiter once; nothing else does.
    const limiter = { limit: async () => ((limited += 1), { success: true }) } as unknown as RateLimit;
    const site = { fetch: async () => ((siteFetches += 1), new Response("a page of the site")) } as unknown as Fetcher;
    const vars = { RATE_LIMITING: "on", READ_LIMITER: limiter, WRITE_LIMITER: limiter, SITE: site };
    await fc.assert(
      fc.asyncProperty(anyUrl, fc.constantFrom("GET", "POST", "DELETE"), async (url, method) => {
        limited = 0;
        siteFetches = 0;
        const request = method === "POST" ? { id: "1", ...nestedBatch(url) } : { id: "1", method, url };
        const sent = await call("POST", "/v1.0/$batch", { body: { requests: [request] }, as: { user }, vars });
        expect({ url, outcome: outcomeOf(sent, limited), siteFetches }).toEqual({
          url,
          outcome: expect.toBeOneOf(["batch refused", "request refused", "ran in the user routes", "no route of the API"]),
          siteFetches: 0,
        });
      }),
      { numRuns: 300 },
    );
  });
});
