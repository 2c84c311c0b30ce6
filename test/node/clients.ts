// Microsoft's SDKs set up as an app would point them at this service instead of graph.microsoft.com.
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import {
  AllowedHostsValidator,
  BaseBearerTokenAuthenticationProvider,
  createUntypedArray,
  createUntypedBoolean,
  createUntypedNull,
  createUntypedNumber,
  createUntypedObject,
  createUntypedString,
  isUntypedArray,
  isUntypedNode,
  isUntypedObject,
  validateProtocol,
  type AccessTokenProvider,
  type ErrorMappings,
  type UntypedNode,
} from "@microsoft/kiota-abstractions";
import { Client } from "@microsoft/microsoft-graph-client";
import { createGraphServiceClient, GraphRequestAdapter, type GraphServiceClient } from "@microsoft/msgraph-sdk";
import { createODataErrorFromDiscriminatorValue } from "@microsoft/msgraph-sdk/models/oDataErrors/index.js";
import "@microsoft/msgraph-sdk-users";
import "@microsoft/msgraph-sdk-subscriptions";

/** Kiota's mapping of every error status to Graph's ODataError. */
export const errorMappings: ErrorMappings = { XXX: createODataErrorFromDiscriminatorValue };

/** Hands out a development token for the service's host, as an Entra ID token provider would for Graph's. */
class DevelopmentTokenProvider implements AccessTokenProvider {
  private readonly hosts: AllowedHostsValidator;
  constructor(
    private readonly token: string,
    host: string,
  ) {
    this.hosts = new AllowedHostsValidator(new Set([host]));
  }
  getAuthorizationToken = async (url?: string): Promise<string> => {
    if (!url || !this.hosts.isUrlHostValid(url)) return "";
    validateProtocol(url);
    return this.token;
  };
  getAllowedHostsValidator = () => this.hosts;
}

export interface KiotaSdk {
  client: GraphServiceClient;
  adapter: GraphRequestAdapter;
}

/** The Kiota SDK's client and request adapter, pointed at the service's /v1.0 on `origin` (plain HTTP is fine for Kiota on 127.0.0.1). */
export function kiotaSdk(origin: string, token: string): KiotaSdk {
  const adapter = new GraphRequestAdapter(
    new BaseBearerTokenAuthenticationProvider(new DevelopmentTokenProvider(token, new URL(origin).hostname)),
  );
  adapter.baseUrl = `${origin}/v1.0`;
  return { client: createGraphServiceClient(adapter), adapter };
}

/**
 * The classic client (v3) pointed at `origin`, which must be the HTTPS instance: the client sends the
 * token only to https:// hosts named in customHosts. Trusts that instance's self-signed certificate.
 */
export function classicClient(origin: string, certificate: string, token: string): Client {
  const trusted = getCACertificates("default");
  if (!trusted.includes(certificate)) setDefaultCACertificates([...trusted, certificate]);
  return Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => token },
    baseUrl: `${origin}/`,
    defaultVersion: "v1.0",
    customHosts: new Set([new URL(origin).hostname]),
  });
}

/** JSON as the SDK's untyped nodes (contentInfo, visualElements.content). */
export function untyped(value: unknown): UntypedNode {
  if (value === null) return createUntypedNull();
  if (Array.isArray(value)) return createUntypedArray(value.map(untyped));
  if (typeof value === "object")
    return createUntypedObject(Object.fromEntries(Object.entries(value).map(([key, item]) => [key, untyped(item)])));
  if (typeof value === "number") return createUntypedNumber(value);
  if (typeof value === "boolean") return createUntypedBoolean(value);
  return createUntypedString(String(value));
}

/** A model with every untyped node turned back into plain JSON, so that whole models compare with toEqual. */
export function plain(value: unknown): unknown {
  if (isUntypedNode(value)) {
    if (isUntypedObject(value)) return Object.fromEntries(Object.entries(value.getValue()).map(([key, node]) => [key, plain(node)]));
    if (isUntypedArray(value)) return value.getValue().map(plain);
    return value.getValue();
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  }
  return value;
}
