// Development tokens, minted exactly as `npm run token` mints them (scripts/dev-token.ts).
import { mintDevToken } from "../scripts/dev-token.ts";

export interface Identity {
  tenantId: string;
  userId: string;
  appId: string;
}

export const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const APP = "11111111-2222-3333-4444-555555555555";

/** A fresh identity: its own user, so its own activities and its own feed. */
export const newIdentity = (): Identity => ({ tenantId: TENANT, userId: crypto.randomUUID(), appId: APP });

/** A bearer token for `identity`, valid for `ttlSeconds`. */
export function mintToken(identity: Identity, ttlSeconds = 3600): Promise<string> {
  return mintDevToken({ user: identity.userId, tenant: identity.tenantId, app: identity.appId, ttl: ttlSeconds });
}
