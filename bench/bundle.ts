// The deployable bundle: what `wrangler deploy --dry-run --outdir` produces, its gzip size, and
// which inputs (npm packages, src/ directories) take the most room in it (esbuild's metafile).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT } from "./workers.ts";

export interface BundleSize {
  rawBytes: number;
  gzipBytes: number;
  /** What wrangler itself printed ("Total Upload: … / gzip: …"). */
  wranglerSays: string | null;
  /**
   * Bytes in the output by package or src/ directory, largest first; gzipBytes: that group's own
   * output code (cut out through the source map) compressed alone.
   */
  largest: { input: string; bytes: number; share: number; gzipBytes: number }[];
  /** The largest single input files. */
  largestFiles: { input: string; bytes: number }[];
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

const groupOf = (input: string) => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:(v4\/[^/]+)\/)?/.exec(input);
  if (pkg) return pkg[2] ? `${pkg[1]} (${pkg[2]})` : pkg[1]!;
  const dir = /^(src\/[^/]+\/)/.exec(input);
  return dir ? dir[1]! : input;
};

interface RawSourceMap {
  sources: string[];
  mappings: string;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Decodes one source-map segment (base64 VLQ) into its fields. */
function decodeSegment(segment: string): number[] {
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return fields;
}

/** The output code cut into the pieces each group's sources produced, through the source map. */
function splitBySource(code: string, map: RawSourceMap, mapDir: string): Map<string, string> {
  const groups = map.sources.map((source) => groupOf(relative(ROOT, resolve(mapDir, source))));
  const pieces = new Map<string, string[]>();
  const lines = code.split("\n");
  let source = 0;
  map.mappings.split(";").forEach((line, index) => {
    const text = lines[index] ?? "";
    let column = 0;
    const starts: { column: number; source: number }[] = [];
    for (const segment of line.split(",")) {
      if (!segment) continue;
      const fields = decodeSegment(segment);
      column += fields[0]!;
      if (fields.length >= 4) source += fields[1]!;
      starts.push({ column, source: fields.length >= 4 ? source : -1 });
    }
    starts.forEach((start, i) => {
      if (start.source < 0) return;
      const group = groups[start.source]!;
      const piece = text.slice(start.column, starts[i + 1]?.column ?? text.length);
      const list = pieces.get(group) ?? [];
      list.push(piece);
      pieces.set(group, list);
    });
  });
  return new Map([...pieces].map(([group, parts]) => [group, parts.join("\n")]));
}

/** Builds the bundle as `wrangler deploy --dry-run` would deploy it and measures it. */
export async function measureBundle(): Promise<BundleSize> {
  const outdir = mkdtempSync(join(tmpdir(), "bench-bundle-"));
  try {
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [
          join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
          "deploy",
          "--dry-run",
          "--outdir",
          outdir,
          "--metafile",
          join(outdir, "meta.json"),
        ],
        { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
        (error, stdout, stderr) => (error ? reject(new Error(`wrangler deploy --dry-run failed: ${stderr || stdout}`)) : resolve(stdout)),
      ),
    );
    const code = readFileSync(join(outdir, "index.js"));
    const gzipBytes = gzipSync(code).length;
    const meta = JSON.parse(readFileSync(join(outdir, "meta.json"), "utf8")) as Metafile;
    const bundle = Object.entries(meta.outputs).find(([name]) => name.endsWith("index.js"))![1];
    const groups = new Map<string, number>();
    for (const [input, { bytesInOutput }] of Object.entries(bundle.inputs)) {
      groups.set(groupOf(input), (groups.get(groupOf(input)) ?? 0) + bytesInOutput);
    }
    const total = [...groups.values()].reduce((sum, bytes) => sum + bytes, 0) || 1;
    const codeByGroup = splitBySource(
      code.toString("utf8"),
      JSON.parse(readFileSync(join(outdir, "index.js.map"), "utf8")) as RawSourceMap,
      outdir,
    );
    return {
      rawBytes: code.length,
      gzipBytes,
      wranglerSays: /Total Upload: [^\n]+/.exec(output)?.[0] ?? null,
      largest: [...groups]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([input, bytes]) => ({ input, bytes, share: bytes / total, gzipBytes: gzipSync(codeByGroup.get(input) ?? "").length })),
      largestFiles: Object.entries(bundle.inputs)
        .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
        .slice(0, 10)
        .map(([input, { bytesInOutput }]) => ({ input, bytes: bytesInOutput })),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
