// node:http, required rather than imported. An ES import of 'node:http' builds a module
// namespace from every export, which reads http.WebSocket, CloseEvent and MessageEvent and so
// loads Node's bundled undici: +2.3 MiB of heap and +14 MiB RSS for a client Vigil never uses
// (measured on Node 24). Requiring the module touches only the exports a caller reads.
import { createRequire } from 'node:module';
import type * as NodeHttp from 'node:http';

export const http = createRequire(import.meta.url)('node:http') as typeof NodeHttp;
