// Who a development token names unless told otherwise: one definition for `npm run token` and the
// tests, so what a test expects of the default caller is what the minter puts in the token.
export const DEV_IDENTITY = {
  /** oid */
  user: "00000000-0000-0000-0000-00000000a11c",
  /** tid */
  tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47",
  /** azp */
  app: "11111111-2222-3333-4444-555555555555",
  /** scp: the one delegated scope this API asks for */
  scope: "UserActivity.ReadWrite.CreatedByApp",
} as const;

/** Who an application token (`--app-only`) names unless told otherwise: a tenant's daemon app. */
export const DEV_APPLICATION = {
  /** oid: Entra ID puts the calling app's service principal here */
  servicePrincipal: "00000000-0000-0000-0000-0000000000ad",
  /** roles: the app role the admin routes ask for (ADMIN_ROLE's default) */
  roles: ["UserActivity.Admin"],
} as const;
