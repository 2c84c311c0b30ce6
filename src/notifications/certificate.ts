// A rich notification's encryption certificate, as POST /subscriptions takes it (encryptionCertificate).

/** What is wrong with an encryptionCertificate (base64 X.509), as a phrase for a 400; null when it can be used. */
export async function certificateProblem(base64: string): Promise<string | null> {
  try {
    atob(base64);
    return null;
  } catch {
    return "expected a base64-encoded X.509 certificate";
  }
}
