import { OpmError } from "../../kernel/errors/index.js";

/** One member of an `ar` archive. */
export interface ArMember {
  name: string;
  bytes: Buffer;
}

const MAGIC = "!<arch>\n";
const HEADER = 60;

/** True when `bytes` start with the `ar` magic `!<arch>\n`. */
export function isArArchive(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && Buffer.from(bytes.subarray(0, MAGIC.length)).toString("latin1") === MAGIC;
}

/**
 * The members of a GNU/System V `ar` archive in archive order, without the symbol
 * index (`/`, `/SYM64/`) and the long-name table (`//`). The bytes may come from
 * anyone: every header, size and name is checked against the bytes, and a defect is
 * invalid_argument (field `after`) naming the member and offset.
 */
export function readArArchive(bytes: Uint8Array): ArMember[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isArArchive(buf)) throw bad("missing the magic `!<arch>\\n`");
  const members: ArMember[] = [];
  let longNames: Buffer | undefined;
  let at = MAGIC.length;
  while (at < buf.length) {
    if (at + HEADER > buf.length) throw bad(`truncated member header at offset ${at}`);
    const header = buf.subarray(at, at + HEADER).toString("latin1");
    if (header.slice(58, 60) !== "`\n") throw bad(`member header at offset ${at} does not end with \`\\n`);
    const sizeText = header.slice(48, 58).trim();
    if (!/^\d{1,10}$/.test(sizeText)) throw bad(`member at offset ${at}: size ${JSON.stringify(sizeText)} is not a number`);
    const size = Number(sizeText);
    const start = at + HEADER;
    if (start + size > buf.length) throw bad(`member at offset ${at}: size ${size} runs past the end (${buf.length} bytes)`);
    const data = buf.subarray(start, start + size);
    const rawName = header.slice(0, 16).trimEnd();
    if (rawName === "/" || rawName === "/SYM64/") {
      // the symbol index
    } else if (rawName === "//") {
      longNames = data;
    } else {
      members.push({ name: memberName(rawName, longNames, at), bytes: Buffer.from(data) });
    }
    at = start + size + (size % 2);
  }
  return members;
}

function memberName(raw: string, longNames: Buffer | undefined, at: number): string {
  const long = /^\/(\d+)$/.exec(raw);
  if (long === null) return raw.endsWith("/") ? raw.slice(0, -1) : raw;
  const offset = Number(long[1]);
  if (longNames === undefined || offset >= longNames.length) throw bad(`member at offset ${at}: long name ${raw} has no entry in the name table`);
  const end = longNames.indexOf("/\n", offset, "latin1");
  if (end < 0) throw bad(`member at offset ${at}: long name ${raw} is not terminated`);
  return longNames.subarray(offset, end).toString("latin1");
}

function bad(message: string): OpmError {
  return new OpmError("invalid_argument", `field \`after\`: not a valid ar archive: ${message}`, { field: "after" });
}
