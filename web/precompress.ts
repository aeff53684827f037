import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { Plugin } from "vite";

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Files a browser fetches as text: compressed. Images, fonts already compressed (woff2, png) are not. */
const TEXT = /\.(?:js|mjs|css|html|svg|json|geojson|topojson|txt|xml|webmanifest|map)$/i;
/** Smaller files gain less than the bytes of a second request header. */
const MIN_SIZE = 1024;

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile()) yield full;
  }
}

export interface Precompressed {
  file: string;
  size: number;
  br: number | null;
  gzip: number | null;
}

/**
 * Writes `<file>.br` (brotli, quality 11) and `<file>.gz` (gzip, level 9) beside every text file of `dir` of
 * at least 1 KiB, each only when it is smaller than the file; the server sends the one the browser accepts
 * (@fastify/static `preCompressed`). Done once at build time, so serving costs no CPU.
 */
export async function precompressDir(dir: string): Promise<Precompressed[]> {
  const out: Precompressed[] = [];
  const jobs: Promise<void>[] = [];
  for await (const file of files(dir)) {
    if (!TEXT.test(file)) continue;
    const size = (await stat(file)).size;
    if (size < MIN_SIZE) continue;
    jobs.push(
      (async () => {
        const data = await readFile(file);
        const [b, g] = await Promise.all([
          brotli(data, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
              [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
              [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
            },
          }),
          gz(data, { level: 9 }),
        ]);
        const entry: Precompressed = { file: path.relative(dir, file), size, br: null, gzip: null };
        if (b.length < size) {
          await writeFile(`${file}.br`, b);
          entry.br = b.length;
        }
        if (g.length < size) {
          await writeFile(`${file}.gz`, g);
          entry.gzip = g.length;
        }
        out.push(entry);
      })(),
    );
  }
  await Promise.all(jobs);
  return out.sort((a, b) => b.size - a.size);
}

/** Vite plugin: precompresses the build's output once it is written. */
export function precompress(): Plugin {
  let outDir = "";
  return {
    name: "dieuhanh-precompress",
    apply: "build",
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      const done = await precompressDir(outDir);
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      const total = done.reduce((s, f) => s + f.size, 0);
      const br = done.reduce((s, f) => s + (f.br ?? f.size), 0);
      const gzip = done.reduce((s, f) => s + (f.gzip ?? f.size), 0);
      this.info?.(`precompressed ${done.length} files: ${kib(total)} → brotli ${kib(br)}, gzip ${kib(gzip)}`);
    },
  };
}
