/**
 * The API reference page: Swagger UI (bundled with the project, served from this host) rendering
 * ./openapi.json, the document the serving function embeds (lib/http/openapi.ts), which needs no
 * key. "Authorize" takes an API key for "Try it out", which calls the API on this same origin.
 */
declare const SwaggerUIBundle: (options: Record<string, unknown>) => unknown;

SwaggerUIBundle({
  url: '/docs/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // The default validator badge would fetch from validator.swagger.io: nothing leaves this host.
  validatorUrl: null,
});
