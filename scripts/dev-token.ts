// Development tokens, signed by the local key set (dev/signing-key.json) that only `wrangler dev`
// and the tests trust. One place for `npm run token`, the Node-side tests, the soak and the bench.
import { readFileSync } from "node:fs";
import { importJWK, SignJWT, type JWK } from "jose";
import { DEV_APPLICATION, DEV_IDENTITY } from "./dev-identity.ts";

export interface DevTokenOptions {
  /** oid */
  user?: string;
  /** tid */
  tenant?: string;
  /** azp */
  app?: string;
  /** scp: space-separated delegated scopes */
  scope?: string;
  /** Seconds until exp; negative for a token that has already expired. */
  ttl?: number;
  /** upn, as v1.0 tokens carry the user principal name; none when absent. */
  upn?: string;
  /** preferred_username, as v2.0 tokens carry the user principal name; none when absent. */
  preferredUsername?: string;
  /** An application token (client credentials): no user and no scp, but `roles`; `user` is then the app's service principal. */
  appOnly?: boolean;
  /** roles: the app roles granted to the application (application tokens only). */
  roles?: string[];
}

export const DEV_TOKEN_DEFAULTS = {
  ...DEV_IDENTITY,
  ttl: 3600,
  appOnly: false,
  roles: [...DEV_APPLICATION.roles],
} satisfies Required<Omit<DevTokenOptions, "upn" | "preferredUsername">>;

/** KEY=value lines of .dev.vars, the local configuration `wrangler dev` overlays on [vars]. */
function devVars(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(new URL("../.dev.vars", import.meta.url), "utf8").split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) vars[match[1]!] = match[2]!.replace(/^'(.*)'$/, "$1");
  }
  return vars;
}

const vars = devVars();
const key = JSON.parse(readFileSync(new URL("../dev/signing-key.json", import.meta.url), "utf8")) as JWK & { kid: string };
const signingKey = await importJWK(key, "RS256");

/** A bearer token as Entra ID would issue it, with the issuer and audience of .dev.vars. */
export async function mintDevToken(options: DevTokenOptions = {}): Promise<string> {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const { tenant, app, scope, ttl, upn, preferredUsername, appOnly, roles } = {
    ...DEV_TOKEN_DEFAULTS,
    ...given,
  } as typeof DEV_TOKEN_DEFAULTS & DevTokenOptions;
  const user = options.user ?? (appOnly ? DEV_APPLICATION.servicePrincipal : DEV_TOKEN_DEFAULTS.user);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: vars.AUTH_ISSUERS!.split(",")[0]!.replace("{tenantid}", tenant),
    aud: vars.AUTH_AUDIENCE!.split(",")[0]!,
    tid: tenant,
    oid: user,
    azp: app,
    ...(appOnly ? { roles, idtyp: "app" } : { scp: scope }),
    ...(upn === undefined ? {} : { upn }),
    ...(preferredUsername === undefined ? {} : { preferred_username: preferredUsername }),
    iat: now,
    nbf: now,
    exp: now + ttl,
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid })
    .sign(signingKey);
}
