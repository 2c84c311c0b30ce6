// CPU profiles of workerd's isolate, taken through the inspector that wrangler's dev server
// exposes (the Chrome DevTools protocol: Profiler.start / Profiler.stop). The Worker and its
// Durable Objects share one isolate under `wrangler dev`, so one profile covers the whole request.
// Frames are mapped back to their source file through the bundle's source map.
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A minimal DevTools protocol client over the inspector's WebSocket. */
class Inspector {
  /** Every script the isolate has parsed (reported after Debugger.enable), by id. */
  readonly scripts = new Map<string, { url: string; sourceMapURL: string }>();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as {
        id?: number;
        method?: string;
        params?: { scriptId: string; url: string; sourceMapURL: string };
        result?: unknown;
        error?: { message: string };
      };
      if (message.method === "Debugger.scriptParsed" && message.params) {
        this.scripts.set(message.params.scriptId, { url: message.params.url, sourceMapURL: message.params.sourceMapURL });
      }
      if (message.id === undefined) return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result);
    });
  }

  static async connect(inspectorOrigin: URL): Promise<Inspector> {
    const targets = (await (await fetch(new URL("/json", inspectorOrigin))).json()) as { webSocketDebuggerUrl: string }[];
    // The inspector proxy accepts DevTools connections only from a local Origin.
    const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl, { headers: { Origin: "http://localhost" } } as unknown as string[]);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error("inspector connection failed")), { once: true });
    });
    return new Inspector(socket);
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject }));
  }

  close(): void {
    this.socket.close();
  }
}

/** Profiles the isolate while `during` runs. */
export async function profileWhile<T>(inspectorOrigin: URL, during: () => Promise<T>): Promise<{ profile: CpuProfile; value: T }> {
  const inspector = await Inspector.connect(inspectorOrigin);
  try {
    await locateBundles(inspector);
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: 250 });
    await inspector.send("Profiler.start");
    const value = await during();
    const { profile } = await inspector.send<{ profile: CpuProfile }>("Profiler.stop");
    await inspector.send("Profiler.disable");
    return { profile, value };
  } finally {
    inspector.close();
  }
}

export interface FrameCost {
  /** function (file:line), the file relative to the project, through the source map. */
  frame: string;
  /** Where it lives: a src/ file, an npm package, or the runtime. */
  area: string;
  selfMs: number;
  selfShare: number;
}

export interface ProfileSummary {
  sampledMs: number;
  /** Share of samples where the isolate was idle (waiting on I/O, storage or the next request). */
  idleShare: number;
  /** Self time by area (src/ directory, npm package, runtime), largest first. */
  areas: { area: string; selfMs: number; selfShare: number; inclusiveShare?: number }[];
  /** The functions with the most self time. */
  top: FrameCost[];
  /** Inclusive share of busy samples under each named function (verifyAccessToken) or source path (src/objects/FeedObject.ts). */
  inclusive: Record<string, number>;
  /**
   * The same entries as an exclusive split: each busy sample counts for the innermost entry on its
   * stack only, so a middleware's share leaves out the middleware and handler it awaits.
   */
  innermost: Record<string, number>;
}

/** Source maps by script id, for the bundles wrangler built for the profiled Worker. */
const sourceMaps = new Map<string, SourceMap>();

/** Loads the source map of every bundle the isolate has parsed (wrangler writes them to .wrangler/tmp). */
async function locateBundles(inspector: Inspector): Promise<void> {
  await inspector.send("Debugger.enable");
  // The parsed scripts are reported as events right after Debugger.enable.
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const [scriptId, { url, sourceMapURL }] of inspector.scripts) {
    if (!url.startsWith("file:") || !sourceMapURL) continue;
    try {
      const path = fileURLToPath(new URL(sourceMapURL, url));
      if (existsSync(path)) sourceMaps.set(scriptId, new SourceMap(JSON.parse(readFileSync(path, "utf8"))));
    } catch {
      // A script without a readable map stays unmapped.
    }
  }
  await inspector.send("Debugger.disable");
}

/**
 * Original file, line and function name of a frame, the file relative to the project root. The
 * bundle may be minified: the source map's name at the function's start is its name in the source.
 */
function originalPosition(frame: CallFrame, root: string): { file: string; line: number; name: string | undefined } | undefined {
  const map = sourceMaps.get(frame.scriptId);
  if (!map) return undefined;
  const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number; name?: string };
  if (!entry.originalSource) return undefined;
  let file = entry.originalSource.startsWith("file:") ? fileURLToPath(entry.originalSource) : entry.originalSource;
  const at = file.indexOf(root);
  if (at >= 0) file = file.slice(at + root.length + 1);
  file = file.replace(/^(\.\.\/)+/, "");
  return { file, line: (entry.originalLine ?? 0) + 1, name: entry.name };
}

/**
 * A frame's function name: the source map's for a named function that minifying renamed (an
 * anonymous function has no name of its own, and the map's nearest name would be a neighbour's).
 */
function nameFor(frame: CallFrame, position: { name: string | undefined } | undefined): string {
  if (!frame.functionName) return "(anonymous)";
  return position?.name ?? frame.functionName;
}

/** Which part of the code a file belongs to: the npm package, or the src/ directory. */
function areaOf(file: string | undefined, functionName: string): string {
  if (!file) {
    if (functionName === "(idle)" || functionName === "(program)" || functionName === "(garbage collector)") return functionName;
    return "runtime (native, workerd)";
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return `npm: ${pkg[1]}`;
  const dir = /^(src\/[^/]+)\//.exec(file);
  if (dir) return `${dir[1]}/`;
  if (file.startsWith("src/")) return file;
  if (file.startsWith("bench/")) return "bench wrapper";
  return file.includes("wrangler") || file.includes("miniflare") ? "wrangler dev shims" : file;
}

/** Self time by function and by area, and the inclusive time of the named functions. */
export function summarise(profile: CpuProfile, root: string, inclusiveOf: string[] = []): ProfileSummary {
  const totalSamples = profile.samples?.length ?? profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const sampledMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = totalSamples ? sampledMs / totalSamples : 0;
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const frames = new Map<string, { area: string; samples: number }>();
  const areas = new Map<string, number>();
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const position = originalPosition(node.callFrame, root);
    const name = nameFor(node.callFrame, position);
    if (name === "(idle)") idle += hits;
    const area = areaOf(position?.file, name);
    const key = position ? `${name} (${position.file}:${position.line})` : `${name}${node.callFrame.url ? "" : " [native]"}`;
    const entry = frames.get(key) ?? { area, samples: 0 };
    entry.samples += hits;
    frames.set(key, entry);
    areas.set(area, (areas.get(area) ?? 0) + hits);
  }

  // Inclusive: a sample counts for an entry when a frame it matches is anywhere on its stack. An
  // entry is a function name, or a source file or directory (it contains a "/"), which also
  // catches anonymous functions such as a middleware's handler.
  const inclusive: Record<string, number> = {};
  const innermost: Record<string, number> = {};
  const frameOf = new Map(
    profile.nodes.map((node) => {
      const position = originalPosition(node.callFrame, root);
      return [node.id, { name: nameFor(node.callFrame, position), file: position?.file ?? "" }];
    }),
  );
  // "a + b": any frame of either, counted inclusively only (an object's code spread over files).
  const matches = (entry: string, frame: { name: string; file: string }): boolean =>
    entry.includes(" + ")
      ? entry.split(" + ").some((part) => matches(part, frame))
      : entry.includes("/")
        ? frame.file.startsWith(entry)
        : frame.name === entry;
  if (inclusiveOf.length) {
    const counts = new Map<string, number>(inclusiveOf.map((entry) => [entry, 0]));
    const deepest = new Map<string, number>(inclusiveOf.map((entry) => [entry, 0]));
    for (const node of profile.nodes) {
      const hits = node.hitCount ?? 0;
      if (!hits || frameOf.get(node.id)!.name === "(idle)") continue;
      const seen = new Set<string>();
      let first: string | undefined;
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const frame = frameOf.get(id)!;
        for (const entry of inclusiveOf) {
          if (!matches(entry, frame)) continue;
          seen.add(entry);
          if (!entry.includes(" + ")) first ??= entry;
        }
      }
      for (const entry of seen) counts.set(entry, counts.get(entry)! + hits);
      if (first !== undefined) deepest.set(first, deepest.get(first)! + hits);
    }
    const busy = totalSamples - idle || 1;
    for (const [entry, hits] of counts) inclusive[entry] = round(hits / busy);
    for (const [entry, hits] of deepest) innermost[entry] = round(hits / busy);
  }

  const busy = totalSamples - idle || 1;
  return {
    sampledMs: round(sampledMs),
    idleShare: round(idle / (totalSamples || 1)),
    areas: [...areas]
      .filter(([area]) => area !== "(idle)")
      .sort((a, b) => b[1] - a[1])
      .map(([area, samples]) => ({ area, selfMs: round(samples * msPerSample), selfShare: round(samples / busy) })),
    top: [...frames]
      .filter(([, entry]) => entry.area !== "(idle)")
      .sort((a, b) => b[1].samples - a[1].samples)
      .slice(0, 25)
      .map(([frame, entry]) => ({
        frame,
        area: entry.area,
        selfMs: round(entry.samples * msPerSample),
        selfShare: round(entry.samples / busy),
      })),
    inclusive,
    innermost,
  };
}

const round = (value: number) => Math.round(value * 1000) / 1000;
