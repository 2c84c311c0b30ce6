// The scripts' command lines, read one way: Node's parseArgs, strict, with a usage text.
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/**
 * The options given in `args` (by default the script's own): exits 2 naming what is wrong, with the
 * usage, when they do not parse; prints the usage and exits 0 for --help (which `options` must declare).
 */
export function commandLine<const Options extends ParseArgsOptionsConfig>(
  options: Options,
  usage: string,
  args: string[] = process.argv.slice(2),
): ReturnType<typeof parseArgs<{ args: string[]; options: Options; strict: true }>>["values"] {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: Options; strict: true }>>["values"];
  try {
    ({ values } = parseArgs({ args, options, strict: true }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if ((values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}
