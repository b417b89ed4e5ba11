// kafkajs modules as kafkajs ships them, for comparing the runtime's kafkajs patches with the
// originals: the module and the ones it uses are loaded fresh (the cached ones are patched), and the
// cache is put back afterwards.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `main` loaded without the cached (patched) copies of itself and of `alsoFresh`. */
export function kafkajsOriginal<T>(main: string, ...alsoFresh: string[]): T {
  const paths = [main, ...alsoFresh].map((p) => require.resolve(p));
  const cached = paths.map((p) => require.cache[p]);
  for (const p of paths) delete require.cache[p];
  try {
    return require(paths[0]!) as T;
  } finally {
    paths.forEach((p, i) => (require.cache[p] = cached[i]));
  }
}
