// URL properties refuse javascript:, vbscript: and data: (ours): a page that shows activities, such
// as the timeline, must never be handed a URL that a browser would run. App protocols stay allowed.
import { describe, expect, it } from "vitest";
import { type Answer, appActivityPath, call, freshAppActivityId } from "./support/api";
import { activityBody } from "./support/builders";
import { expectGraphError } from "./support/graph";
import { activityObjectIds } from "./support/objects";

const SCRIPTABLE_MESSAGE = "expected a URL whose scheme is not javascript:, vbscript: or data:";

/** Where each URL property sits in an activity body, and the name the error gives it. */
const PROPERTIES: [string, (url: string) => Record<string, unknown>][] = [
  ["activationUrl", (url) => ({ activationUrl: url })],
  ["fallbackUrl", (url) => ({ fallbackUrl: url })],
  ["contentUrl", (url) => ({ contentUrl: url })],
  ["visualElements.attribution.iconUrl", (url) => ({ visualElements: { displayText: "Contoso", attribution: { iconUrl: url } } })],
];

// Each written as an attacker would, to slip past a naive prefix check; a browser reads every one by its scheme.
const SCRIPTABLE_URLS = [
  "javascript:alert(1)",
  "JavaScript:alert(1)",
  " \t\njavascript:alert(1)",
  "\u0000\u001fjavascript:alert(1)",
  "java\tscr\nipt:alert(1)",
  "vbscript:msgbox(1)",
  "VBSCRIPT:msgbox(1)",
  "data:text/html,<script>alert(1)</script>",
  " DATA:image/svg+xml;base64,PHN2Zy8+",
];

const activityPath = () => appActivityPath(freshAppActivityId());

/** The whole 400 answer: Graph's envelope, its message naming the property and the rule. */
const expectRefused = (answer: Answer, message: string) => expectGraphError(answer, 400, "BadRequest", message);

describe.each(PROPERTIES)("%s", (property, place) => {
  it.each(SCRIPTABLE_URLS)("refuses %j on create, storing nothing", async (url) => {
    const before = await activityObjectIds();
    const path = activityPath();
    const answer = await call("PUT", path, { body: activityBody(place(url)) });
    expectRefused(answer, `Invalid value for '${property}': ${SCRIPTABLE_MESSAGE}.`);
    expect(await activityObjectIds()).toEqual(before);
  });

  it("refuses javascript: on replace, leaving the stored activity as it was", async () => {
    const path = activityPath();
    const created = await call("PUT", path, { body: activityBody(place("https://www.contoso.com/safe")) });
    expect(created.status).toBe(201);
    const answer = await call("PUT", path, { body: activityBody(place("javascript:alert(document.domain)")) });
    expectRefused(answer, `Invalid value for '${property}': ${SCRIPTABLE_MESSAGE}.`);
    const stored = await call("GET", `/v1.0/me/activities/${created.body.id}`);
    expect(stored.status).toBe(200);
    expect(stored.body).toEqual(created.body);
  });
});

describe("activitySourceHost", () => {
  it.each(SCRIPTABLE_URLS)("refuses %j (an origin is http or https), storing nothing", async (url) => {
    const before = await activityObjectIds();
    const answer = await call("PUT", activityPath(), { body: activityBody({ activitySourceHost: url }) });
    expectRefused(
      answer,
      "Invalid value for 'activitySourceHost': expected a web origin such as https://contoso.com, with no path, query or fragment.",
    );
    expect(await activityObjectIds()).toEqual(before);
  });
});

describe("app protocols and web URLs", () => {
  it.each([
    "contoso-app://article/12345",
    "ms-word:ofe|u|https://contoso.sharepoint.com/report.docx",
    "mailto:someone@contoso.com",
    "https://www.contoso.com/article?12345",
    "http://intranet.contoso.com/article",
    // The scheme is what counts: "javascript:" further on is only text in a web URL.
    "https://www.contoso.com/?next=javascript:alert(1)",
  ])("stores %j in every URL property, as sent", async (url) => {
    const body = activityBody({
      activationUrl: url,
      fallbackUrl: url,
      contentUrl: url,
      visualElements: { displayText: "Contoso", attribution: { iconUrl: url } },
    });
    const answer = await call("PUT", activityPath(), { body });
    expect(answer.status).toBe(201);
    expect({
      activationUrl: answer.body.activationUrl,
      fallbackUrl: answer.body.fallbackUrl,
      contentUrl: answer.body.contentUrl,
      iconUrl: answer.body.visualElements.attribution.iconUrl,
    }).toEqual({ activationUrl: url, fallbackUrl: url, contentUrl: url, iconUrl: url });
  });
});
