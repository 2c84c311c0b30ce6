import { env } from "cloudflare:workers";

interface TestLimiters {
  TEST_READ_LIMITER: RateLimit;
  TEST_WRITE_LIMITER: RateLimit;
}

/** The Worker's env with throttling as given and the tiny test limiters (3 reads, 2 writes a minute, vitest.config.ts) in place of the deployed ones. */
export function throttledEnv(rateLimiting = "on"): Env {
  const limiters = env as unknown as TestLimiters;
  return { ...env, RATE_LIMITING: rateLimiting, READ_LIMITER: limiters.TEST_READ_LIMITER, WRITE_LIMITER: limiters.TEST_WRITE_LIMITER };
}
