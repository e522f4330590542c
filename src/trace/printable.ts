/**
 * Raw input lines (unparsed samples, lines outside a report) as a terminal can show them: control
 * characters and invalid UTF-8 escaped (\xNN, U+FFFD as \ufffd).
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f\ufffd]/g, (c) =>
    c === '\ufffd' ? '\\ufffd' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
