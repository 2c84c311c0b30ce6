// The interactive reference: the service's own OpenAPI document, rendered by Swagger UI served
// from this same origin (no CDN). "Authorize" takes a bearer token (npm run -s token).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  // The default validator badge calls a third-party service; the page must work without one.
  validatorUrl: null,
});
