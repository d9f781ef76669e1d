"""One static HTTP endpoint: answers every GET on :8080 with a fixed body."""
from http.server import BaseHTTPRequestHandler, HTTPServer

BODY = b"hello from Python\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


HTTPServer(("", 8080), Handler).serve_forever()
