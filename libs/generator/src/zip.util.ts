const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;

/**
 * Sets every entry's modification time in a zip (an .xlsx) to `stamp`, in place. The zip writer stamps
 * entries with the wall clock, which would make two otherwise identical workbooks differ.
 */
export function fixZipTimestamps(zip: Buffer, stamp: Date): void {
  const year = Math.min(2107, Math.max(1980, stamp.getUTCFullYear()));
  const dosDate = ((year - 1980) << 9) | ((stamp.getUTCMonth() + 1) << 5) | stamp.getUTCDate();
  const dosTime = (stamp.getUTCHours() << 11) | (stamp.getUTCMinutes() << 5) | Math.floor(stamp.getUTCSeconds() / 2);

  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== END_OF_CENTRAL_DIRECTORY) end--;
  if (end < 0) throw new Error('Not a zip file: no end of central directory');
  const entries = zip.readUInt16LE(end + 10);
  let entry = zip.readUInt32LE(end + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(entry) !== CENTRAL_DIRECTORY_ENTRY) throw new Error('Corrupt zip central directory');
    zip.writeUInt16LE(dosTime, entry + 12);
    zip.writeUInt16LE(dosDate, entry + 14);
    const local = zip.readUInt32LE(entry + 42);
    if (zip.readUInt32LE(local) !== LOCAL_FILE_HEADER) throw new Error('Corrupt zip local header');
    zip.writeUInt16LE(dosTime, local + 10);
    zip.writeUInt16LE(dosDate, local + 12);
    entry += 46 + zip.readUInt16LE(entry + 28) + zip.readUInt16LE(entry + 30) + zip.readUInt16LE(entry + 32);
  }
}
