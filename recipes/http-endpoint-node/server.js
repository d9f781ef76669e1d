// One static HTTP endpoint: answers every request on :8080 with a fixed body.
const http = require('http');

http
  .createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('hello from Node.js\n');
  })
  .listen(8080);
