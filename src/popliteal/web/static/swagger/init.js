// Swagger UI for /docs, served from this site (no CDN), started without inline script (CSP).
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
