// Starts @20minutes/s3rver (the package ships no bin script): node s3rver.js -d DIR -a ADDR -p PORT
// --configure-bucket NAME. Prints "S3rver listening on ADDR:PORT" when it accepts requests.
require('@20minutes/s3rver/lib/cli.js')
  .parseAsync()
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
