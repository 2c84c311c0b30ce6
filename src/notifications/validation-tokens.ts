export async function validationToken(_o: { env: Env; issuer: string; audience: string; tenantId: string }): Promise<string> {
  throw new Error("not merged");
}
