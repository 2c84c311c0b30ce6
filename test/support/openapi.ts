// The OpenAPI documents as a documentation tool reads them: their operations, every schema in them,
// and the request a tool such as Swagger UI or Redoc generates for an operation (its sample body
// and the examples of its path parameters).

type Schema = Record<string, any>;
type Document = Record<string, any>;

/** One operation of a document: its method in upper case, its path template, and the operation object. */
export interface Operation {
  method: string;
  path: string;
  operation: Record<string, any>;
}

/** Every operation of `document`, in document order. */
export const operationsOf = (document: Document): Operation[] =>
  Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );

/** Every object in `value` that has a `pattern` string (schemas; nothing else in these documents has one), with where it is. */
export function patternsIn(value: unknown, where = "#"): { where: string; schema: Schema }[] {
  if (value === null || typeof value !== "object") return [];
  const own = typeof (value as Schema).pattern === "string" ? [{ where, schema: value as Schema }] : [];
  return [...own, ...Object.entries(value).flatMap(([key, child]) => patternsIn(child, `${where}/${key}`))];
}

/** The object `schema` names (a schema, a response): itself, or the component its $ref points to. */
export function resolved(schema: Schema, document: Document): Schema {
  if (typeof schema.$ref !== "string") return schema;
  const target = (schema.$ref as string)
    .slice(2)
    .split("/")
    .reduce<any>((node, key) => node?.[key], document);
  if (!target) throw new Error(`${schema.$ref} names nothing in the document`);
  return resolved(target, document);
}

// The values Swagger UI gives a string of these formats when the schema has no example.
const STRING_FORMATS: Record<string, string> = {
  "date-time": new Date().toISOString(),
  uuid: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  uri: "https://example.com/",
};

/**
 * The value a documentation tool generates for `schema`, by the rules Swagger UI and Redoc
 * (openapi-sampler) follow: its example, else its default, else its first enum value, else one
 * made from its type; an object with every property but the read-only ones, an array of one
 * item. Stricter than they are where they would guess: a pattern or a schema without a type
 * needs an example, or this throws, naming where.
 */
export function sampleOf(schema: Schema, document: Document, where = "body"): unknown {
  const own = resolved(schema, document);
  if (own.example !== undefined) return own.example;
  if (Array.isArray(own.examples) && own.examples.length) return own.examples[0];
  if (own.default !== undefined) return own.default;
  if (Array.isArray(own.enum)) return own.enum[0];
  const alternatives = own.anyOf ?? own.oneOf;
  if (alternatives) return sampleOf(alternatives[0], document, where);
  const type = [own.type].flat().find((name) => name !== undefined && name !== "null") ?? (own.properties ? "object" : undefined);
  switch (type) {
    case "object":
      return Object.fromEntries(
        Object.entries((own.properties ?? {}) as Record<string, Schema>)
          .filter(([, property]) => !resolved(property, document).readOnly)
          .map(([name, property]) => [name, sampleOf(property, document, `${where}.${name}`)]),
      );
    case "array":
      return [sampleOf(own.items ?? {}, document, `${where}[0]`)];
    case "string":
      if (own.pattern !== undefined) throw new Error(`${where}: a pattern (${own.pattern}) with no example`);
      return STRING_FORMATS[own.format] ?? "string";
    case "integer":
    case "number":
      return own.minimum ?? 0;
    case "boolean":
      return true;
    default:
      throw new Error(`${where}: no type and no example`);
  }
}

/** The body a documentation tool generates for an operation's JSON request body. */
export const sampleBody = (operation: Operation, document: Document) =>
  sampleOf(operation.operation.requestBody.content["application/json"].schema, document);

/**
 * The URL path a documentation tool calls for an operation: the document's first server, and each
 * path parameter's value from `values`, else its example, percent-encoded as Swagger UI encodes it.
 */
export function samplePath(operation: Operation, document: Document, values: Record<string, string> = {}): string {
  const server = (document.servers?.[0]?.url ?? "/").replace(/\/$/, "");
  const parameters = (operation.operation.parameters ?? []) as Schema[];
  return `${server}${operation.path}`.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const parameter = parameters.find((candidate) => candidate.in === "path" && candidate.name === name);
    const value = values[name] ?? parameter?.example ?? parameter?.schema?.example;
    if (value === undefined) throw new Error(`${operation.method} ${operation.path}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
}
