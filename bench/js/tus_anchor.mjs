// The anchor for bench/tus.sh: @tus/server with @tus/file-store over TLS (Node's https), the
// same certificate as dropgate's. usage: node tus_anchor.mjs PORT CERT KEY DIR
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { Server } from "@tus/server";
import { FileStore } from "@tus/file-store";

const [port, cert, key, dir] = process.argv.slice(2);
// relativeLocation: behind Node https it would otherwise answer http:// Locations.
const tus = new Server({ path: "/files", relativeLocation: true, datastore: new FileStore({ directory: dir }) });
createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => tus.handle(req, res))
  .listen(Number(port), "127.0.0.1", () => console.log("listening"));
