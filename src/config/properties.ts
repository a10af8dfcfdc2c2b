/**
 * A reader for Java `.properties` files, the format of Kafka's server.properties:
 * `key=value`, `key: value` or `key value`; `#` and `!` start comment lines; a
 * trailing odd backslash continues the line; `\t \n \r \f \\ \uXXXX` escapes.
 * Pure, no I/O. Later duplicates win, as in java.util.Properties.
 */

export interface PropertyEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line the entry starts on, for error messages. */
  readonly line: number;
}

/** Parse properties text into entries in file order (duplicates kept; callers take the last). */
export function parseProperties(text: string): PropertyEntry[] {
  const out: PropertyEntry[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = lines[i]!.replace(/^[ \t\f]+/, '');
    if (logical === '' || logical[0] === '#' || logical[0] === '!') continue;
    // A line ending in an odd number of backslashes continues on the next line (leading blanks dropped).
    while (endsWithOddBackslashes(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    if (endsWithOddBackslashes(logical)) logical = logical.slice(0, -1);
    const { key, rest } = splitKey(logical);
    out.push({ key: unescape(key), value: unescape(rest), line: startLine });
  }
  return out;
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

/** The key ends at the first unescaped '=', ':' or blank; one separator and surrounding blanks are skipped. */
function splitKey(s: string): { key: string; rest: string } {
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\') { i += 2; continue; }
    if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
    i++;
  }
  const key = s.slice(0, i);
  let j = i;
  while (j < s.length && (s[j] === ' ' || s[j] === '\t' || s[j] === '\f')) j++;
  if (j < s.length && (s[j] === '=' || s[j] === ':')) j++;
  while (j < s.length && (s[j] === ' ' || s[j] === '\t' || s[j] === '\f')) j++;
  return { key, rest: s.slice(j) };
}

function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i + 1 >= s.length) { out += c; continue; }
    const n = s[++i]!;
    switch (n) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        const hex = s.slice(i + 1, i + 5);
        if (/^[0-9a-fA-F]{4}$/.test(hex)) { out += String.fromCharCode(parseInt(hex, 16)); i += 4; }
        else out += 'u';
        break;
      }
      default: out += n;
    }
  }
  return out;
}
