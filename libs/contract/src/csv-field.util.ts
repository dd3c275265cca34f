const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV field as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break, with
 * its quotes doubled. Everything Kineo writes as CSV (generated exports, a workbook turned into
 * CSV, `kineo sql --csv`) quotes through this, so the ingest's parser reads all of it back alike.
 */
export function csvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
