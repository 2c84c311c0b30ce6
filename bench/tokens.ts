// Development tokens, minted in Node exactly as `npm run token` mints them (scripts/token.ts).
import { readFileSync } from "node:fs";
import { importJWK, SignJWT, type JWK } from "jose";

/** KEY=value lines of .dev.vars, the local configuration `wrangler dev` overlays on [vars]. */
export function devVars(): Record<string, string> {
  const text = readFileSync(new URL("../.dev.vars", import.meta.url), "utf8");
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) vars[match[1]!] = match[2]!.replace(/^'(.*)'$/, "$1");
  }
  return vars;
}

export interface Identity {
  tenantId: string;
  userId: string;
  appId: string;
}

export const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const APP = "11111111-2222-3333-4444-555555555555";

/** A fresh identity: its own user, so its own activities and its own feed. */
export const newIdentity = (): Identity => ({ tenantId: TENANT, userId: crypto.randomUUID(), appId: APP });

const vars = devVars();
const key = JSON.parse(readFileSync(new URL("../dev/signing-key.json", import.meta.url), "utf8")) as JWK & { kid: string };
const signingKey = await importJWK(key, "RS256");

/** A bearer token for `identity`, valid for `ttlSeconds`. */
export async function mintToken(identity: Identity, ttlSeconds = 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: vars.AUTH_ISSUERS!.split(",")[0]!.replace("{tenantid}", identity.tenantId),
    aud: vars.AUTH_AUDIENCE!.split(",")[0]!,
    tid: identity.tenantId,
    oid: identity.userId,
    azp: identity.appId,
    scp: "UserActivity.ReadWrite.CreatedByApp",
    iat: now,
    nbf: now,
    exp: now + ttlSeconds,
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid })
    .sign(signingKey);
}
