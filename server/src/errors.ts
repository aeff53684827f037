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

export interface RowError {
  /** 1-based position of the row in the request, or the row number in the uploaded sheet/file. */
  row: number;
  field: string;
  message: string;
  /** For uploaded spreadsheets: the sheet and the column letter of the cell. */
  sheet?: string;
  column?: string;
}

/** A batch refused whole: every problem listed with its row and field; nothing was written. */
export class BatchError extends DomainError {
  constructor(
    message: string,
    readonly errors: RowError[],
    statusCode = 400,
  ) {
    super(message, statusCode);
  }
}
