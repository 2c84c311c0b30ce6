// Mints a development access token signed by the local key set (dev/signing-key.json).
// Only `wrangler dev` and the tests trust that key; a deployed instance never does.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { importJWK, SignJWT, type JWK } from "jose";

const USAGE = `Usage: npm run -s token -- [--user <oid>] [--tenant <tid>] [--app <appId>] [--scope "<scopes>"] [--ttl <seconds>]

  --user    the user's object id (oid)         default 00000000-0000-0000-0000-00000000a11c
  --tenant  the tenant id (tid)                default 72f988bf-86f1-41af-91ab-2d7cd011db47
  --app     the client application id (azp)    default 11111111-2222-3333-4444-555555555555
  --scope   space-separated delegated scopes   default UserActivity.ReadWrite.CreatedByApp
  --ttl     lifetime in seconds; negative mints an expired token   default 3600`;

const options = {
  user: { type: "string", default: "00000000-0000-0000-0000-00000000a11c" },
  tenant: { type: "string", default: "72f988bf-86f1-41af-91ab-2d7cd011db47" },
  app: { type: "string", default: "11111111-2222-3333-4444-555555555555" },
  scope: { type: "string", default: "UserActivity.ReadWrite.CreatedByApp" },
  ttl: { type: "string", default: "3600" },
  help: { type: "boolean", short: "h", default: false },
} as const;

// parseArgs refuses a value starting with '-' (a negative ttl) unless it is joined with '='.
const argv = process.argv.slice(2);
const args: string[] = [];
for (let i = 0; i < argv.length; i++) {
  const name = argv[i]!.replace(/^--/, "");
  const takesValue = argv[i]!.startsWith("--") && options[name as keyof typeof options]?.type === "string";
  args.push(takesValue && i + 1 < argv.length ? `${argv[i]}=${argv[++i]}` : argv[i]!);
}

let values: { [K in keyof typeof options]: (typeof options)[K]["default"] };
try {
  ({ values } = parseArgs({ args, options, strict: true }) as { values: typeof values });
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl)) {
  console.error(`--ttl must be a whole number of seconds, got '${values.ttl}'.\n\n${USAGE}`);
  process.exit(2);
}

/** Reads KEY=value lines from .dev.vars, the local configuration `wrangler dev` uses. */
function devVars(): Record<string, string> {
  const text = readFileSync(new URL("../.dev.vars", import.meta.url), "utf8");
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) vars[match[1]!] = match[2]!.replace(/^'(.*)'$/, "$1");
  }
  return vars;
}

const vars = devVars();
const key = JSON.parse(readFileSync(new URL("../dev/signing-key.json", import.meta.url), "utf8")) as JWK & { kid: string };
const now = Math.floor(Date.now() / 1000);
const token = await new SignJWT({
  iss: vars.AUTH_ISSUERS!.split(",")[0]!.replace("{tenantid}", values.tenant),
  aud: vars.AUTH_AUDIENCE!.split(",")[0]!,
  tid: values.tenant,
  oid: values.user,
  azp: values.app,
  scp: values.scope,
  iat: now,
  nbf: now,
  exp: now + ttl,
})
  .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid })
  .sign(await importJWK(key, "RS256"));
console.log(token);
