/** Settles as `call` does, or rejects once `ms` have passed without an answer (the call itself is not cancelled). */
export async function withDeadline<T>(call: T, ms: number, what: string): Promise<Awaited<T>> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([call, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
