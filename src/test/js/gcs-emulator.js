// The Firebase emulator suite's Cloud Storage emulator (firebase-tools), serving Google's Cloud Storage JSON API on
// 127.0.0.1 for GcsStoreTest and GcsDeployIT. Started by the tests:
//
//   node gcs-emulator.js BUCKET...      prints "listening 127.0.0.1:PORT" once it serves; ends when stdin closes
//
// Only the HTTP server is started, not the emulator's security-rules runtime (a Java jar that firebase-tools
// downloads, and that the JSON API, which the emulator serves as an administrator, never consults).
//
// One shim: the emulator makes any bucket a request names, where Cloud Storage answers 404 for a bucket that does not
// exist. Requests for a bucket not given on the command line get Cloud Storage's 404 and error body instead.
"use strict";
const path = require("path");
const modules = process.env.DEWY_NPM_MODULES || "/var/cache/dewy-ci/npm/node_modules";
const storage = path.join(modules, "firebase-tools/lib/emulator/storage");
const { StorageEmulator } = require(path.join(storage, "index.js"));
const { createApp } = require(path.join(storage, "server.js"));
const { EmulatorRegistry } = require(path.join(modules, "firebase-tools/lib/emulator/registry.js"));
const express = require(path.join(modules, "express"));

async function main() {
  const buckets = new Set(process.argv.slice(2));
  const emulator = new StorageEmulator({ projectId: "dewy-test", host: "127.0.0.1", port: 0, rules: undefined });
  const app = express();
  app.use((req, res, next) => {
    const m = /^\/(?:upload\/|download\/)?storage\/v1\/b\/([^/?]+)/.exec(req.path);
    if (m && !buckets.has(decodeURIComponent(m[1]))) {
      res.status(404).json({
        error: {
          code: 404,
          message: "The specified bucket does not exist.",
          errors: [{ message: "The specified bucket does not exist.", domain: "global", reason: "notFound" }],
        },
      });
      return;
    }
    next();
  });
  app.use(await createApp("dewy-test", emulator));
  const server = app.listen(0, "127.0.0.1", () => {
    // The emulator builds its objects' links from its registered address.
    emulator.args.port = server.address().port;
    EmulatorRegistry.set(emulator.getName(), emulator);
    process.stdout.write(`listening 127.0.0.1:${server.address().port}\n`);
  });
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("error", () => process.exit(0));
}

main().catch((e) => {
  process.stderr.write(`gcs-emulator: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
