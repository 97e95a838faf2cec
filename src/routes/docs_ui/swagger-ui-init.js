// Starts Swagger UI on the document this server generates. `../openapi.json` resolves to
// /openapi.json, and to /v1/openapi.json behind a reverse proxy that mounts the API under /v1.
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: new URL('../openapi.json', window.location.href).href,
    dom_id: '#swagger-ui',
    deepLinking: true,
    // The default validator badge loads an image from validator.swagger.io: no third parties.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
    // Shown beside each summary: clients and tests refer to operations by id.
    displayOperationId: true,
  });
});
