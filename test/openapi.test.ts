import { expect, it } from "vitest";
import { openApiDocument } from "../src/openapi";
import { DOCUMENTED_OPERATIONS } from "./support/operations";

it("public/openapi.json is the document built from the same schemas, every route once", async () => {
  const document = openApiDocument() as any;
  // The served file must be this very document: after changing a route, npm run openapi rewrites it.
  await expect(`${JSON.stringify(document, null, 2)}\n`).toMatchFileSnapshot("../public/openapi.json");
  expect(document.openapi).toBe("3.1.0");
  expect(document.servers).toEqual([{ url: "/v1.0" }, { url: "/beta" }, { url: "/" }]);
  // The Authorize dialog shows the scheme's description: where a token comes from, locally and deployed.
  expect(document.components.securitySchemes).toEqual({
    bearer: {
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
      description: expect.stringMatching(/`npm run -s token` prints one.*Microsoft Entra ID token.*docs\/deploying\.md/),
    },
  });
  const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );
  expect(operations.sort()).toEqual([...DOCUMENTED_OPERATIONS].sort());
  // /users/{user} is declared by the mount: every operation under it documents the parameter.
  for (const [path, item] of Object.entries(
    document.paths as Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>,
  )) {
    for (const operation of Object.values(item)) {
      expect((operation.parameters ?? []).some((parameter) => parameter.name === "user" && parameter.in === "path")).toBe(
        path.startsWith("/users/{user}/"),
      );
    }
  }
  // The request schemas are the validators' own: required properties and closed objects.
  const put = document.components.schemas.activityHistoryItemReplace;
  expect(put.required).toEqual(["startedDateTime"]);
  expect(put.additionalProperties).toBe(false);
  expect(document.components.schemas.userActivityPut.required.sort()).toEqual(["activationUrl", "activitySourceHost", "visualElements"]);
  expect(document.components.schemas.userActivityCreate.required.sort()).toEqual([
    "activationUrl",
    "activitySourceHost",
    "appActivityId",
    "visualElements",
  ]);
  // PATCH bodies are documented, not validated by the route: the object holds the merged result to the PUT's schema.
  expect(document.components.schemas.userActivityPatch.required).toBeUndefined();
  expect(document.components.schemas.activityHistoryItemPatch.required).toBeUndefined();
});
