import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { versionPrefix } from "./odata";

/** OData's system query options, as Graph names them. */
const SYSTEM_QUERY_OPTIONS = new Set([
  "$count",
  "$deltatoken",
  "$expand",
  "$filter",
  "$format",
  "$orderby",
  "$search",
  "$select",
  "$skip",
  "$skiptoken",
  "$top",
]);

/**
 * The canonical name of a query option: system options are case-insensitive (`$TOP`, the classic
 * client's `$skipToken`) and, on /beta, may leave out their `$` (`top=5`), as Graph documents.
 * Any other name is kept as sent, so an error can quote it.
 */
function canonicalName(name: string, dollarOptional: boolean): string {
  const lower = name.toLowerCase();
  if (SYSTEM_QUERY_OPTIONS.has(lower)) return lower;
  if (dollarOptional && SYSTEM_QUERY_OPTIONS.has(`$${lower}`)) return `$${lower}`;
  return name;
}

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    return raw;
  }
}

/** The URL as every route reads it: no trailing slash, query option names canonical, values untouched. */
function canonicalUrl(url: string): string {
  const parsed = new URL(url);
  const prefix = versionPrefix(parsed.pathname);
  if (parsed.pathname.length > prefix.length + 1 && parsed.pathname.endsWith("/")) parsed.pathname = parsed.pathname.slice(0, -1);
  if (parsed.search) {
    const options = parsed.search
      .slice(1)
      .split("&")
      .map((option) => {
        const equals = option.indexOf("=");
        const name = equals < 0 ? option : option.slice(0, equals);
        const canonical = canonicalName(decodedName(name), prefix === "/beta");
        return canonical === decodedName(name) ? option : `${canonical}${equals < 0 ? "" : option.slice(equals)}`;
      });
    parsed.search = options.join("&");
  }
  return parsed.href;
}

/**
 * Rewrites the request, before any route reads it, to its canonical URL: a trailing slash names
 * the same resource, and query option names are matched as Graph matches them. Validators, handlers
 * and @odata.nextLink then see one spelling; the request as received stays in the context as `received`
 * (a page of the site is asked for as sent).
 */
export function canonicalRequest(): MiddlewareHandler<AppEnv> {
  return async function canonicalRequest(c, next) {
    const url = canonicalUrl(c.req.url);
    if (url !== c.req.url) {
      c.set("received", c.req.raw);
      c.req.raw = new Request(url, c.req.raw);
    }
    await next();
  };
}
