import { describe, expect, it } from "vitest";
import { call, createActivity, ORIGIN } from "./support/api";
import { expectGraphError, withoutContext } from "./support/graph";
import { mintToken } from "./support/tokens";

/** Creates `count` items on a fresh activity, 50 at a time; returns the activity id and the created bodies. */
async function activityWithItems(token: string, count: number) {
  const id = await createActivity({ token });
  const created: Record<string, unknown>[] = [];
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, () =>
      call("PUT", `/v1.0/me/activities/${id}/historyItems/${crypto.randomUUID()}`, {
        token,
        body: { startedDateTime: "2015-02-11T20:54:04Z" },
      }),
    );
    for (const answer of await Promise.all(batch)) {
      expect(answer.status).toBe(201);
      created.push(withoutContext(answer.body));
    }
  }
  return { id, created };
}

/** Follows @odata.nextLink from `path` to the end; returns the pages. */
async function walk(token: string, path: string) {
  const pages: { value: Record<string, unknown>[]; nextLink?: string }[] = [];
  let next: string | undefined = path;
  while (next) {
    const answer = await call("GET", next.replace(ORIGIN, ""), { token });
    expect(answer.status).toBe(200);
    pages.push({ value: answer.body.value, nextLink: answer.body["@odata.nextLink"] });
    next = answer.body["@odata.nextLink"];
  }
  return pages;
}

const newestFirst = (items: Record<string, unknown>[]) =>
  [...items].sort((a, b) =>
    a.lastModifiedDateTime === b.lastModifiedDateTime
      ? String(b.id).localeCompare(String(a.id))
      : String(b.lastModifiedDateTime).localeCompare(String(a.lastModifiedDateTime)),
  );

describe("paging GET .../historyItems", () => {
  it("walks 250 items with $top=40 in 7 pages, each item once, newest first, with absolute nextLinks", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    const { id, created } = await activityWithItems(token, 250);
    const pages = await walk(token, `/v1.0/me/activities/${id}/historyItems?$top=40`);
    expect(pages.map((page) => page.value.length)).toEqual([40, 40, 40, 40, 40, 40, 10]);
    for (const page of pages.slice(0, -1)) {
      expect(page.nextLink).toMatch(
        new RegExp(`^${ORIGIN}/v1\\.0/me/activities/${id}/historyItems\\?\\$top=40&\\$skiptoken=[A-Za-z0-9_%.-]+$`),
      );
    }
    expect(pages.at(-1)!.nextLink).toBeUndefined();
    expect(pages.flatMap((page) => page.value)).toEqual(newestFirst(created));
  });

  it("defaults to 100 a page and refuses $top outside 1..1000", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    const { id } = await activityWithItems(token, 101);
    const first = await call("GET", `/me/activities/${id}/historyItems`, { token });
    expect(first.body.value).toHaveLength(100);
    expect(first.body["@odata.nextLink"]).toMatch(new RegExp(`^${ORIGIN}/me/activities/${id}/historyItems\\?\\$skiptoken=`));
    for (const top of ["0", "1001", "-1", "ten"]) {
      const answer = await call("GET", `/me/activities/${id}/historyItems?$top=${top}`, { token });
      expectGraphError(answer, 400, "invalidRequest", `Invalid $top '${top}': expected a whole number from 1 to 1000.`);
    }
  });

  it("filters on lastModifiedDateTime", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    const { id, created } = await activityWithItems(token, 60);
    const sorted = newestFirst(created);
    const pivot = sorted[30]!.lastModifiedDateTime as string;
    const answer = await call("GET", `/me/activities/${id}/historyItems?$top=1000&$filter=lastModifiedDateTime le ${pivot}`, { token });
    expect(answer.body.value).toEqual(sorted.filter((item) => (item.lastModifiedDateTime as string) <= pivot));
    const after = await call("GET", `/me/activities/${id}/historyItems?$top=1000&$filter=lastModifiedDateTime gt ${pivot}`, { token });
    expect(after.body.value).toEqual(sorted.filter((item) => (item.lastModifiedDateTime as string) > pivot));
  });

  it("refuses a tampered, foreign or mismatched $skiptoken with 400", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    const { id } = await activityWithItems(token, 3);
    const first = await call("GET", `/me/activities/${id}/historyItems?$top=1`, { token });
    const skiptoken = new URL(first.body["@odata.nextLink"]).searchParams.get("$skiptoken")!;
    const other = await activityWithItems(token, 3);
    const foreign = new URL(
      (await call("GET", `/me/activities/${other.id}/historyItems?$top=1`, { token })).body["@odata.nextLink"],
    ).searchParams.get("$skiptoken")!;
    const tampered = `${skiptoken.slice(0, 5)}${skiptoken[5] === "A" ? "B" : "A"}${skiptoken.slice(6)}`;
    const filtered = `&$filter=${encodeURIComponent("lastModifiedDateTime ge 2000-01-01T00:00:00Z")}`;
    for (const query of [`$skiptoken=${tampered}`, `$skiptoken=${foreign}`, "$skiptoken=garbage", `$skiptoken=${skiptoken}${filtered}`]) {
      const answer = await call("GET", `/me/activities/${id}/historyItems?$top=1&${query}`, { token });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe("invalidRequest");
      expect(answer.body.error.message).toBe("The $skiptoken is not valid for this request: use @odata.nextLink exactly as returned.");
    }
    expect((await call("GET", `/me/activities/${id}/historyItems?$top=1&$skiptoken=${skiptoken}`, { token })).status).toBe(200);
  });
});
