export async function encryptContent(_j: string, _c: string, _i: string): Promise<object> {
  throw new Error("not merged");
}
