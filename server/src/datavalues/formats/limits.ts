import { formatNumber } from "@dieuhanh/core";
import { DomainError, LISTED_ERRORS, type RowError } from "../../errors";

/**
 * What one upload may cost. An import is all or nothing and is read whole before anything is written,
 * so every bound here is a bound on memory and time: rows, cells of a spreadsheet, bytes once
 * decompressed, seconds of reading; and the answer lists at most `listedErrors` problems (with their
 * total). Tests lower them; nothing else changes them.
 */
export const importLimits = {
  /** Figures per file (the JSON API takes at most as many values). */
  maxRows: 100_000,
  /** Problems listed in an answer; the total is given beside them. */
  listedErrors: LISTED_ERRORS,
  /** Seconds a file may take to read before it is refused. */
  maxReadSeconds: 60,
  /** Bytes parsed between two yields to the event loop, so that other requests keep being answered. */
  chunkBytes: 64 * 1024,
  xlsx: {
    /** All parts of the workbook together, once inflated. */
    maxInflatedBytes: 40 * 1024 * 1024,
    /** Parts (files) in the workbook's zip. */
    maxEntries: 500,
    /**
     * Rows and cells in all sheets. The template of one report has a few hundred rows; the spreadsheet
     * library parses a sheet in long synchronous stretches (~0.7 s at 5,000 rows on 2 cores), so the
     * bound also keeps other requests answered.
     */
    maxRows: 10_000,
    maxCells: 150_000,
  },
};

/** A file beyond what one upload may cost: refused before it is read further (413). */
export class UploadTooLargeError extends DomainError {
  constructor(message: string) {
    super(message, 413, "file");
  }
}

export const tooManyRows = (rows: number) =>
  new UploadTooLargeError(
    `Tệp có hơn ${formatNumber(importLimits.maxRows)} dòng số liệu (đã đọc ${formatNumber(rows)} dòng): hãy chia thành nhiều tệp nhỏ hơn; không ghi dòng nào`,
  );

/** The problems of a file: the first `listedErrors` kept, all of them counted. */
export class ErrorList {
  readonly items: RowError[] = [];
  count = 0;
  add(...errors: RowError[]) {
    this.count += errors.length;
    for (const e of errors) if (this.items.length < importLimits.listedErrors) this.items.push(e);
  }
  get truncated() {
    return this.count > this.items.length;
  }
}

/** Lets the event loop answer other requests (a macrotask, so I/O runs, unlike an awaited promise). */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A clock for one upload: refuses the file once it has taken longer than `maxReadSeconds`. */
const tooSlow = () =>
  new UploadTooLargeError(
    `Tệp quá lớn để đọc trong ${importLimits.maxReadSeconds} giây: hãy chia thành nhiều tệp nhỏ hơn; không ghi dòng nào`,
  );

export function readDeadline() {
  const start = Date.now();
  return () => {
    if (Date.now() - start > importLimits.maxReadSeconds * 1000) throw tooSlow();
  };
}

/**
 * The reading budget of a streamed upload: only the time spent reading counts, not the time waiting for the
 * network (a 50 MB file over a slow provincial link may take minutes to arrive; Node's request timeout bounds
 * that). `spend` runs a piece of reading and throws once the total is over `maxReadSeconds`.
 */
export function readingBudget() {
  let spent = 0;
  return async <T>(work: () => Promise<T>): Promise<T> => {
    const began = Date.now();
    const result = await work();
    spent += Date.now() - began;
    if (spent > importLimits.maxReadSeconds * 1000) throw tooSlow();
    return result;
  };
}

/** Too many files being read at once: try again shortly (503). */
export class UploadsBusyError extends DomainError {
  constructor() {
    super("Máy chủ đang đọc nhiều tệp tải lên cùng lúc: vui lòng thử lại sau ít phút", 503);
  }
}

export const uploadConcurrency = { reading: 2, waiting: 16 };
let reading = 0;
const waiting: (() => void)[] = [];

/**
 * Runs the reading of one uploaded file in one of a few slots, so that several large uploads at once
 * queue instead of multiplying what they cost; beyond the queue, the upload is refused (503).
 */
export async function withUploadSlot<T>(work: () => Promise<T>): Promise<T> {
  if (reading < uploadConcurrency.reading) reading++;
  else {
    if (waiting.length >= uploadConcurrency.waiting) throw new UploadsBusyError();
    await new Promise<void>((resolve) => waiting.push(resolve)); // the slot is handed over, `reading` unchanged
  }
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else reading--;
  }
}
