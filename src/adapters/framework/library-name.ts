import { OpmError } from "../../kernel/errors/index.js";

/**
 * A library name as `-l` takes it (`m`, `z`, `stdc++`): letters, digits and `_ + . -`, not
 * starting with `-` or `.`, at most 64 characters — so that a program, a bundle or a
 * module cannot smuggle a path (`-l:/x.so`, `../evil`) or an option into a link.
 */
export const LIBRARY_NAME = /^[A-Za-z0-9_+][A-Za-z0-9_+.-]{0,63}$/;

/** `name`, or invalid_argument naming `field` when it is not a library name `-l` takes. */
export function requireLibraryName(name: string, field = "libraries"): string {
  if (!LIBRARY_NAME.test(name)) {
    throw new OpmError("invalid_argument", `field \`${field}\`: ${JSON.stringify(name)} is not a library name \`-l\` takes`, { field });
  }
  return name;
}

/** `-l<name>` for each library (each checked by `requireLibraryName`), sorted, no duplicates. */
export function libraryFlags(libraries: readonly string[]): string[] {
  return [...new Set(libraries.map((l) => requireLibraryName(l)))].sort().map((l) => `-l${l}`);
}
