// Prints a private JSON Web Key Set for NOTIFICATION_SIGNING_KEY, the secret that signs rich notifications'
// validationTokens: one new RS256 key of 2048 bits, or, with --add, an existing set with the new key last
// (the first step of a rotation, docs/deploying.md). Keep the output as safe as any private key.
import { readFileSync } from "node:fs";
import { commandLine } from "./command-line.ts";
import { exportJWK, generateKeyPair, type JWK } from "jose";

const USAGE = `Usage: npm run -s notification-key                          a set of one new key
       npm run -s notification-key -- --add <current.json>     the current set with a new key last

  Pipe it to the Worker: npm run -s notification-key | npx wrangler secret put NOTIFICATION_SIGNING_KEY`;

const values = commandLine({ add: { type: "string" }, help: { type: "boolean", short: "h" } }, USAGE);

/** The keys of the set in `path`, each an RSA private key with a kid; exits naming the problem otherwise. */
function currentKeys(path: string): JWK[] {
  let set: { keys?: unknown };
  try {
    set = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    console.error(`${path} is not a JSON file: ${(error as Error).message}`);
    process.exit(2);
  }
  const keys = set?.keys;
  const valid =
    Array.isArray(keys) && keys.every((key: JWK) => key?.kty === "RSA" && typeof key.d === "string" && typeof key.kid === "string");
  if (!valid) {
    console.error(`${path} is not a key set of RSA private keys with kids (the NOTIFICATION_SIGNING_KEY this script prints).`);
    process.exit(2);
  }
  return keys;
}

const keys = values.add === undefined ? [] : currentKeys(values.add);
// The kid is the day the key was made; a second key on the same day gets a suffix.
const day = new Date().toISOString().slice(0, 10);
let kid = `notifications-${day}`;
for (let n = 2; keys.some((key) => key.kid === kid); n++) kid = `notifications-${day}-${n}`;

const { privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
const { kty, n, e, d, p, q, dp, dq, qi } = await exportJWK(privateKey);
keys.push({ kty, n, e, d, p, q, dp, dq, qi, kid, alg: "RS256", use: "sig" });
console.log(JSON.stringify({ keys }));
