import { expect, it } from "vitest";
import { adminOpenApiDocument } from "../src/openapi";

it("public/admin/openapi.json is the admin routes' document, built from the schemas that validate them", async () => {
  const document = adminOpenApiDocument() as any;
  // The served file must be this very document: after changing an admin route, npm run openapi rewrites it.
  await expect(`${JSON.stringify(document, null, 2)}\n`).toMatchFileSnapshot("../public/admin/openapi.json");
  expect(document.servers).toEqual([{ url: "/" }]);
  // The Authorize dialog shows the scheme's description: where a token comes from, locally and deployed.
  expect(document.components.securitySchemes).toEqual({
    bearer: {
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
      description: expect.stringMatching(/`npm run -s token -- --app-only` prints one.*Microsoft Entra ID token.*docs\/deploying\.md/),
    },
  });
  const operations = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, Object.keys(operation.responses).sort()]),
  );
  expect(operations).toEqual([
    ["GET /admin/users/{oid}/activities", ["200", "400", "401", "403", "405", "503"]],
    ["POST /admin/users/{oid}/activities", ["200", "400", "401", "403", "405", "415", "503"]],
    ["GET /admin/users/{oid}/subscriptions", ["200", "400", "401", "403", "405", "503"]],
    ["DELETE /admin/users/{oid}", ["202", "400", "401", "403", "405", "503"]],
    ["GET /admin/users/{oid}/operations/{operationId}", ["200", "400", "401", "403", "404", "405", "503"]],
  ]);
  expect(Object.keys(document.paths["/admin/users/{oid}/activities"].get.responses["200"].content)).toEqual(["application/x-ndjson"]);
  // The import takes what the export gives: the same line schema, as NDJSON.
  const importBody = document.paths["/admin/users/{oid}/activities"].post.requestBody;
  expect(importBody.content).toEqual({ "application/x-ndjson": { schema: { $ref: "#/components/schemas/userActivityExportLine" } } });
  expect(document.paths["/admin/users/{oid}/activities"].get.responses["200"].content["application/x-ndjson"].schema).toEqual({
    $ref: "#/components/schemas/userActivityExportLine",
  });
  expect(document.components.schemas.userActivityImportResult.required.sort()).toEqual(
    ["activities", "errors", "failedLines", "historyItems", "linesRead"].sort(),
  );
  expect(document.components.schemas.userErasureOperation.required.sort()).toEqual(
    ["createdDateTime", "erased", "id", "lastActionDateTime", "status", "statusDetail"].sort(),
  );
});
