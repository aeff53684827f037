import { promisify } from "node:util";
import { inflateRaw } from "node:zlib";
import { formatNumber } from "@dieuhanh/core";
import { importLimits } from "./limits";

const inflate = promisify(inflateRaw) as (buffer: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>;

/**
 * Checks what an uploaded .xlsx (a zip) would cost before a spreadsheet library opens it: the number
 * of parts, their size once inflated — measured by inflating them (off the main thread, stopped at the
 * budget), never trusting the sizes the file declares — and the rows and cells of its sheets. A 2 MB
 * file that inflates to 2 GB is refused after reading at most the budget. Returns why it is refused.
 */
export async function checkXlsxCost(file: Buffer): Promise<string | null> {
  const limits = importLimits.xlsx;
  const notXlsx = "Tệp không đọc được như một tệp Excel (.xlsx): tệp hỏng hoặc tải lên chưa hết; không ghi dòng nào";
  const eocd = findEndOfCentralDirectory(file);
  if (eocd < 0) return notXlsx;
  const entries = file.readUInt16LE(eocd + 10);
  const directorySize = file.readUInt32LE(eocd + 12);
  const directoryOffset = file.readUInt32LE(eocd + 16);
  if (entries === 0xffff || directoryOffset === 0xffffffff)
    return "Tệp Excel dạng ZIP64 không được hỗ trợ: mẫu biểu không cần lớn như vậy";
  if (entries > limits.maxEntries)
    return `Tệp Excel có ${formatNumber(entries)} phần, quá giới hạn ${formatNumber(limits.maxEntries)}`;
  if (directoryOffset + directorySize > file.length) return notXlsx;

  let inflated = 0;
  let rows = 0;
  let cells = 0;
  const tooBig = `Tệp Excel khi giải nén lớn hơn ${formatNumber(limits.maxInflatedBytes / 1024 / 1024)} MB: không phải mẫu biểu của một báo cáo; không ghi dòng nào`;
  let at = directoryOffset;
  for (let i = 0; i < entries; i++) {
    if (at + 46 > file.length || file.readUInt32LE(at) !== 0x02014b50) return notXlsx;
    const method = file.readUInt16LE(at + 10);
    const compressedSize = file.readUInt32LE(at + 20);
    const nameLength = file.readUInt16LE(at + 28);
    const extraLength = file.readUInt16LE(at + 30);
    const commentLength = file.readUInt16LE(at + 32);
    const localOffset = file.readUInt32LE(at + 42);
    const name = file.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    at += 46 + nameLength + extraLength + commentLength;

    if (localOffset + 30 > file.length || file.readUInt32LE(localOffset) !== 0x04034b50) return notXlsx;
    const dataStart = localOffset + 30 + file.readUInt16LE(localOffset + 26) + file.readUInt16LE(localOffset + 28);
    const data = file.subarray(dataStart, dataStart + compressedSize);
    if (data.length !== compressedSize) return notXlsx;
    const budget = limits.maxInflatedBytes - inflated;
    let content: Buffer;
    if (method === 0) content = data;
    else if (method === 8) {
      try {
        content = await inflate(data, { maxOutputLength: budget + 1 });
      } catch (e) {
        return (e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError ? tooBig : notXlsx;
      }
    } else return notXlsx;
    inflated += content.length;
    if (inflated > limits.maxInflatedBytes) return tooBig;
    if (/^xl\/worksheets\/[^/]+\.xml$/i.test(name)) {
      const xml = content.toString("latin1");
      rows += countMatches(xml, /<(?:\w+:)?row[\s>/]/g);
      cells += countMatches(xml, /<(?:\w+:)?c[\s>/]/g);
      if (rows > limits.maxRows)
        return `Tệp Excel có hơn ${formatNumber(limits.maxRows)} dòng: mẫu biểu của một báo cáo không lớn như vậy; không ghi dòng nào`;
      if (cells > limits.maxCells)
        return `Tệp Excel có hơn ${formatNumber(limits.maxCells)} ô: mẫu biểu của một báo cáo không lớn như vậy; không ghi dòng nào`;
    }
  }
  return null;
}

function findEndOfCentralDirectory(file: Buffer): number {
  const stop = Math.max(0, file.length - 22 - 0xffff);
  for (let i = file.length - 22; i >= stop; i--) if (file.readUInt32LE(i) === 0x06054b50) return i;
  return -1;
}

function countMatches(text: string, pattern: RegExp): number {
  let n = 0;
  pattern.lastIndex = 0;
  while (pattern.exec(text)) n++;
  return n;
}
