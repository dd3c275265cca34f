/**
 * A size as people read it, in decimal units throughout the portal (1 MB is 1,000,000 bytes, as
 * the plan's limits and the operating systems people compare with count): "39 bytes", "340 kB",
 * "78.6 MB"; nothing known reads as a dash. Intl has no plural for its short "byte", so bytes are spelled out.
 */
export function formatBytes(bytes: number | null | undefined, locale: string): string {
  if (bytes === null || bytes === undefined) return '—';
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${new Intl.NumberFormat(locale).format(bytes)} ${bytes === 1 ? 'byte' : 'bytes'}`;
  return new Intl.NumberFormat(locale, { style: 'unit', unit: units[unit], unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
}
