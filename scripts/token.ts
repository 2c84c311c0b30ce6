// Mints a development access token signed by the local key set (dev/signing-key.json).
// Only `wrangler dev` and the tests trust that key; a deployed instance never does.
import { commandLine } from "./command-line.ts";
import { DEV_APPLICATION } from "./dev-identity.ts";
import { DEV_TOKEN_DEFAULTS, mintDevToken } from "./dev-token.ts";

const USAGE = `Usage: npm run -s token -- [--user <oid>] [--tenant <tid>] [--app <appId>] [--scope "<scopes>"] [--ttl <seconds>]
                             [--upn <name>] [--preferred-username <name>]
       npm run -s token -- --app-only [--role <role>]... [--tenant <tid>] [--app <appId>] [--user <oid>] [--ttl <seconds>]

  --user    the user's object id (oid)         default ${DEV_TOKEN_DEFAULTS.user}
            (with --app-only: the app's service principal, default ${DEV_APPLICATION.servicePrincipal})
  --tenant  the tenant id (tid)                default ${DEV_TOKEN_DEFAULTS.tenant}
  --app     the client application id (azp)    default ${DEV_TOKEN_DEFAULTS.app}
  --scope   space-separated delegated scopes   default ${DEV_TOKEN_DEFAULTS.scope}
  --ttl     lifetime in seconds; negative mints an expired token   default ${DEV_TOKEN_DEFAULTS.ttl}
  --upn     the user principal name as v1.0 tokens carry it (upn)       default none
  --preferred-username <name>
            the same as v2.0 tokens carry it (preferred_username)      default none
  --app-only
            an application token (client credentials), as the /admin routes need: roles instead of scp
  --role    an app role in roles (repeat for several; --app-only only)   default ${DEV_APPLICATION.roles.join(", ")}

  /users/{user}/activities accepts the user's oid, upn or preferred_username as {user}.`;

const options = {
  user: { type: "string" },
  tenant: { type: "string", default: DEV_TOKEN_DEFAULTS.tenant },
  app: { type: "string", default: DEV_TOKEN_DEFAULTS.app },
  scope: { type: "string", default: DEV_TOKEN_DEFAULTS.scope },
  ttl: { type: "string", default: String(DEV_TOKEN_DEFAULTS.ttl) },
  upn: { type: "string" },
  "preferred-username": { type: "string" },
  "app-only": { type: "boolean", default: false },
  role: { type: "string", multiple: true },
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

const values = commandLine(options, USAGE, args);
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl)) {
  console.error(`--ttl must be a whole number of seconds, got '${values.ttl}'.\n\n${USAGE}`);
  process.exit(2);
}

if (values.role && !values["app-only"]) {
  console.error(`--role needs --app-only: delegated tokens carry scopes (--scope), application tokens carry roles.\n\n${USAGE}`);
  process.exit(2);
}

console.log(
  await mintDevToken({
    user: values.user,
    tenant: values.tenant,
    app: values.app,
    scope: values.scope,
    ttl,
    upn: values.upn,
    preferredUsername: values["preferred-username"],
    appOnly: values["app-only"],
    roles: values.role,
  }),
);
