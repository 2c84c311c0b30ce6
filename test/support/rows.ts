// What a request costs in storage, as Cloudflare bills it: the rows each object's statements wrote
// (each cursor's rowsWritten, index entries included) and one row per setAlarm or deleteAlarm, or read.
import { runInDurableObject } from "cloudflare:test";

type Counter = { cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[]; alarmCalls: number; statements: string[] };

/** Runs `action` with every named object's storage counted: each one's statements, cursors and alarm calls. */
async function counted<Name extends string>(
  objects: Record<Name, DurableObjectStub>,
  action: () => Promise<unknown>,
): Promise<Map<Name, Counter>> {
  const counters = new Map<Name, Counter>();
  const restores: (() => void)[] = [];
  for (const [name, stub] of Object.entries(objects) as [Name, DurableObjectStub][]) {
    const counter: Counter = { cursors: [], alarmCalls: 0, statements: [] };
    counters.set(name, counter);
    await runInDurableObject(stub, (_instance, state) => {
      const storage = state.storage as unknown as Record<string, unknown>;
      const sql = state.storage.sql as unknown as Record<string, unknown>;
      const exec = state.storage.sql.exec.bind(state.storage.sql);
      const alarmMethods = {
        setAlarm: state.storage.setAlarm.bind(state.storage),
        deleteAlarm: state.storage.deleteAlarm.bind(state.storage),
      };
      sql.exec = (query: string, ...bindings: SqlStorageValue[]) => {
        const cursor = exec(query, ...bindings);
        counter.cursors.push(cursor);
        counter.statements.push(query.replace(/\s+/g, " ").trim().split(" ").slice(0, 3).join(" "));
        return cursor;
      };
      for (const [method, original] of Object.entries(alarmMethods)) {
        storage[method] = (...args: unknown[]) => {
          counter.alarmCalls++;
          counter.statements.push(method);
          return (original as (...args: unknown[]) => unknown)(...args);
        };
      }
      restores.push(() => {
        delete sql.exec;
        for (const method of Object.keys(alarmMethods)) delete storage[method];
      });
    });
  }
  try {
    await action();
  } finally {
    for (const restore of restores) restore();
  }
  return counters;
}

/**
 * Runs `action` with every named object's storage counted, and returns the rows each wrote meanwhile,
 * with the statements it ran (their first words). The objects must not be evicted while it runs.
 */
export async function rowsWritten<Name extends string>(
  objects: Record<Name, DurableObjectStub>,
  action: () => Promise<unknown>,
): Promise<Record<Name, { rows: number; statements: string[] }>> {
  const counts = {} as Record<Name, { rows: number; statements: string[] }>;
  for (const [name, counter] of await counted(objects, action)) {
    // A cursor's rowsWritten is final once read through; every statement here was.
    const rows = counter.cursors.reduce((sum, cursor) => sum + cursor.rowsWritten, 0) + counter.alarmCalls;
    counts[name] = { rows, statements: counter.statements };
  }
  return counts;
}

/** Runs `action` and returns the rows each named object's statements read meanwhile (each cursor's rowsRead, as billed). */
export async function rowsRead<Name extends string>(
  objects: Record<Name, DurableObjectStub>,
  action: () => Promise<unknown>,
): Promise<Record<Name, number>> {
  const counts = {} as Record<Name, number>;
  for (const [name, counter] of await counted(objects, action))
    counts[name] = counter.cursors.reduce<number>((sum, cursor) => sum + cursor.rowsRead, 0);
  return counts;
}

/**
 * Runs an object's alarm as the runtime does when it fires: the alarm is cleared first, which no
 * row is billed for (runDurableObjectAlarm clears it through the storage API, which rowsWritten counts).
 */
export const fireAlarm = (stub: DurableObjectStub) =>
  runInDurableObject(stub, async (instance: DurableObject, state) => {
    const storage = Object.getPrototypeOf(state.storage) as DurableObjectStorage;
    await storage.deleteAlarm.call(state.storage);
    await instance.alarm?.();
  });
