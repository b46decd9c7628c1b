// Draws the OpenAPI document with Swagger UI; kept out of the page so the
// Content-Security-Policy needs no inline script.
window.addEventListener("DOMContentLoaded", function () {
  window.SwaggerUIBundle({ url: "/openapi.json", dom_id: "#api", deepLinking: false, tryItOutEnabled: false });
});
