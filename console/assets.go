package console

import (
	"embed"
	"io/fs"
	"net/http"
)

// The console's static files: our stylesheet and script, and the vendored
// npm packages (assets/vendor, fetched by assets/vendor.sh at pinned versions).
//
//go:embed assets/*.css assets/*.js assets/vendor/*.css assets/vendor/*.js
var assetFS embed.FS

func assetHandler() http.Handler {
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// docs is the API reference: the OpenAPI document drawn by the vendored
// Swagger UI, under the console's policy (its icons are data: images).
func docs(w http.ResponseWriter, r *http.Request) {
	headers(w)
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write([]byte(docsPage))
}

const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference · Gatehouse</title>
<link rel="stylesheet" href="/assets/vendor/swagger-ui.css">
<link rel="stylesheet" href="/assets/docs.css">
</head>
<body>
<main id="api" aria-label="API reference"></main>
<script src="/assets/vendor/swagger-ui-bundle.js"></script>
<script src="/assets/docs.js"></script>
</body>
</html>
`
