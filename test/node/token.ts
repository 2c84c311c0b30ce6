// Development tokens for the Node-side suites, minted exactly as `npm run token` mints them.
import { readFileSync } from "node:fs";
import { importJWK, SignJWT, type JWK } from "jose";

const devVars = Object.fromEntries(
  readFileSync(new URL("../../.dev.vars", import.meta.url), "utf8")
    .split("\n")
    .flatMap((line) => {
      const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      return match ? [[match[1]!, match[2]!.replace(/^'(.*)'$/, "$1")]] : [];
    }),
) as Record<string, string>;

const key = JSON.parse(readFileSync(new URL("../../dev/signing-key.json", import.meta.url), "utf8")) as JWK & { kid: string };

export interface TokenOptions {
  user?: string;
  tenant?: string;
  app?: string;
  scope?: string;
  ttl?: number;
}

/** A bearer token signed by the local development key. */
export async function mintToken(options: TokenOptions = {}): Promise<string> {
  const tenant = options.tenant ?? "72f988bf-86f1-41af-91ab-2d7cd011db47";
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: devVars.AUTH_ISSUERS!.split(",")[0]!.replace("{tenantid}", tenant),
    aud: devVars.AUTH_AUDIENCE!.split(",")[0]!,
    tid: tenant,
    oid: options.user ?? "00000000-0000-0000-0000-00000000a11c",
    azp: options.app ?? "11111111-2222-3333-4444-555555555555",
    scp: options.scope ?? "UserActivity.ReadWrite.CreatedByApp",
    iat: now,
    nbf: now,
    exp: now + (options.ttl ?? 3600),
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid })
    .sign(await importJWK(key, "RS256"));
}
