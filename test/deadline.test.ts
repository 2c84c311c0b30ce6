// One object's deadlines on one timer: a call answered in time settles as it does, one that is
// not is rejected soon after its deadline, and the timer stops once no call waits.
import { expect, it, vi } from "vitest";
import { Deadlines } from "../src/objects/deadline";

it("settles as the call does in time, rejects a call past its deadline within a tick, and stops its timer when none waits", async () => {
  const intervals = vi.spyOn(globalThis, "setInterval");
  const cleared = vi.spyOn(globalThis, "clearInterval");
  const deadlines = new Deadlines();
  const started = Date.now();
  const hanging = deadlines.race(new Promise(() => {}), 150, "a hanging call");
  const answered = await Promise.all([1, 2, 3].map((n) => deadlines.race(Promise.resolve(n), 150, "an answered call")));
  expect(answered).toEqual([1, 2, 3]);
  await expect(deadlines.race(Promise.reject(new Error("refused")), 150, "a refused call")).rejects.toThrow("refused");
  await expect(hanging).rejects.toThrow("a hanging call: no answer within 150 ms");
  const elapsed = Date.now() - started;
  expect(elapsed).toBeGreaterThanOrEqual(150);
  expect(elapsed).toBeLessThan(400);
  // Five calls, one timer; stopped by the tick that found nothing waiting.
  expect(intervals).toHaveBeenCalledTimes(1);
  await new Promise((resolve) => setTimeout(resolve, 250));
  expect(cleared).toHaveBeenCalledTimes(1);
  vi.restoreAllMocks();
});
