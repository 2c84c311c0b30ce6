// The part of autocannon's API that bench/load.ts uses (the package ships no types).
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    setupRequest?: (request: { path: string }, context: object) => { path: string } | undefined;
  }

  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    sampleInt?: number;
    timeout?: number;
    warmup?: { connections: number; duration: number };
    requests?: Request[];
  }

  interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    start: Date;
    finish: Date;
  }

  type Instance = EventEmitter & PromiseLike<Result>;

  export default function autocannon(options: Options): Instance;
}
