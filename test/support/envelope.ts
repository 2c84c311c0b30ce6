import { expect } from "vitest";

/** Graph writes an error's date without fractional seconds or zone designator. */
export const ERROR_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

/** Graph's error envelope with these ids (matchers allowed), for toEqual. */
export const errorEnvelope = (code: string, message: unknown, requestId: unknown, clientRequestId: unknown) => ({
  error: {
    code,
    message,
    innerError: { date: expect.stringMatching(ERROR_DATE), "request-id": requestId, "client-request-id": clientRequestId },
  },
});
