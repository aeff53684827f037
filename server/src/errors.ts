/** Errors the services raise; the HTTP layer maps them to status codes with Vietnamese messages. */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string, field?: string) {
    super(message, 404, field);
  }
}

export class InvalidInputError extends DomainError {
  constructor(message: string, field?: string) {
    super(message, 400, field);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = "Cần đăng nhập") {
    super(message, 401);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = "Không có quyền thực hiện thao tác này") {
    super(message, 403);
  }
}

export class TooManyAttemptsError extends DomainError {
  constructor(message: string) {
    super(message, 429);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, field?: string) {
    super(message, 409, field);
  }
}

/** What was asked for no longer exists here (an expired or foreign feed cursor): start again. */
export class GoneError extends DomainError {
  constructor(message: string, field?: string) {
    super(message, 410, field);
  }
}

export interface RowError {
  /** 1-based position of the row in the request, or the row number in the uploaded sheet/file. */
  row: number;
  field: string;
  message: string;
  /** For uploaded spreadsheets: the sheet and the column letter of the cell. */
  sheet?: string;
  column?: string;
}

/** At most this many problems are listed in one answer (a file with a million bad rows must not answer 200 MB). */
export const LISTED_ERRORS = 1_000;

/**
 * A batch refused whole: its problems listed with their row and field (the first LISTED_ERRORS of them,
 * with the total in `errorCount`); nothing was written.
 */
export class BatchError extends DomainError {
  readonly errors: RowError[];
  readonly errorCount: number;
  constructor(message: string, errors: RowError[], statusCode = 400, errorCount = errors.length) {
    const listed = Math.min(errors.length, LISTED_ERRORS);
    super(errorCount > listed ? `${message} (liệt kê ${listed.toLocaleString("vi-VN")} lỗi đầu tiên)` : message, statusCode);
    this.errors = errors.slice(0, listed);
    this.errorCount = errorCount;
  }
}
