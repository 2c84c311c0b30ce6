// The interactive reference: the service's own OpenAPI document, rendered by Swagger UI served
// from this same origin (no CDN). "Authorize" takes a bearer token (npm run -s token), which
// Swagger UI keeps in the page's memory only: never in localStorage, gone when the tab closes.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  // The default validator badge calls a third-party service; the page must work without one.
  validatorUrl: null,
});
