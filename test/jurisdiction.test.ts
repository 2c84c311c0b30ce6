// DATA_JURISDICTION places every Durable Object of the service in one jurisdiction. workerd cannot
// emulate jurisdictions, so these tests hand the address functions (and the Worker) namespaces that
// record how they were used, and check that every namespace the service has is reached through one.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { activityObject, feedObject, userObject } from "../src/objects/addresses";
import { call } from "./support/api";
import { activityBody } from "./support/builders";

const caller = { tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47", userId: crypto.randomUUID(), appId: "contoso-notes" };

/** The names of the bindings in `env` that are Durable Object namespaces. */
const namespaceBindings = (bindings: Env) =>
  Object.entries(bindings)
    .filter(([, value]) => Object.prototype.toString.call(value) === "[object DurableObjectNamespace]")
    .map(([name]) => name)
    .sort();

/** `env` with every Durable Object namespace replaced by one that records each use, and answers with the real one. */
function recordingEnv(vars: Partial<Env>) {
  const uses: string[] = [];
  const recording = (name: string, real: DurableObjectNamespace): DurableObjectNamespace =>
    ({
      getByName: (objectName: string) => (uses.push(`${name}.getByName`), real.getByName(objectName)),
      idFromName: (objectName: string) => (uses.push(`${name}.idFromName`), real.idFromName(objectName)),
      get: (id: DurableObjectId) => (uses.push(`${name}.get`), real.get(id)),
      jurisdiction: (jurisdiction: string) => {
        uses.push(`${name}.jurisdiction(${jurisdiction})`);
        // workerd has no jurisdictions: the real namespace stands in for the restricted one.
        return recording(`${name} in ${jurisdiction}`, real);
      },
    }) as unknown as DurableObjectNamespace;
  const replaced = Object.fromEntries(
    namespaceBindings(env).map((name) => [name, recording(name, env[name as keyof Env] as unknown as DurableObjectNamespace)]),
  );
  return { env: { ...env, ...vars, ...replaced } as Env, uses };
}

describe("DATA_JURISDICTION", () => {
  it("places the objects of every namespace the service has in the jurisdiction, through its address functions", async () => {
    expect(namespaceBindings(env)).toEqual(["ACTIVITIES", "FEEDS", "USERS"]);
    for (const jurisdiction of ["eu", "fedramp"]) {
      const { env: placed, uses } = recordingEnv({ DATA_JURISDICTION: jurisdiction });
      activityObject(placed, caller, "1");
      feedObject(placed, caller);
      userObject(placed, caller);
      expect(uses).toEqual([
        `ACTIVITIES.jurisdiction(${jurisdiction})`,
        `ACTIVITIES in ${jurisdiction}.getByName`,
        `FEEDS.jurisdiction(${jurisdiction})`,
        `FEEDS in ${jurisdiction}.getByName`,
        `USERS.jurisdiction(${jurisdiction})`,
        `USERS in ${jurisdiction}.getByName`,
      ]);
    }
  });

  it("is applied to the Worker's own calls: a PUT reaches its activity only within the jurisdiction", async () => {
    const { env: placed, uses } = recordingEnv({ DATA_JURISDICTION: "eu" });
    const put = await call("PUT", "/v1.0/me/activities/jurisdiction-test", {
      as: { user: caller.userId },
      body: activityBody(),
      vars: placed,
    });
    expect(put.status).toBe(201);
    expect(uses).toEqual(["ACTIVITIES.jurisdiction(eu)", "ACTIVITIES in eu.getByName"]);
  });

  it("empty places no restriction; any other value is refused, naming it", async () => {
    const { env: unplaced, uses } = recordingEnv({ DATA_JURISDICTION: "" });
    activityObject(unplaced, caller, "1");
    feedObject(unplaced, caller);
    userObject(unplaced, caller);
    expect(uses).toEqual(["ACTIVITIES.getByName", "FEEDS.getByName", "USERS.getByName"]);

    const { env: misplaced } = recordingEnv({ DATA_JURISDICTION: "us-east" });
    expect(() => feedObject(misplaced, caller)).toThrow("DATA_JURISDICTION must be one of eu, fedramp or empty, not 'us-east'.");
  });
});
