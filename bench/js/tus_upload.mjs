// One tus upload with tus-js-client under Node: prints the seconds it took.
// usage: node tus_upload.mjs ENDPOINT FILE NAME CHUNK_BYTES [TOKEN]   (NODE_EXTRA_CA_CERTS: the cert)
import { createReadStream, statSync } from "node:fs";
import * as tus from "tus-js-client";

const [endpoint, file, name, chunk, token] = process.argv.slice(2);
const start = process.hrtime.bigint();
const upload = new tus.Upload(createReadStream(file), {
  endpoint,
  uploadSize: statSync(file).size,
  chunkSize: Number(chunk),
  metadata: { filename: name },
  headers: token ? { Authorization: `Bearer ${token}` } : {},
  retryDelays: [],
  onError: (error) => { console.error(String(error)); process.exit(1); },
  onSuccess: () => { console.log(Number(process.hrtime.bigint() - start) / 1e9); },
});
upload.start();
